"""What an incident says, and to whom, written to the notice outbox (`store/notices.py`).

Every delivery has a stable key, so adding it twice (two workers, a restart) adds it once:

- war room (the policy's `incidents.war_room` notifier, team `war-room`):
  `incident/<id>/opened`, `incident/<id>/status/<slot>`, `incident/<id>/closed`;
- each affected owner, through every chat/webhook/e-mail notifier but the war room:
  `incident/<id>/owner/<team>` (their hosts and the deadline), `incident/<id>/checklist/<bucket>`;
- pages, through every pagerduty notifier (resendable: PagerDuty's dedup_key):
  `incident/<id>/page/opened/<team>` when `page_owners`, `incident/<id>/page/escalated/<team>` at
  75 % of the deadline.

Chat, webhook and e-mail go at most once (a claim whose sender died is reported, not resent): a
slot that could not be posted shows on the incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fleetpatch.app.notices import MAX_ITEMS, event_channels, page_channels
from fleetpatch.incidents.live import BucketLine, LiveIncident
from fleetpatch.policy.records import Policy
from fleetpatch.store.notices import NoticeRepository
from fleetpatch.store.tables_incidents import IncidentRow

WAR_ROOM_TEAM = "war-room"


def key_prefix(incident_id: str) -> str:
    return f"incident/{incident_id}/"


def _left(incident: IncidentRow, now: datetime) -> str:
    seconds = (incident.deadline_at - now).total_seconds()
    if seconds < 0:
        return f"deadline passed {_span(-seconds)} ago"
    return f"{_span(seconds)} left to the deadline ({incident.deadline_at:%Y-%m-%d %H:%M} UTC)"


def _span(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h{rest // 60:02d}m"


def _bucket_line(b: BucketLine) -> str:
    total = len(b.hosts)
    waiting = " — waiting for an image carrying the fix" if b.waiting_for_image else ""
    return (
        f"{b.bucket or '(unclassified)'} ({b.owner or 'no owner'}): "
        f"{total - b.remaining}/{total} patched, {b.remaining} remaining{waiting}"
    )


def status_text(incident: IncidentRow, live: LiveIncident, now: datetime) -> tuple[str, list[str]]:
    runs = sorted({h.run for h in live.hosts if h.run and h.run_state not in _RUN_DONE})
    blocked = [h for h in live.hosts if h.run_state in ("blocked", "failed")]
    lines = [_bucket_line(b) for b in live.buckets]
    text = (
        f"{live.remaining} of {len(live.hosts)} host(s) remaining; {_left(incident, now)}."
        + (f" Runs in progress: {', '.join(runs)}." if runs else " No run in progress.")
        + f"\nDetails: fleetpatch incident show {incident.id}"
    )
    items = lines + [f"{h.host}: {h.run_state} ({h.reason})" for h in blocked]
    return text, items[:MAX_ITEMS]


_RUN_DONE = frozenset({"done", "failed", "blocked", "replaced", "skipped", None})


def _fields(incident: IncidentRow, event: str, live: LiveIncident, **extra: Any) -> dict[str, Any]:
    return {
        "event": event,
        "incident": incident.id,
        "advisory": incident.name,
        "severity": incident.severity,
        "deadline": incident.deadline_at.isoformat(),
        "remaining": live.remaining,
        "hosts": len(live.hosts),
        "by_bucket": {b.bucket or "": b.remaining for b in live.buckets},
        **extra,
    }


def war_room(
    repo: NoticeRepository,
    policy: Policy,
    incident: IncidentRow,
    live: LiveIncident,
    *,
    what: str,
    now: datetime,
    slot: int | None = None,
) -> bool:
    """Add one war-room post (`opened`, `status` of `slot`, `closed`); False when already added
    or when the policy has no war room."""
    channel = policy.incidents.war_room
    if not channel:
        return False
    text, items = status_text(incident, live, now)
    if what == "opened":
        key, subject = "opened", f"Incident {incident.id} opened: {incident.name}"
        text = f"{incident.summary or incident.name} ({incident.severity}). " + text
    elif what == "status":
        key, subject = f"status/{slot}", f"Incident {incident.id} status {slot}: {incident.name}"
    else:
        key, subject = "closed", f"Incident {incident.id} closed: {incident.name}"
        text = f"{incident.close_reason or 'every affected host is patched'}. " + text
    full = key_prefix(incident.id) + key
    return repo.add(
        key=full,
        team=WAR_ROOM_TEAM,
        channel=channel,
        event=f"incident.{what}",
        message={
            "key": full,
            "subject": subject,
            "text": text,
            "items": items,
            "fields": _fields(incident, what, live, slot=slot),
        },
        now=now,
    )


def owner_channels(policy: Policy) -> list[str]:
    return [c for c in event_channels(policy) if c != policy.incidents.war_room]


def tell_owners(
    repo: NoticeRepository,
    policy: Policy,
    incident: IncidentRow,
    live: LiveIncident,
    *,
    now: datetime,
    what: str = "owner",
    buckets: Sequence[BucketLine] | None = None,
    text: str = "",
) -> int:
    """One message per affected owner (team) through each owner channel: their hosts, the fix,
    the deadline. `what`=`checklist/<bucket>` for a manual bucket's checklist."""
    kinds = {n.name: n.kind for n in policy.notifiers}
    added = 0
    by_team: dict[str, list[BucketLine]] = {}
    for b in buckets if buckets is not None else live.buckets:
        if b.owner:
            by_team.setdefault(b.owner, []).append(b)
    for team, mine in sorted(by_team.items()):
        owner = policy.owner(team)
        chat = owner.contacts.chat if owner else ""
        email = owner.contacts.email if owner else ""
        items = [
            f"{h.host} [{h.bucket}]: {h.state}"
            + "".join(f"; {p} {v} -> {fix or 'no fix yet'}" for p, v, fix in h.packages)
            for b in mine
            for h in b.hosts
            if not h.done
        ][:MAX_ITEMS]
        key = key_prefix(incident.id) + (what if what != "owner" else f"owner/{team}")
        body = text or (
            f"{incident.name} ({incident.severity}) affects {len(items)} of your host(s); "
            f"patch by {incident.deadline_at:%Y-%m-%d %H:%M} UTC. Expedite outside the window: "
            f"fleetpatch incident expedite {incident.id} BUCKET --reason TEXT"
        )
        for channel in owner_channels(policy):
            if kinds[channel] == "email" and not email:
                continue
            added += repo.add(
                key=key,
                team=team,
                channel=channel,
                event="incident.owner",
                message={
                    "key": key,
                    "subject": f"Incident {incident.id}: {incident.name} — your hosts",
                    "text": body,
                    "items": items,
                    "team": team,
                    "chat": chat,
                    "email": email,
                    "fields": _fields(incident, what, live, team=team),
                },
                now=now,
            )
    return added


