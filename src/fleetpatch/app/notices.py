"""Notices: run events and pages, written to the outbox with the change, delivered by workers.

Run events (`run.started`, `wave.done`, `run.finished`, `run.stopped` for a stop, a halt or a
cancel) go to the bucket owner's team through every webhook, Slack and e-mail notifier of the
policy (e-mail only when the team has an address). Pages (`page.trigger` for a host that failed
or passed a deadline with `on_timeout: page`; `page.resolve` once that host is done) go through
every `pagerduty` notifier, keyed by `dedup_key` so a resend is the same incident.

`enqueue_*` run inside the transaction that makes the change, so a notice exists exactly when
its change was committed. `deliver_notices` is what a worker runs each tick: at most `per_tick`
deliveries and `budget_seconds` of time, each claimed (and committed) before it is sent and
recorded after. Delivery is at most once for run events: a claim its sender did not settle is
reported (`notice_report`) and left for a human. A page is sent until accepted: its unsettled
claim is taken again after `claim_ttl`, and a retryable failure is tried again later with a
growing backoff, up to `max_attempts`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fleetpatch.notify.base import Message, Notifier, NotifyError
from fleetpatch.policy.records import Policy
from fleetpatch.store import Store
from fleetpatch.store.notices import Notice, NoticeRepository
from fleetpatch.store.tables_runs import RunHostRow, RunRow

log = logging.getLogger(__name__)

# A message lists at most this many hosts (Slack shows fewer still, e-mail up to 1,000).
MAX_ITEMS = 1000
RUN_EVENTS = ("run.started", "wave.done", "run.finished", "run.stopped")
PAGE_EVENTS = ("page.trigger", "page.resolve")
# Phases in which a stuck host may be down for its users: the page is critical.
CRITICAL_PHASES = frozenset({"rebooting", "post_check", "verifying"})


@dataclass(frozen=True, slots=True)
class DeliveryLimits:
    """How much delivering a worker does per tick, and how it retries."""

    per_tick: int = 20
    budget_seconds: float = 30.0
    claim_ttl: float = 300.0  # a claim older than this is unsettled (its sender died)
    max_attempts: int = 10
    backoff_seconds: float = 30.0  # after a retryable failure; doubled after each
    max_backoff_seconds: float = 3600.0


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    abandoned: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.sent or self.failed or self.abandoned)


# -- routing ---------------------------------------------------------------------------------


def event_channels(policy: Policy) -> list[str]:
    return [n.name for n in policy.notifiers if n.kind != "pagerduty"]


def page_channels(policy: Policy) -> list[str]:
    return [n.name for n in policy.notifiers if n.kind == "pagerduty"]


def _owner(policy: Policy, bucket: str) -> tuple[str, str, str]:
    found = policy.bucket(bucket)
    team = found.owner if found is not None else ""
    owner = policy.owner(team) if team else None
    contacts = owner.contacts if owner is not None else None
    return team, contacts.chat if contacts else "", contacts.email if contacts else ""


# -- run events ------------------------------------------------------------------------------


def enqueue_run_event(
    repo: NoticeRepository,
    policy: Policy,
    run: RunRow,
    hosts: Sequence[RunHostRow],
    event: str,
    reason: str,
    now: datetime,
    *,
    wave: int | None = None,
) -> int:
    """Add one run event for the owner's team through each event channel; returns how many."""
    channels = event_channels(policy)
    team, chat, email = _owner(policy, run.bucket)
    if not channels or not team:
        return 0
    message = run_event_message(run, hosts, event, reason, now, wave=wave)
    kinds = {n.name: n.kind for n in policy.notifiers}
    added = 0
    for channel in channels:
        if kinds[channel] == "email" and not email:
            continue
        body = {**message, "team": team, "chat": chat, "email": email}
        added += repo.add(
            key=message["key"],
            team=team,
            channel=channel,
            event=event,
            message=body,
            now=now,
            run_id=run.id,
        )
    return added


