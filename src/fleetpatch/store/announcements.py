"""The announcement delivery log: claim a delivery before sending it, record how it ended.

`claim` is the only way to get permission to send: it inserts the (key, team, notifier) row as
`claimed`, or re-claims one whose last attempt `failed`. It refuses a delivery that was `sent` or
is `claimed` already, so a restart never sends twice; the unique constraint makes the same true
for two processes racing (the loser's insert fails inside a savepoint and it is told no).

A row left `claimed` means the sender stopped between claiming and recording the outcome: the
message may or may not have left. It is reported (`unsettled`), never sent again on its own:
sending an announcement twice is worse than asking a human to look.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fleetpatch.store.tables_cadence import AnnouncementRow


@dataclass(frozen=True, slots=True)
class Delivery:
    key: str
    team: str
    notifier: str
    bucket: str
    window_start: datetime
    status: str
    attempts: int
    claimed_at: datetime
    sent_at: datetime | None
    error: str


class AnnouncementRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(
        self,
        key: str,
        team: str,
        notifier: str,
        *,
        bucket: str,
        window_start: datetime,
        now: datetime,
    ) -> bool:
        """True when the caller may send this delivery now (and must then call `finish`)."""
        row = self._row(key, team, notifier)
        if row is not None:
            if row.status != "failed":
                return False
            row.status, row.attempts, row.claimed_at = "claimed", row.attempts + 1, now
            self.session.flush()
            return True
        try:
            with self.session.begin_nested():
                self.session.add(
                    AnnouncementRow(
                        key=key,
                        team=team,
                        notifier=notifier,
                        bucket=bucket,
                        window_start=window_start,
                        status="claimed",
                        attempts=1,
                        claimed_at=now,
                        sent_at=None,
                        error="",
                    )
                )
        except IntegrityError:
            return False
        return True

    def finish(self, key: str, team: str, notifier: str, *, now: datetime, error: str = "") -> None:
        """Record the outcome of a claimed delivery: sent, or failed with `error`."""
        row = self._row(key, team, notifier)
        if row is None or row.status != "claimed":
            raise LookupError(f"delivery {key} to {team} via {notifier} was not claimed")
        row.status = "failed" if error else "sent"
        row.sent_at = None if error else now
        row.error = error
        self.session.flush()

    def get(self, key: str, team: str, notifier: str) -> Delivery | None:
        row = self._row(key, team, notifier)
        return _delivery(row) if row is not None else None

    def deliveries(self, bucket: str | None = None) -> list[Delivery]:
        query = select(AnnouncementRow).order_by(
            AnnouncementRow.window_start,
            AnnouncementRow.key,
            AnnouncementRow.team,
            AnnouncementRow.notifier,
        )
        if bucket is not None:
            query = query.where(AnnouncementRow.bucket == bucket)
        return [_delivery(r) for r in self.session.scalars(query)]

    def sent_keys(self, keys: Sequence[str]) -> set[str]:
        """The announcement keys that went out to at least one recipient."""
        if not keys:
            return set()
        query = select(AnnouncementRow.key).where(
            AnnouncementRow.key.in_(list(keys)), AnnouncementRow.status == "sent"
        )
        return set(self.session.scalars(query))

    def _row(self, key: str, team: str, notifier: str) -> AnnouncementRow | None:
        query = select(AnnouncementRow).where(
            AnnouncementRow.key == key,
            AnnouncementRow.team == team,
            AnnouncementRow.notifier == notifier,
        )
        return self.session.scalars(query).one_or_none()


def _delivery(row: AnnouncementRow) -> Delivery:
    return Delivery(
        key=row.key,
        team=row.team,
        notifier=row.notifier,
        bucket=row.bucket,
        window_start=row.window_start,
        status=row.status,
        attempts=row.attempts,
        claimed_at=row.claimed_at,
        sent_at=row.sent_at,
        error=row.error,
    )
