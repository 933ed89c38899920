"""The iCalendar feed of windows and blackouts (RFC 5545, via the icalendar library) (pure).

Each bucket opening is a VEVENT whose UID is the bucket and the opening's UTC start, so a
subscribed calendar updates an event when its details change (a longer window, a new runbook)
instead of adding a copy; an opening that moves is a new event and the old one disappears from
the feed. Blackouts are events too (`TRANSP:OPAQUE`, category `blackout`). `DTSTAMP` is the
`now` the feed was built for, so the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

from icalendar import Calendar, Event

from fleetpatch.policy.records import Blackout, Policy
from fleetpatch.schedule.announcements import describe, local_span
from fleetpatch.schedule.buckets import BucketOpening

PRODID = "-//fleetpatch//patch windows//EN"
UID_DOMAIN = "fleetpatch"


def window_uid(window: BucketOpening) -> str:
    return f"{window.bucket}-{window.start.astimezone(UTC):%Y%m%dT%H%M%SZ}@{UID_DOMAIN}"


def blackout_uid(blackout: Blackout, scope: str) -> str:
    text = f"{scope}\0{blackout.start.isoformat()}\0{blackout.end.isoformat()}\0{blackout.reason}"
    return f"blackout-{hashlib.sha256(text.encode()).hexdigest()[:16]}@{UID_DOMAIN}"


def build_calendar(
    policy: Policy,
    windows: Sequence[BucketOpening],
    now: datetime,
    *,
    name: str = "fleetpatch windows",
    blackouts: Sequence[tuple[str, Blackout]] = (),
) -> bytes:
    """The feed as bytes (CRLF lines, folded at 75 octets, as RFC 5545 wants)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for window in windows:
        calendar.add_component(_window_event(policy, window, now))
    for scope, blackout in blackouts:
        calendar.add_component(_blackout_event(scope, blackout, now))
    data: bytes = calendar.to_ical()
    return data


def _window_event(policy: Policy, window: BucketOpening, now: datetime) -> Event:
    bucket = policy.bucket(window.bucket)
    event = Event()
    event.add("uid", window_uid(window))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", window.start.astimezone(UTC))
    event.add("dtend", window.end.astimezone(UTC))
    event.add("summary", f"Patch window: {window.bucket} ({window.owner})")
    event.add("description", describe(bucket, window) if bucket else local_span(window))
    event.add("categories", ["patch-window", window.bucket])
    event.add("transp", "OPAQUE")
    if bucket is not None and bucket.runbook:
        event.add("url", bucket.runbook)
    return event


def _blackout_event(scope: str, blackout: Blackout, now: datetime) -> Event:
    event = Event()
    event.add("uid", blackout_uid(blackout, scope))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", blackout.start.astimezone(UTC))
    event.add("dtend", blackout.end.astimezone(UTC))
    event.add("summary", f"Change freeze ({scope}): {blackout.reason}")
    event.add("categories", ["blackout"])
    event.add("transp", "OPAQUE")
    return event
