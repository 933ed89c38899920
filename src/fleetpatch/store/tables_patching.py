"""The patch pairs table: one row per (advisory, host), kept current by evaluation.

Unlike `host_status`, a pair is history, not a snapshot: evaluation opens it the first time a
host is seen affected and closes it (`patched_at`) the first time the host is seen patched and
running, so rows are written only when something changes and time to patch is read from here
instead of rescanning reports (definitions in `fleetpatch.exposure.patching`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fleetpatch.store.tables import Base
from fleetpatch.store.types import UtcDateTime


class PatchPairRow(Base):
    __tablename__ = "patch_pairs"
    __table_args__ = (
        Index("ix_patch_pairs_hostname", "hostname"),
        Index("ix_patch_pairs_patched_at", "patched_at"),
    )

    advisory_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16))
    bucket: Mapped[str | None] = mapped_column(String(128))
    owner: Mapped[str | None] = mapped_column(String(128))
    disclosed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    affected_since: Mapped[datetime] = mapped_column(UtcDateTime)
    fix_available_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    patched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