def page_owners(
    repo: NoticeRepository,
    policy: Policy,
    incident: IncidentRow,
    live: LiveIncident,
    *,
    why: str,
    now: datetime,
) -> int:
    """A page to each owner with hosts remaining, through each pagerduty notifier."""
    added = 0
    for team in sorted({b.owner for b in live.buckets if b.owner and b.remaining}):
        dedup = key_prefix(incident.id) + f"page/{why}/{team}"
        remaining = sum(b.remaining for b in live.buckets if b.owner == team)
        message = {
            "key": dedup,
            "subject": f"Incident {incident.id} ({incident.name}): {remaining} host(s) of "
            f"{team} not patched; {_left(incident, now)}",
            "text": "",
            "items": [],
            "fields": {
                "event_action": "trigger",
                "severity": "critical",
                "source": "fleetpatch",
                "component": "incident",
                "group": team,
                "custom_details": {
                    "incident": incident.id,
                    "advisory": incident.name,
                    "remaining": remaining,
                    "deadline": incident.deadline_at.isoformat(),
                    "why": why,
                    "details": f"fleetpatch incident show {incident.id}",
                },
            },
        }
        for channel in page_channels(policy):
            added += repo.add(
                key=f"{dedup}/trigger",
                team=team,
                channel=channel,
                event="page.trigger",
                message=message,
                now=now,
                resend=True,
            )
    return added
