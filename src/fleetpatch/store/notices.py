"""The notice outbox: add a delivery with the change it tells about; claim it, send, record.

`add` inserts the (key, team, channel) row as `pending`, in the caller's transaction; a second
add of the same delivery is a no-op (the unique constraint decides, inside a savepoint, so two
workers racing to tell of the same wave cannot both add it).

`claim_next` is the only way to get permission to send: a compare-and-set `UPDATE` moves one due
row (`pending`, or `failed` whose `next_at` has come) to `claimed`, so two workers never both
send it, on SQLite as on PostgreSQL. The caller commits the claim before sending and then calls
`finish`. A row left `claimed` means its sender stopped between claiming and recording: the
message may or may not have left. Such a row is *unsettled*: reported, never claimed again,
unless `resend` is set (pages: PagerDuty's `dedup_key` makes a second copy harmless), in which
case it is claimed again once `claim_ttl` has passed since the claim.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fleetpatch.store.tables_notices import NoticeRow

DUE_STATUSES = ("pending", "failed")
NOTICE_STATUSES = ("pending", "claimed", "sent", "failed", "abandoned")


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    key: str
    team: str
    channel: str
    event: str
    run_id: str | None
    host: str | None
    message: Mapping[str, Any]
    resend: bool
    status: str
    attempts: int
    created_at: datetime
    next_at: datetime
    claimed_at: datetime | None
    claimed_by: str
    sent_at: datetime | None
    error: str

    def unsettled(self, now: datetime, claim_ttl: float) -> bool:
        """Claimed longer ago than a live sender needs: its sender most likely died."""
        return (
            self.status == "claimed"
            and self.claimed_at is not None
            and now - self.claimed_at >= timedelta(seconds=claim_ttl)
        )


class NoticeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        key: str,
        team: str,
        channel: str,
        event: str,
        message: Mapping[str, Any],
        now: datetime,
        run_id: str | None = None,
        host: str | None = None,
        resend: bool = False,
    ) -> bool:
        """True when the delivery is new; False when it was added before."""
        if self._exists(key, team, channel):
            return False
        try:
            with self.session.begin_nested():
                self.session.add(
                    NoticeRow(
                        key=key,
                        team=team,
                        channel=channel,
                        event=event,
                        run_id=run_id,
                        host=host,
                        message=dict(message),
                        resend=resend,
                        status="pending",
                        attempts=0,
                        created_at=now,
                        next_at=now,
                        claimed_at=None,
                        claimed_by="",
                        sent_at=None,
                        error="",
                    )
                )
        except IntegrityError:
            return False
        return True

    def claim_next(
        self, channels: Sequence[str], holder: str, now: datetime, claim_ttl: float
    ) -> Notice | None:
        """Claim the oldest due delivery through one of `channels`; None when nothing is due."""
        if not channels:
            return None
        stale = now - timedelta(seconds=claim_ttl)
        due = or_(
            and_(NoticeRow.status.in_(DUE_STATUSES), NoticeRow.next_at <= now),
            and_(
                NoticeRow.resend.is_(True),
                NoticeRow.status == "claimed",
                NoticeRow.claimed_at <= stale,
            ),
        )
        query = (
            select(NoticeRow.id, NoticeRow.status, NoticeRow.attempts)
            .where(NoticeRow.channel.in_(list(channels)), due)
            .order_by(NoticeRow.id)
            .limit(8)
        )
        for notice_id, status, attempts in self.session.execute(query).all():
            claimed = self.session.execute(
                update(NoticeRow)
                .where(
                    NoticeRow.id == notice_id,
                    NoticeRow.status == status,
                    NoticeRow.attempts == attempts,
                )
                .values(status="claimed", attempts=attempts + 1, claimed_at=now, claimed_by=holder)
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) == 1:
                return self.get(notice_id)
        return None

    def finish(
        self,
        notice_id: int,
        *,
        holder: str,
        now: datetime,
        error: str = "",
        retry_at: datetime | None = None,
    ) -> str:
        """Record how a claimed delivery ended: `sent`; `failed` (tried again at `retry_at`);
        or `abandoned` when it failed with no `retry_at`. Returns the new status."""
        row = self.session.get(NoticeRow, notice_id, populate_existing=True)
        if row is None or row.status != "claimed" or row.claimed_by != holder:
            raise LookupError(f"notice {notice_id} is not claimed by {holder}")
        if not error:
            row.status, row.sent_at, row.error = "sent", now, ""
        elif retry_at is not None:
            row.status, row.next_at, row.error = "failed", retry_at, error[:2000]
        else:
            row.status, row.error = "abandoned", error[:2000]
        self.session.flush()
        return row.status

    def get(self, notice_id: int) -> Notice | None:
        row = self.session.get(NoticeRow, notice_id, populate_existing=True)
        return _notice(row) if row is not None else None

    def listing(
        self,
        *,
        run_id: str | None = None,
        statuses: Sequence[str] | None = None,
        limit: int = 1000,
    ) -> list[Notice]:
        query = select(NoticeRow).order_by(NoticeRow.id).limit(limit)
        if run_id is not None:
            query = query.where(NoticeRow.run_id == run_id)
        if statuses:
            query = query.where(NoticeRow.status.in_(list(statuses)))
        return [_notice(r) for r in self.session.scalars(query)]

    def open_pages(self, host: str) -> list[Notice]:
        """Triggers for `host` that no resolve with the same dedup_key follows yet."""
        query = select(NoticeRow).where(
            NoticeRow.host == host, NoticeRow.event.in_(("page.trigger", "page.resolve"))
        )
        rows = list(self.session.scalars(query.order_by(NoticeRow.id)))
        resolved = {
            (r.message.get("key"), r.team, r.channel) for r in rows if r.event == "page.resolve"
        }
        return [
            _notice(r)
            for r in rows
            if r.event == "page.trigger"
            and (r.message.get("key"), r.team, r.channel) not in resolved
        ]

    def keys(self, run_id: str, event: str) -> set[str]:
        query = select(NoticeRow.key).where(NoticeRow.run_id == run_id, NoticeRow.event == event)
        return set(self.session.scalars(query))

    def _exists(self, key: str, team: str, channel: str) -> bool:
        query = select(NoticeRow.id).where(
            NoticeRow.key == key, NoticeRow.team == team, NoticeRow.channel == channel
        )
        return self.session.execute(query).first() is not None


def _notice(row: NoticeRow) -> Notice:
    return Notice(
        id=row.id,
        key=row.key,
        team=row.team,
        channel=row.channel,
        event=row.event,
        run_id=row.run_id,
        host=row.host,
        message=dict(row.message),
        resend=row.resend,
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        next_at=row.next_at,
        claimed_at=row.claimed_at,
        claimed_by=row.claimed_by,
        sent_at=row.sent_at,
        error=row.error,
    )