def run_event_message(
    run: RunRow,
    hosts: Sequence[RunHostRow],
    event: str,
    reason: str,
    now: datetime,
    *,
    wave: int | None = None,
) -> dict[str, Any]:
    """What a run event says: subject, text, the hosts concerned (items) and fields."""
    counts: dict[str, int] = {}
    for h in hosts:
        counts[h.state] = counts.get(h.state, 0) + 1
    waves = sorted({h.wave for h in hosts})
    tally = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    simulated = " (simulated executor: no real host touched)" if run.executor == "simulated" else ""
    if event == "run.started":
        key = f"{run.id}/run.started"
        subject = f"{run.bucket}: run {run.id} started"
        text = (
            f"{len(hosts)} host(s) in {len(waves)} wave(s), executor {run.executor}{simulated}, "
            f"at most {run.concurrency_limit} at once, stops at failure {run.allowed_errors + 1}."
        )
        chosen = list(hosts)
    elif event == "wave.done":
        key = f"{run.id}/wave-{wave}/done"
        mine = [h for h in hosts if h.wave == wave]
        subject = f"{run.bucket}: run {run.id} wave {wave} of {len(waves)} done"
        text = (
            "Wave hosts: "
            + ", ".join(f"{k}={v}" for k, v in sorted(_count(mine).items()))
            + f". Run so far: {tally}."
        )
        chosen = mine
    elif event == "run.finished":
        key = f"{run.id}/run.finished"
        subject = f"{run.bucket}: run {run.id} finished"
        text = f"Every host finished: {tally}.{simulated}"
        chosen = [h for h in hosts if h.state != "done"]
    else:
        # A run may stop, resume and stop again: each stop is its own notice.
        key = f"{run.id}/run.stopped/{now.strftime('%Y%m%dT%H%M%S.%fZ')}"
        subject = f"{run.bucket}: run {run.id} {run.state}"
        text = f"{reason or run.stop_reason}. Hosts: {tally}."
        chosen = [h for h in hosts if h.state in ("failed", "blocked")]
    text += f"\nDetails: fleetpatch run show {run.id}"
    items = [_host_line(h) for h in chosen[:MAX_ITEMS]]
    if len(chosen) > MAX_ITEMS:
        items.append(f"… and {len(chosen) - MAX_ITEMS} more")
    return {
        "key": key,
        "subject": subject,
        "text": text,
        "items": items,
        "fields": {
            "event": event,
            "run": run.id,
            "bucket": run.bucket,
            "state": run.state,
            "executor": run.executor,
            "wave": wave,
            "reason": reason,
            "hosts_by_state": dict(sorted(counts.items())),
        },
    }


