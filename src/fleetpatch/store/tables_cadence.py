"""Tables of cadence: the window announcements sent, one row per delivery.

`announcements` has one row per (announcement key, team, notifier): the unit that must happen
exactly once. The unique constraint is what makes a second process, or a restarted one, unable
to claim a delivery already claimed. `status` is `claimed` (being sent, or the sender died while
sending), `sent` or `failed` (retried on the next run); `attempts` counts the claims.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fleetpatch.store.tables import Base
from fleetpatch.store.types import UtcDateTime


class AnnouncementRow(Base):
    __tablename__ = "announcements"
    __table_args__ = (
        UniqueConstraint("key", "team", "notifier", name="uq_announcements_delivery"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    team: Mapped[str] = mapped_column(String(64))
    notifier: Mapped[str] = mapped_column(String(64))
    bucket: Mapped[str] = mapped_column(String(64), index=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    error: Mapped[str] = mapped_column(Text)
