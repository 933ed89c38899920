"""What `incident show`, `incidents`, the pages and the API show: the incident, its hosts by
bucket and owner with their states and runs, the fixed versions, the status slots (posted,
failed, unsettled or missed), the burn-down of remaining hosts per bucket, the timeline and the
times. Read only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fleetpatch.app.notices import DeliveryLimits
from fleetpatch.incidents.live import LiveIncident
from fleetpatch.incidents.service import load_live, times_record
from fleetpatch.policy.records import Policy
from fleetpatch.runs.incident_rules import current_slot, escalation_at, slot_start
from fleetpatch.store import Store
from fleetpatch.store.incidents import IncidentRepository
from fleetpatch.store.tables_incidents import IncidentRow
from fleetpatch.store.tables_notices import NoticeRow


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _summary(row: IncidentRow, now: datetime, remaining: int | None = None) -> dict[str, Any]:
    end = row.closed_at or now
    return {
        "id": row.id,
        "advisory": row.name,
        "advisories": list(row.advisory_ids),
        "summary": row.summary,
        "severity": row.severity,
        "state": row.state,
        "auto": row.auto,
        "opened_at": row.opened_at.isoformat(),
        "opened_by": row.opened_by,
        "reason": row.reason,
        "disclosed_at": _iso(row.disclosed_at),
        "deadline_at": row.deadline_at.isoformat(),
        "escalates_at": escalation_at(row.opened_at, row.deadline_at).isoformat(),
        "escalated_at": _iso(row.escalated_at),
        "breached": row.breached_at is not None,
        "breached_at": _iso(row.breached_at),
        "closed_at": _iso(row.closed_at),
        "closed_by": row.closed_by or None,
        "close_reason": row.close_reason or None,
        "age_seconds": (end - row.opened_at).total_seconds(),
        "remaining": remaining,
    }


def list_incidents(
    store: Store, *, now: datetime, state: str | None = None
) -> list[dict[str, Any]]:
    with store.session() as session:
        repo = IncidentRepository(session)
        rows = repo.listing(state=state)
        return [_summary(r, now, _remaining_of(r)) for r in rows]


def _remaining_of(row: IncidentRow) -> int | None:
    kept = row.record.get("remaining")
    return len(kept) if row.state == "closed" and isinstance(kept, list) else None


def show_incident(
    store: Store, policy: Policy, incident_id: str, *, now: datetime
) -> dict[str, Any]:
    live = load_live(store, policy, incident_id, now)
    with store.session() as session:
        repo = IncidentRepository(session)
        row = repo.get(incident_id)
        assert row is not None
        events = repo.events(incident_id)
        notices = repo.notices(incident_id)
        names = repo.names(incident_id)
        added = {h.host: h.added_at for h in repo.hosts(incident_id)}
        doc = _summary(row, now, live.remaining)
        times = dict(row.record) if row.state == "closed" else times_record(row, live, now)
        slots = status_slots(row, notices, now)
        timeline = [
            {"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "detail": e.detail}
            for e in events
        ] + [
            {
                "at": (n.sent_at or n.created_at).isoformat(),
                "kind": f"notice.{_state(n, now)}",
                "actor": n.claimed_by or "",
                "detail": {"key": n.key, "team": n.team, "channel": n.channel, "error": n.error},
            }
            for n in notices
        ]
        burn = burn_down(row, live, added, now)
    timeline.sort(key=lambda t: str(t["at"]))
    fixed = row.record.get("fixed_versions", {})
    if live.report is not None:
        fixed = {k: list(v) for k, v in live.report.fixed_versions.items()} or fixed
    return {
        **doc,
        "names": names,
        "hosts": len(live.hosts),
        "fixed_versions": fixed,
        "buckets": [
            {
                "bucket": b.bucket,
                "owner": b.owner,
                "strategy": b.strategy,
                "contacts": dict(b.contacts),
                "remaining": b.remaining,
                "patched": b.count("patched"),
                "waiting_for_image": b.waiting_for_image,
                "note": "waiting for an image carrying the fix" if b.waiting_for_image else None,
                "fixed_image": b.fixed_image,
                "hosts": [
                    {
                        "host": h.host,
                        "state": h.state,
                        "packages": [
                            {"package": p, "installed": v, "fixed": f} for p, v, f in h.packages
                        ],
                        "run": h.run,
                        "run_state": h.run_state,
                        "reason": h.reason or None,
                        "affected_since": _iso(h.affected_since),
                        "patched_at": _iso(h.patched_at),
                    }
                    for h in b.hosts
                ],
            }
            for b in live.buckets
        ],
        "status_slots": slots,
        "burn_down": burn,
        "times": times,
        "timeline": timeline,
    }


def _state(n: NoticeRow, now: datetime) -> str:
    limits = DeliveryLimits()
    claimed = n.claimed_at
    if n.status == "claimed" and claimed and (now - claimed).total_seconds() >= limits.claim_ttl:
        return "unsettled"
    return n.status


def status_slots(row: IncidentRow, notices: list[NoticeRow], now: datetime) -> list[dict[str, Any]]:
    """Every slot from 1 to the current one (or the one at closing): how its post went, or
    `missed` when no worker reached it while it was current."""
    prefix = f"incident/{row.id}/status/"
    posts = {int(n.key[len(prefix) :]): n for n in notices if n.key.startswith(prefix)}
    last = current_slot(row.opened_at, row.status_every, row.closed_at or now)
    out = []
    for slot in range(1, last + 1):
        notice = posts.get(slot)
        out.append(
            {
                "slot": slot,
                "due_at": slot_start(row.opened_at, row.status_every, slot).isoformat(),
                "state": _state(notice, now) if notice else "missed",
                "sent_at": _iso(notice.sent_at) if notice else None,
                "error": (notice.error or None) if notice else None,
            }
        )
    return out


def burn_down(
    row: IncidentRow, live: LiveIncident, added: dict[str, datetime], now: datetime
) -> list[dict[str, Any]]:
    """Remaining hosts per bucket at opening, at each host's patch time and at the end (closing
    or now). A host counts from when it was affected (at the latest, when it joined) until the
    report that showed it patched and running; hosts that left the fleet are not counted."""
    end = row.closed_at or now
    spans = []
    for h in live.hosts:
        if h.state == "gone":
            continue
        start = min(h.affected_since or added.get(h.host, row.opened_at), added.get(h.host, end))
        stop = h.patched_at if h.state == "patched" else None
        spans.append((h.bucket or "", start, stop))
    moments = sorted(
        {row.opened_at, end, *(s for _, _, s in spans if s and row.opened_at < s < end)}
    )
    points = []
    for at in moments:
        by_bucket: dict[str, int] = {}
        for bucket, start, stop in spans:
            if start <= at and (stop is None or stop > at):
                by_bucket[bucket] = by_bucket.get(bucket, 0) + 1
            else:
                by_bucket.setdefault(bucket, 0)
        points.append(
            {"at": at.isoformat(), "remaining": sum(by_bucket.values()), "by_bucket": by_bucket}
        )
    return points
