"""Which window announcements are due, to whom, and what they say (pure).

A bucket with `announce_days: N` announces each opening once `now` is within N days of its
start (and before it starts): to its owner and to each team in `depends`. An announcement's
`key` is the bucket and the opening's UTC start, so it is the same on every run: the store
records each (key, team, notifier) delivery, and a delivery recorded as sent is never repeated.
An opening that a blackout splits in two is two announcements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fleetpatch.policy.records import Bucket, Policy
from fleetpatch.schedule.buckets import BucketOpening, upcoming


@dataclass(frozen=True, slots=True)
class Recipient:
    team: str
    chat: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class Announcement:
    key: str
    window: BucketOpening
    strategy: str
    runbook: str
    recipients: tuple[Recipient, ...]
    subject: str
    text: str

    @property
    def fields(self) -> Mapping[str, Any]:
        """Details for machine readers (webhook JSON)."""
        return {
            "bucket": self.window.bucket,
            "owner": self.window.owner,
            "strategy": self.strategy,
            "start": utc_text(self.window.start),
            "end": utc_text(self.window.end),
            "timezone": self.window.timezone,
            "runbook": self.runbook,
            "teams": [r.team for r in self.recipients],
        }


def due_announcements(policy: Policy, now: datetime) -> list[Announcement]:
    """Announcements whose opening starts after `now` and within the bucket's announce days."""
    found: list[Announcement] = []
    for bucket in policy.buckets:
        if bucket.announce_days <= 0:
            continue
        last = now + timedelta(days=bucket.announce_days)  # inclusive: exactly N days ahead
        for window in upcoming(policy, now, bucket.announce_days + 1, [bucket]):
            if now < window.start <= last:
                found.append(announce(policy, bucket, window))
    return sorted(found, key=lambda a: (a.window.start, a.key))


def announcement_key(window: BucketOpening) -> str:
    """Stable across runs: the bucket and the opening's UTC start."""
    return f"{window.bucket}/{window.start.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%SZ}"


def announce(policy: Policy, bucket: Bucket, window: BucketOpening) -> Announcement:
    return Announcement(
        key=announcement_key(window),
        window=window,
        strategy=bucket.strategy,
        runbook=bucket.runbook,
        recipients=recipients(policy, bucket),
        subject=f"{bucket.name}: patch window {local_span(window)}",
        text=describe(bucket, window),
    )


def recipients(policy: Policy, bucket: Bucket) -> tuple[Recipient, ...]:
    teams = [bucket.owner, *(t for t in bucket.depends if t != bucket.owner)]
    found = []
    for team in dict.fromkeys(teams):
        owner = policy.owner(team)
        contacts = owner.contacts if owner is not None else None
        found.append(
            Recipient(team, contacts.chat if contacts else "", contacts.email if contacts else "")
        )
    return tuple(found)


def describe(bucket: Bucket, window: BucketOpening) -> str:
    lines = [
        f"The {bucket.name} bucket (owner {bucket.owner}) will be patched in its window",
        f"{local_span(window)} ({utc_text(window.start)} to {utc_text(window.end)}).",
        f"Strategy: {bucket.strategy}. Hosts may be drained, upgraded and rebooted.",
    ]
    if bucket.description:
        lines.append(bucket.description)
    if bucket.depends:
        lines.append(f"Teams depending on it: {', '.join(bucket.depends)}.")
    if bucket.runbook:
        lines.append(f"Runbook: {bucket.runbook}")
    lines.append("Read the plan before the window: fleetpatch plan " + bucket.name)
    return "\n".join(lines)


def local_span(window: BucketOpening) -> str:
    """`Tue 2026-12-01 09:00-17:00 Europe/Berlin` (the end date shown when it differs)."""
    zone = ZoneInfo(window.timezone)
    start, end = window.start.astimezone(zone), window.end.astimezone(zone)
    end_text = (
        end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%a %Y-%m-%d %H:%M")
    )
    return f"{start.strftime('%a %Y-%m-%d %H:%M')}-{end_text} {window.timezone}"


def utc_text(value: datetime) -> str:
    return value.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
