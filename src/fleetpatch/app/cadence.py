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
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from fleetpatch.app.evaluate import Upstream, set_facts
from fleetpatch.app.queries import outdated_rows
from fleetpatch.exposure.status import HostStatus
from fleetpatch.notify.base import Message, Notifier, NotifyError
from fleetpatch.policy.records import Concurrency, Policy
from fleetpatch.schedule.announcements import (
    Announcement,
    Recipient,
    announcement_key,
    due_announcements,
)
from fleetpatch.schedule.buckets import (
    BucketOpening,
    blackouts_for,
    find_bucket,
    next_window,
    upcoming,
)
from fleetpatch.schedule.forecast import FixForecast, Forecast, forecast_fix, forecast_plan
from fleetpatch.schedule.ical import build_calendar
from fleetpatch.schedule.plan import PackageChange, Plan, PlanHost, make_plan
from fleetpatch.schedule.windows import Opening, next_openings
from fleetpatch.store import Store
from fleetpatch.store.announcements import AnnouncementRepository
from fleetpatch.store.evaluations import EvaluationRepository
from fleetpatch.store.fleet import FleetReader
from fleetpatch.store.runs import RunRepository

log = logging.getLogger(__name__)

# How many openings ahead a forecast may use (200 days of a daily window, 16 years of a monthly).
FORECAST_OPENINGS = 200

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


def next_windows(policy: Policy, now: datetime) -> dict[str, Opening | None]:
    """Each bucket's window in progress at `now`, or its next one: a field of every host's
    status (a host's next window is its bucket's). None: the bucket's windows never open."""
    return {b.name: next_window(policy, b, now) for b in policy.buckets}


@dataclass(frozen=True, slots=True)
class BucketForecast:
    """A bucket's forecast with the plan it was made from."""

    plan: Plan
    forecast: Forecast


def needs_work(status: HostStatus) -> tuple[str, ...]:
    """Why the exposure engine says a host needs patching (empty: it does not)."""
    reasons = (
        ("outdated", status.update in ("behind", "overdue")),
        ("affected", status.security == "affected_fix_available"),
        ("pending reboot", status.reboot == "pending_reboot"),
        ("drifted", status.drifted),
    )
    return tuple(reason for reason, applies in reasons if applies)


def bucket_hosts(
    store: Store,
    policy: Policy,
    bucket: str,
    now: datetime,
    *,
    packages: bool = True,
    upstream: Upstream | None = None,
) -> list[PlanHost]:
    """The evaluated hosts of `bucket` as the planner sees them (labels from their reports).

    `upstream`: catalog and advisory indexes a long-running caller already holds (the server);
    None loads them, which costs seconds on a real catalog."""
    with store.session() as session:
        statuses = EvaluationRepository(session).statuses_in(bucket)
        fleet = FleetReader(session)
        headers = {
            h.hostname: h for h in fleet.current_headers({s.package_set_id for s in statuses})
        }
        outdated_keys = {
            (s.package_set_id, headers[s.hostname].arch)
            for s in statuses
            if packages and "outdated" in needs_work(s) and s.hostname in headers
        }
        facts = (
            set_facts(session, policy, outdated_keys, now=now, upstream=upstream)
            if outdated_keys
            else {}
        )
    changes_by_set = {
        key: tuple(
            PackageChange(r.name, r.installed, r.candidate, r.security) for r in outdated_rows(rows)
        )
        for key, rows in facts.items()
    }
    hosts = []
    for status in statuses:
        reasons = needs_work(status)
        header = headers.get(status.hostname)
        labels = header.labels if header is not None else {}
        changes: tuple[PackageChange, ...] = ()
        if header is not None and "outdated" in reasons:
            changes = changes_by_set.get((status.package_set_id, header.arch), ())
        pending = status.reboot == "pending_reboot"
        hosts.append(PlanHost(status.hostname, labels, changes, pending, reasons))
    return hosts


def plan_bucket(
    store: Store,
    policy: Policy,
    bucket: str,
    now: datetime,
    *,
    window: datetime | None = None,
    concurrency: Concurrency | None = None,
    upstream: Upstream | None = None,
) -> Plan:
    """The plan for the bucket's next window, or for the first one open at or after `window`.

    Step durations are measured ones once the bucket has run history (the median of its
    recent completed steps, simulated runs left out), else the policy's, else the defaults; each
    step of the plan says which.
    """
    spec = find_bucket(policy, bucket)
    if concurrency is not None:
        spec = replace(spec, concurrency=concurrency)
    hosts = bucket_hosts(store, policy, bucket, now, upstream=upstream)
    opening = next_window(policy, spec, window or now)
    history = measured_history(store, bucket)
    return make_plan(spec, hosts, bucket_size=len(hosts), window=opening, history=history)


def measured_history(store: Store, bucket: str) -> dict[str, list[float]]:
    """Seconds each step took in the bucket's recent real runs (not simulated ones)."""
    with store.session() as session:
        return RunRepository(session).step_durations(bucket)


def bucket_forecast(
    store: Store,
    policy: Policy,
    bucket: str,
    now: datetime,
    *,
    concurrency: Concurrency | None = None,
    seed: int = 0,
    upstream: Upstream | None = None,
) -> BucketForecast:
    """When `bucket` will be fully patched, and whether its pending work fits the next window."""
    plan = plan_bucket(store, policy, bucket, now, concurrency=concurrency, upstream=upstream)
    spec = find_bucket(policy, bucket)
    openings = next_openings(spec.windows, now, FORECAST_OPENINGS, blackouts_for(policy, spec))
    forecast = forecast_plan(plan, openings, now=now, failure_rate=spec.failure_rate, seed=seed)
    return BucketForecast(plan, forecast)


def fleet_forecast(
    store: Store, policy: Policy, now: datetime, *, soak_days: float | None = None
) -> list[FixForecast]:
    """Per bucket: from "a fix is published at `now`" to "every host of the bucket runs it"."""
    soak = policy.defaults.soak_days if soak_days is None else soak_days
    found = []
    for spec in policy.buckets:
        hosts = bucket_hosts(store, policy, spec.name, now, packages=False)
        openings = next_openings(spec.windows, now, FORECAST_OPENINGS, blackouts_for(policy, spec))
        history = measured_history(store, spec.name)
        found.append(
            forecast_fix(spec, hosts, openings, published=now, soak_days=soak, history=history)
        )
    return found


__all__ = [
    "BucketForecast",
    "DeliveryResult",
    "WindowRow",
    "bucket_forecast",
    "calendar_feed",
    "fleet_forecast",
    "next_windows",
    "plan_bucket",
    "send_due_announcements",
    "upcoming_windows",
]
