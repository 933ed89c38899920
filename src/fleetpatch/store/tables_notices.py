"""Tables of notices: the outbox of run events and pages, one row per delivery.

`notices` has one row per (key, team, channel): the unit that must be delivered. It is written in
the same transaction as the run change it tells about (so an event is never lost, nor told of a
change that was rolled back) and delivered later by a worker: claimed first, then sent, then
recorded. `status`: `pending` (not tried yet), `claimed` (being sent, or its sender died while
sending), `sent`, `failed` (may pass later: tried again at `next_at`) or `abandoned` (permanent
failure, or out of attempts). `resend`: whether a claim left unsettled may be sent again (pages,
whose `dedup_key` makes a second copy harmless); otherwise it is reported and never resent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fleetpatch.store.tables import Base
from fleetpatch.store.types import UtcDateTime


class NoticeRow(Base):
    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("key", "team", "channel", name="uq_notices_delivery"),
        Index("ix_notices_due", "status", "next_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    team: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    message: Mapped[dict[str, Any]] = mapped_column(JSON)
    resend: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    claimed_by: Mapped[str] = mapped_column(String(128))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    error: Mapped[str] = mapped_column(Text)