def _count(hosts: Sequence[RunHostRow]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for h in hosts:
        counts[h.state] = counts.get(h.state, 0) + 1
    return counts


def _host_line(h: RunHostRow) -> str:
    why = f" ({h.reason})" if h.reason and h.state != "done" else ""
    return f"{h.host}: {h.state}{why}"


def done_waves(hosts: Sequence[RunHostRow], terminal: frozenset[str]) -> list[int]:
    """Waves whose every host has finished."""
    waves: dict[int, bool] = {}
    for h in hosts:
        waves[h.wave] = waves.get(h.wave, True) and h.state in terminal
    return sorted(w for w, done in waves.items() if done)


# -- pages -----------------------------------------------------------------------------------


def enqueue_page(
    repo: NoticeRepository,
    policy: Policy,
    run: RunRow,
    host: RunHostRow,
    *,
    dedup_key: str,
    step: str,
    now: datetime,
) -> int:
    """Add a trigger for a host that needs a human, through each pagerduty channel."""
    channels = page_channels(policy)
    team, _, _ = _owner(policy, run.bucket)
    if not channels or not team:
        return 0
    phase = host.failed_phase
    summary = f"{run.bucket}: {host.host} {host.state} in {phase or step}: {host.reason}"
    message = {
        "key": dedup_key,
        "subject": summary,
        "text": "",
        "team": team,
        "items": [],
        "fields": {
            "event_action": "trigger",
            "severity": "critical" if phase in CRITICAL_PHASES else "error",
            "source": host.host,
            "component": step,
            "group": run.bucket,
            "custom_details": {
                "run": run.id,
                "host": host.host,
                "bucket": run.bucket,
                "owner": team,
                "step": step,
                "phase": phase,
                "state": host.state,
                "reason": host.reason,
                "executor": run.executor,
                "details": f"fleetpatch run show {run.id}",
            },
        },
    }
    return sum(
        repo.add(
            key=f"{dedup_key}/trigger",
            team=team,
            channel=channel,
            event="page.trigger",
            message=message,
            now=now,
            run_id=run.id,
            host=host.host,
            resend=True,
        )
        for channel in channels
    )


def enqueue_resolves(repo: NoticeRepository, run: RunRow, host: str, now: datetime) -> int:
    """A host is done: resolve every page still open for it (from this run or an earlier one)."""
    added = 0
    for trigger in repo.open_pages(host):
        dedup_key = str(trigger.message["key"])
        message = {
            "key": dedup_key,
            "subject": f"{run.bucket}: {host} is done (run {run.id})",
            "text": "",
            "team": trigger.team,
            "items": [],
            "fields": {"event_action": "resolve"},
        }
        added += repo.add(
            key=f"{dedup_key}/resolve",
            team=trigger.team,
            channel=trigger.channel,
            event="page.resolve",
            message=message,
            now=now,
            run_id=run.id,
            host=host,
            resend=True,
        )
    return added


# -- delivery --------------------------------------------------------------------------------


def deliver_notices(
    store: Store,
    notifiers: Sequence[Notifier],
    *,
    holder: str,
    now: datetime,
    limits: DeliveryLimits = DeliveryLimits(),
    monotonic: Any = time.monotonic,
) -> DeliveryReport:
    """Deliver due notices through `notifiers`: claim one, send it, record it; bounded."""
    by_name: Mapping[str, Notifier] = {n.name: n for n in notifiers}
    if not by_name:
        return DeliveryReport()
    deadline = monotonic() + limits.budget_seconds
    sent = failed = abandoned = 0
    for _ in range(limits.per_tick):
        if monotonic() >= deadline:
            break
        with store.session(write=True) as session:
            notice = NoticeRepository(session).claim_next(
                list(by_name), holder, now, limits.claim_ttl
            )
        if notice is None:
            break
        status = _send(store, by_name[notice.channel], notice, holder, now, limits)
        sent += status == "sent"
        failed += status == "failed"
        abandoned += status == "abandoned"
    return DeliveryReport(sent, failed, abandoned)


def _send(
    store: Store,
    notifier: Notifier,
    notice: Notice,
    holder: str,
    now: datetime,
    limits: DeliveryLimits,
) -> str:
    message = message_of(notice)
    error, retry_at = "", None
    try:
        notifier.send(message)
    except NotifyError as exc:
        error = str(exc)
        if exc.retryable and notice.attempts < limits.max_attempts:
            wait = limits.backoff_seconds * 2 ** (notice.attempts - 1)
            retry_at = now + timedelta(seconds=min(wait, limits.max_backoff_seconds))
        log.warning(
            "notice %s to %s via %s failed (attempt %d): %s",
            notice.key,
            notice.team,
            notice.channel,
            notice.attempts,
            error,
            extra={"run": notice.run_id, "host": notice.host},
        )
    with store.session(write=True) as session:
        return NoticeRepository(session).finish(
            notice.id, holder=holder, now=now, error=error, retry_at=retry_at
        )


def message_of(notice: Notice) -> Message:
    body = notice.message
    return Message(
        key=str(body.get("key", notice.key)),
        subject=str(body.get("subject", "")),
        text=str(body.get("text", "")),
        team=notice.team,
        chat=str(body.get("chat", "")),
        email=str(body.get("email", "")),
        fields=dict(body.get("fields", {})),
        items=tuple(str(i) for i in body.get("items", ())),
    )


# -- reading ---------------------------------------------------------------------------------


def notice_report(
    store: Store,
    *,
    now: datetime,
    run_id: str | None = None,
    problems_only: bool = False,
    limits: DeliveryLimits = DeliveryLimits(),
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Deliveries as rows for `fleetpatch notices`: `state` is the status, or `unsettled` for a
    claim older than `claim_ttl` (its sender died: the message may or may not have left)."""
    statuses = ("claimed", "failed", "abandoned") if problems_only else None
    with store.session() as session:
        found = NoticeRepository(session).listing(run_id=run_id, statuses=statuses, limit=limit)
    rows = []
    for n in found:
        state = "unsettled" if n.unsettled(now, limits.claim_ttl) else n.status
        if problems_only and state == "claimed":
            continue  # being sent right now
        rows.append(
            {
                "id": n.id,
                "event": n.event,
                "run": n.run_id,
                "host": n.host,
                "team": n.team,
                "channel": n.channel,
                "state": state,
                "resend": n.resend,
                "attempts": n.attempts,
                "created_at": n.created_at.isoformat(),
                "claimed_at": n.claimed_at.isoformat() if n.claimed_at else None,
                "sent_at": n.sent_at.isoformat() if n.sent_at else None,
                "next_at": n.next_at.isoformat() if n.status == "failed" else None,
                "key": n.key,
                "subject": str(n.message.get("subject", "")),
                "error": n.error,
            }
        )
    return rows
