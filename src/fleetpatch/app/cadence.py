"""Cadence use cases: upcoming windows, the calendar feed, announcements (sent once), plans,
forecasts.

The maths is in `fleetpatch.schedule` (pure); this module loads what it needs from the store,
calls it, and records what was done. Announcements are the one place with two transactions per
delivery on purpose: the claim is committed before the message leaves, so a crash after sending
can never lead to a second send (see `store/announcements.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from fleetpatch.notify.base import Message, Notifier, NotifyError
from fleetpatch.policy.records import Policy
from fleetpatch.schedule.announcements import (
    Announcement,
    Recipient,
    announcement_key,
    due_announcements,
)
from fleetpatch.schedule.buckets import BucketOpening, find_bucket, upcoming
from fleetpatch.schedule.ical import build_calendar
from fleetpatch.store import Store
from fleetpatch.store.announcements import AnnouncementRepository

log = logging.getLogger(__name__)

DeliveryOutcome = Literal["sent", "failed", "already", "unsettled", "would-send", "unreachable"]


@dataclass(frozen=True, slots=True)
class WindowRow:
    """One upcoming opening of one bucket, with when (and whether) it is announced."""

    bucket: str
    owner: str
    start: datetime
    end: datetime
    timezone: str
    local_start: str
    announce_at: datetime | None
    announced: bool


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    key: str
    bucket: str
    team: str
    notifier: str
    outcome: DeliveryOutcome
    error: str = ""


def upcoming_windows(
    store: Store | None,
    policy: Policy,
    now: datetime,
    *,
    days: float = 30,
    bucket: str | None = None,
) -> list[WindowRow]:
    """Openings in the next `days`; `announced` from the store's delivery log when given."""
    buckets = [find_bucket(policy, bucket)] if bucket else None
    windows = upcoming(policy, now, days, buckets)
    keys = [announcement_key(w) for w in windows]
    sent: set[str] = set()
    if store is not None:
        with store.session() as session:
            sent = AnnouncementRepository(session).sent_keys(keys)
    return [_window_row(policy, w, key in sent) for w, key in zip(windows, keys, strict=True)]


def _window_row(policy: Policy, window: BucketOpening, announced: bool) -> WindowRow:
    days = find_bucket(policy, window.bucket).announce_days
    local = window.start.astimezone(ZoneInfo(window.timezone))
    return WindowRow(
        bucket=window.bucket,
        owner=window.owner,
        start=window.start,
        end=window.end,
        timezone=window.timezone,
        local_start=local.strftime("%a %Y-%m-%d %H:%M"),
        announce_at=window.start - timedelta(days=days) if days > 0 else None,
        announced=announced,
    )


def calendar_feed(
    policy: Policy, now: datetime, days: float = 90, bucket: str | None = None
) -> bytes:
    """The iCalendar feed (RFC 5545) of the next `days` of windows, and the blackouts in them."""
    buckets = [find_bucket(policy, bucket)] if bucket else list(policy.buckets)
    windows = upcoming(policy, now, days, buckets)
    end = now + timedelta(days=days)
    freezes = [("fleet", b) for b in policy.blackouts]
    freezes += [(x.name, b) for x in buckets for b in x.blackouts]
    relevant = [(scope, b) for scope, b in freezes if b.end > now and b.start < end]
    name = f"fleetpatch: {bucket}" if bucket else "fleetpatch: patch windows"
    return build_calendar(policy, windows, now, name=name, blackouts=relevant)


def send_due_announcements(
    store: Store,
    policy: Policy,
    notifiers: Sequence[Notifier],
    now: datetime,
    *,
    dry_run: bool = False,
) -> list[DeliveryResult]:
    """Send each due announcement to each recipient through each notifier, once ever."""
    results: list[DeliveryResult] = []
    for announcement in due_announcements(policy, now):
        for recipient in announcement.recipients:
            message = announcement_message(announcement, recipient)
            for notifier in notifiers:
                results.append(_deliver(store, announcement, message, notifier, now, dry_run))
    return results


def announcement_message(announcement: Announcement, recipient: Recipient) -> Message:
    return Message(
        key=announcement.key,
        subject=announcement.subject,
        text=announcement.text,
        team=recipient.team,
        chat=recipient.chat,
        email=recipient.email,
        fields=announcement.fields,
    )


def _deliver(
    store: Store,
    announcement: Announcement,
    message: Message,
    notifier: Notifier,
    now: datetime,
    dry_run: bool,
) -> DeliveryResult:
    if not notifier.accepts(message):
        return _result(announcement, message, notifier, "unreachable", "no address for the team")
    if dry_run:
        return _result(announcement, message, notifier, _dry_outcome(store, message, notifier))
    with store.session(write=True) as session:
        repository = AnnouncementRepository(session)
        claimed = repository.claim(
            message.key,
            message.team,
            notifier.name,
            bucket=announcement.window.bucket,
            window_start=announcement.window.start,
            now=now,
        )
        previous = None if claimed else repository.get(message.key, message.team, notifier.name)
    if not claimed:
        unsettled = previous is not None and previous.status == "claimed"
        return _result(announcement, message, notifier, "unsettled" if unsettled else "already")
    error = ""
    try:
        notifier.send(message)
    except NotifyError as exc:
        error = str(exc)
        log.warning("announcement %s to %s failed: %s", message.key, message.team, error)
    with store.session(write=True) as session:
        AnnouncementRepository(session).finish(
            message.key, message.team, notifier.name, now=now, error=error
        )
    return _result(announcement, message, notifier, "failed" if error else "sent", error)


def _dry_outcome(store: Store, message: Message, notifier: Notifier) -> DeliveryOutcome:
    with store.session() as session:
        previous = AnnouncementRepository(session).get(message.key, message.team, notifier.name)
    if previous is None or previous.status == "failed":
        return "would-send"
    return "already" if previous.status == "sent" else "unsettled"


def _result(
    announcement: Announcement,
    message: Message,
    notifier: Notifier,
    outcome: DeliveryOutcome,
    error: str = "",
) -> DeliveryResult:
    return DeliveryResult(
        message.key, announcement.window.bucket, message.team, notifier.name, outcome, error
    )


__all__ = [
    "DeliveryResult",
    "WindowRow",
    "calendar_feed",
    "send_due_announcements",
    "upcoming_windows",
]
