"""Incident use cases: open (by hand or on import), expedite a bucket, close (by hand or when
every affected host is patched and running), and the worker's tick (status slots, the 75 %
escalation, the breach, auto-close).

Every operator action writes an audit entry (who: OS user or token name; why) and a timeline
event in the same transaction as its change and its notices, so a notice exists exactly when its
change was committed. An incident is named by its CVE: any advisory id or alias of it finds the
one open incident (`resolve_names`).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fleetpatch.advisories.records import LEVELS, Advisory
from fleetpatch.app.cadence import plan_bucket
from fleetpatch.errors import FleetpatchError, InputError, UnknownNameError
from fleetpatch.incidents import messages
from fleetpatch.incidents.live import BucketLine, LiveIncident, live_incident
from fleetpatch.orchestrate.service import start_run
from fleetpatch.policy.records import Policy
from fleetpatch.runs.incident_rules import current_slot, escalation_at
from fleetpatch.store import Store
from fleetpatch.store.advisories import AdvisoryRepository
from fleetpatch.store.fleet import FleetReader
from fleetpatch.store.incidents import IncidentRepository
from fleetpatch.store.notices import NoticeRepository
from fleetpatch.store.runs import RunRepository
from fleetpatch.store.tables_incidents import IncidentHostRow, IncidentRow
from fleetpatch.versions import compare, scheme_for_ecosystem

log = logging.getLogger(__name__)
ENGINE_ACTOR = "engine"
SEVERITIES = LEVELS[:-1]  # a given severity is never `unknown`


@dataclass(frozen=True, slots=True)
class Resolved:
    key: str  # the canonical name: the CVE id, else the lowest advisory id
    names: frozenset[str]
    advisories: tuple[Advisory, ...]


def resolve_names(store: Store, ident: str) -> Resolved:
    """Every advisory of one CVE from any of its names: the advisories answering to `ident`,
    then those answering to any CVE id they name (so a DSA, an ALSA and the CVE agree)."""
    with store.session() as session:
        repo = AdvisoryRepository(session)
        found = {a.id: a for a in repo.by_id_or_alias(ident)}
        if not found:
            known = repo.names()
            raise UnknownNameError("advisory", ident.strip(), known, where=" in the store")
        for cve in sorted({c for a in list(found.values()) for c in a.cve_ids}):
            found.update({a.id: a for a in repo.by_id_or_alias(cve)})
    advisories = tuple(found[k] for k in sorted(found))
    names = {ident.strip()}
    for a in advisories:
        names.update((a.id, *a.aliases, *a.cve_ids))
    cves = sorted(n for n in names if n.startswith("CVE-"))
    return Resolved(cves[0] if cves else advisories[0].id, frozenset(names), advisories)


def worst_severity(advisories: Sequence[Advisory]) -> str:
    return min((a.severity.level for a in advisories), key=LEVELS.index, default="unknown")


@dataclass(frozen=True, slots=True)
class Opened:
    id: str
    created: bool
    hosts: int
    key: str


def open_incident(
    store: Store,
    policy: Policy,
    ident: str,
    *,
    now: datetime,
    actor: str,
    deadline_seconds: int | None = None,
    severity: str | None = None,
    reason: str = "",
    auto: bool = False,
) -> Opened:
    """Open the incident of `ident`'s CVE, or return the open one it already has."""
    if severity is not None and severity not in SEVERITIES:
        raise InputError(f"unknown severity {severity!r} (severities: {', '.join(SEVERITIES)})")
    resolved = resolve_names(store, ident)
    level = severity or worst_severity(resolved.advisories)
    if level == "unknown":
        raise InputError(
            f"{ident}: the record gives no severity (Debian's DSA entries have none); "
            "give one with --severity critical|high|medium|low"
        )
    deadline = deadline_seconds or policy.incidents.deadline_seconds
    live = live_incident(store, policy, resolved.key, {}, [], now=now)
    disclosed = min((a.published for a in resolved.advisories if a.published), default=None)
    incident_id = f"inc-{now:%Y%m%d-%H%M}-{secrets.token_hex(2)}"
    row = IncidentRow(
        id=incident_id,
        name=resolved.key,
        open_key=resolved.key,
        advisory_ids=[a.id for a in resolved.advisories],
        summary=next((a.summary for a in resolved.advisories if a.summary), ""),
        severity=level,
        state="open",
        auto=auto,
        opened_at=now,
        opened_by=actor,
        reason=reason,
        disclosed_at=disclosed,
        deadline_at=now + timedelta(seconds=deadline),
        status_every=policy.incidents.status_every_seconds,
        escalated_at=None,
        breached_at=None,
        closed_at=None,
        closed_by="",
        close_reason="",
        record={"fixed_versions": {k: list(v) for k, v in _fixed(live).items()}},
    )
    hosts = [
        IncidentHostRow(incident_id=incident_id, host=h, bucket=b, owner=o, added_at=now)
        for h, b, o in live.new_members
    ]
    with store.session(write=True) as session:
        repo = IncidentRepository(session)
        stored_id, created = repo.add(row, resolved.names, hosts)
        if not created:
            return Opened(stored_id, False, len(repo.hosts(stored_id)), resolved.key)
        detail = {"incident": incident_id, "advisory": resolved.key, "hosts": len(hosts)}
        repo.event(incident_id, at=now, kind="opened", actor=actor, detail={**detail, "auto": auto})
        RunRepository(session).audit(
            at=now, actor=actor, action="incident.open", reason=reason, detail=detail
        )
        notices = NoticeRepository(session)
        told = messages.war_room(notices, policy, row, live, what="opened", now=now)
        owners = messages.tell_owners(notices, policy, row, live, now=now)
        paged = 0
        if policy.incidents.page_owners:
            paged = messages.page_owners(notices, policy, row, live, why="opened", now=now)
        repo.event(
            incident_id,
            at=now,
            kind="notified",
            actor=ENGINE_ACTOR,
            detail={"war_room": told, "owners": owners, "pages": paged},
        )
    return Opened(incident_id, True, len(hosts), resolved.key)


def _fixed(live: LiveIncident) -> dict[str, tuple[str, ...]]:
    return dict(live.report.fixed_versions) if live.report else {}


def auto_open_imported(
    store: Store, policy: Policy, *, since: datetime, now: datetime
) -> list[Opened]:
    """After an advisory import: open an incident for each advisory stored at or after `since`
    at or above `incidents.auto_open` that affects a host (an open one is kept, not doubled)."""
    threshold = policy.incidents.auto_open
    if threshold == "off":
        return []
    with store.session() as session:
        ids = IncidentRepository(session).imported_since(since)
        repo = AdvisoryRepository(session)
        records = [a for i in ids for a in repo.by_id_or_alias(i) if a.id == i]
    opened = []
    seen: set[str] = set()
    for advisory in records:
        if advisory.id in seen or advisory.severity.rank > LEVELS.index(threshold):
            continue
        resolved = resolve_names(store, advisory.id)
        seen.update(resolved.names)
        if not live_incident(store, policy, resolved.key, {}, [], now=now).new_members:
            continue
        opened.append(
            open_incident(
                store,
                policy,
                advisory.id,
                now=now,
                actor=ENGINE_ACTOR,
                reason=f"auto-opened on import: {advisory.severity.level} at or above "
                f"incidents.auto_open ({threshold})",
                auto=True,
            )
        )
    return opened


# -- reading the incident ------------------------------------------------------------------------


def find_incident(store: Store, name: str) -> str:
    """The incident an id, CVE id or advisory id names (the open one first)."""
    with store.session() as session:
        repo = IncidentRepository(session)
        found = repo.by_name(name.strip())
        if not found:
            raise UnknownNameError("incident", name.strip(), repo.ids())
        return found[0].id


def load_live(store: Store, policy: Policy, incident_id: str, now: datetime) -> LiveIncident:
    with store.session() as session:
        repo = IncidentRepository(session)
        row = repo.get(incident_id)
        if row is None:
            raise UnknownNameError("incident", incident_id, repo.ids())
        name = row.name
        members = {h.host: (h.bucket, h.owner) for h in repo.hosts(incident_id)}
        runs = run_ids(repo, incident_id)
    return live_incident(store, policy, name, members, runs, now=now)


def run_ids(repo: IncidentRepository, incident_id: str) -> list[str]:
    return [
        str(e.detail["run"])
        for e in repo.events(incident_id)
        if e.kind == "run.started" and e.detail.get("run")
    ]


# -- expedite --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expedited:
    kind: str  # run | checklist | waiting | nothing
    bucket: str
    run_id: str | None = None
    hosts: tuple[str, ...] = ()
    lines: tuple[str, ...] = field(default_factory=tuple)


WAITING_FOR_IMAGE = "waiting for an image carrying the fix"


def expedite(
    store: Store,
    policy: Policy,
    name: str,
    bucket: str,
    *,
    now: datetime,
    actor: str,
    reason: str = "",
    executor: str | None = None,
) -> Expedited:
    """A run for `bucket`'s affected hosts outside its window (an audited override of the window
    only), its frozen target the fixed versions; a manual bucket's checklist; or, for a replace
    bucket with no image carrying the fix yet, that it waits."""
    incident_id = find_incident(store, name)
    incident, live = _open_one(store, policy, incident_id, now)
    line = next((b for b in live.buckets if b.bucket == bucket), None)
    if line is None:
        known = [b.bucket for b in live.buckets if b.bucket]
        raise UnknownNameError("bucket", bucket, known, where=f" among incident {incident_id}'s")
    why = f"incident {incident_id} ({incident.name})" + (f": {reason}" if reason.strip() else "")
    todo = [h for h in line.hosts if h.state == "affected_fix_available"]
    if line.strategy == "manual":
        return _checklist(store, policy, incident, live, line, now=now, actor=actor, why=why)
    if line.waiting_for_image:
        lines = tuple(h.host for h in line.hosts if h.state == "waiting_for_image")
        return Expedited("waiting", bucket, hosts=lines, lines=(WAITING_FOR_IMAGE,))
    if not todo:
        return Expedited("nothing", bucket, lines=("no host of the bucket has a fix to install",))
    plan = plan_bucket(store, policy, bucket, now)
    pending = {h.hostname for w in plan.waves for h in w.hosts}
    chosen = [h.host for h in todo if h.host in pending]
    if not chosen:
        return Expedited("nothing", bucket, lines=("the catalog offers no fixed package yet",))
    started = start_run(
        store,
        policy,
        bucket,
        now=now,
        actor=actor,
        executor=executor,
        hosts=chosen,
        override_window=True,
        reason=why,
        levels=_levels(store, [h for h in todo if h.host in chosen]),
    )
    with store.session(write=True) as session:
        repo = IncidentRepository(session)
        detail = {"incident": incident_id, "bucket": bucket, "run": started.id}
        repo.event(incident_id, at=now, kind="run.started", actor=actor, detail=detail)
        RunRepository(session).audit(
            at=now,
            actor=actor,
            action="incident.expedite",
            run_id=started.id,
            reason=why,
            detail=detail,
        )
    skipped = [h.host for h in todo if h.host not in chosen]
    notes = tuple(f"{h}: the catalog offers no fixed package yet" for h in skipped)
    return Expedited("run", bucket, started.id, tuple(chosen), notes)


def _open_one(
    store: Store, policy: Policy, incident_id: str, now: datetime
) -> tuple[IncidentRow, LiveIncident]:
    with store.session() as session:
        row = IncidentRepository(session).get(incident_id)
        assert row is not None
        if row.state != "open":
            raise InputError(f"incident {incident_id} is {row.state}")
        session.expunge(row)
    return row, load_live(store, policy, incident_id, now)


def _levels(store: Store, hosts: Sequence[Any]) -> dict[str, dict[str, str]]:
    """One target per (ecosystem, package): the highest fixed version any host of the run needs."""
    with store.session() as session:
        eco = {h.hostname: h.ecosystem for h in FleetReader(session).current_headers()}
    levels: dict[str, dict[str, str]] = {}
    for h in hosts:
        ecosystem = eco.get(h.host, "")
        mine = levels.setdefault(ecosystem, {})
        for package, _, fixed in h.packages:
            if fixed is None:
                continue
            known = mine.get(package)
            scheme = scheme_for_ecosystem(ecosystem)
            if known is None or compare(scheme, fixed, known) > 0:
                mine[package] = fixed
    return levels


def _checklist(
    store: Store,
    policy: Policy,
    incident: IncidentRow,
    live: LiveIncident,
    line: BucketLine,
    *,
    now: datetime,
    actor: str,
    why: str,
) -> Expedited:
    found = policy.bucket(line.bucket or "")
    runbook = f" (runbook: {found.runbook})" if found is not None and found.runbook else ""
    lines = [f"Manual bucket {line.bucket}{runbook}: for each host, outside the window ({why}):"]
    for h in line.hosts:
        if h.done:
            continue
        fixes = ", ".join(f"{p} {v} -> {fix or 'no fix yet'}" for p, v, fix in h.packages)
        lines.append(
            f"[ ] {h.host}: install {fixes or 'the fix'}; reboot if the kernel or a running "
            "service changed; send a fresh report (fleetpatch collect --post)"
        )
    text = "\n".join(lines)
    with store.session(write=True) as session:
        messages.tell_owners(
            NoticeRepository(session),
            policy,
            incident,
            live,
            now=now,
            what=f"checklist/{line.bucket}",
            buckets=[line],
            text=text,
        )
        detail = {"incident": incident.id, "bucket": line.bucket, "hosts": len(lines) - 1}
        IncidentRepository(session).event(
            incident.id, at=now, kind="checklist", actor=actor, detail=detail
        )
        RunRepository(session).audit(
            at=now, actor=actor, action="incident.expedite", reason=why, detail=detail
        )
    hosts = tuple(h.host for h in line.hosts if not h.done)
    return Expedited("checklist", line.bucket or "", hosts=hosts, lines=tuple(lines))


# -- close -----------------------------------------------------------------------------------


def close_incident(
    store: Store,
    policy: Policy,
    name: str,
    *,
    now: datetime,
    actor: str,
    reason: str,
) -> bool:
    """Close by hand (audited), with the hosts still affected listed in its record."""
    if not reason.strip():
        raise InputError("incident close needs --reason: why close with hosts listed (audited)")
    incident_id = find_incident(store, name)
    incident, live = _open_one(store, policy, incident_id, now)
    return _close(store, policy, incident, live, now=now, actor=actor, reason=reason)


def _close(
    store: Store,
    policy: Policy,
    incident: IncidentRow,
    live: LiveIncident,
    *,
    now: datetime,
    actor: str,
    reason: str,
) -> bool:
    record = {**incident.record, **times_record(incident, live, now)}
    with store.session(write=True) as session:
        repo = IncidentRepository(session)
        if not repo.close(incident.id, at=now, actor=actor, reason=reason, record=record):
            return False
        repo.event(
            incident.id,
            at=now,
            kind="closed",
            actor=actor,
            detail={"reason": reason, "remaining": record["remaining"]},
        )
        RunRepository(session).audit(
            at=now,
            actor=actor,
            action="incident.close",
            reason=reason,
            detail={"incident": incident.id, "remaining": len(record["remaining"])},
        )
        closed = repo.get(incident.id)
        assert closed is not None
        messages.war_room(NoticeRepository(session), policy, closed, live, what="closed", now=now)
    return True


def _hours(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return max(0.0, (later - earlier).total_seconds() / 3600.0)


def times_record(incident: IncidentRow, live: LiveIncident, now: datetime) -> dict[str, Any]:
    """Time from disclosure, from opening and from fix available to fleet patched, overall and
    per bucket, from the stored patch pairs (as the dashboard's time to patch)."""
    pairs = live.pairs
    patched = [p.patched_at for p in pairs if p.patched_at is not None]
    fleet = max(patched) if pairs and len(patched) == len(pairs) else None
    fixes = [p.fix_available_at for p in pairs if p.fix_available_at is not None]
    fix_at = min(fixes) if fixes else None
    buckets = []
    for b in live.bucket_times(incident.disclosed_at):
        mine = [p.fix_available_at for p in pairs if p.bucket == b.bucket and p.fix_available_at]
        buckets.append(
            {
                "bucket": b.bucket,
                "hosts": b.hosts,
                "open": b.open,
                "last_patched_at": b.last_patched_at.isoformat() if b.last_patched_at else None,
                "days_from_disclosure": b.days,
                "hours_from_opening": _hours(b.last_patched_at, incident.opened_at),
                "hours_from_fix": _hours(b.last_patched_at, min(mine) if mine else None),
            }
        )
    return {
        "fleet_patched_at": fleet.isoformat() if fleet else None,
        "fix_available_at": fix_at.isoformat() if fix_at else None,
        "hours_from_disclosure": _hours(fleet, incident.disclosed_at),
        "hours_from_opening": _hours(fleet, incident.opened_at),
        "hours_from_fix": _hours(fleet, fix_at),
        "buckets": buckets,
        "remaining": [h.host for h in live.hosts if not h.done],
        "gone": [h.host for h in live.hosts if h.state == "gone"],
    }


# -- the worker's tick -------------------------------------------------------------------------


def incident_tick(store: Store, policy: Policy, *, now: datetime) -> int:
    """For each open incident: new members, the current status slot, the escalation, the breach,
    auto-close. Safe with several workers: each is a compare-and-set or a keyed notice."""
    with store.session() as session:
        open_ids = [r.id for r in IncidentRepository(session).listing(state="open")]
    done = 0
    for incident_id in open_ids:
        done += _tick_one(store, policy, incident_id, now)
    return done


def _tick_one(store: Store, policy: Policy, incident_id: str, now: datetime) -> int:
    live = load_live(store, policy, incident_id, now)
    actions = 0
    with store.session(write=True) as session:
        repo = IncidentRepository(session)
        row = repo.get(incident_id)
        if row is None or row.state != "open":
            return 0
        notices = NoticeRepository(session)
        added = repo.add_hosts(
            [
                IncidentHostRow(incident_id=incident_id, host=h, bucket=b, owner=o, added_at=now)
                for h, b, o in live.new_members
            ]
        )
        if added:
            repo.event(
                incident_id, at=now, kind="hosts.added", actor=ENGINE_ACTOR, detail={"hosts": added}
            )
            actions += 1
        slot = current_slot(row.opened_at, row.status_every, now)
        if slot >= 1 and not live.all_done:
            actions += messages.war_room(
                notices, policy, row, live, what="status", now=now, slot=slot
            )
        remaining = live.remaining > 0
        escalate = remaining and now >= escalation_at(row.opened_at, row.deadline_at)
        if escalate and repo.mark(incident_id, "escalated_at", now):
            paged = messages.page_owners(notices, policy, row, live, why="escalated", now=now)
            detail = {"pages": paged, "remaining": live.remaining}
            repo.event(incident_id, at=now, kind="escalated", actor=ENGINE_ACTOR, detail=detail)
            actions += 1
        if remaining and now >= row.deadline_at and repo.mark(incident_id, "breached_at", now):
            detail = {"remaining": live.remaining}
            repo.event(incident_id, at=now, kind="breached", actor=ENGINE_ACTOR, detail=detail)
            actions += 1
        session.expunge(row)
    if live.all_done:
        reason = "every affected host is patched and running"
        actions += _close(store, policy, row, live, now=now, actor=ENGINE_ACTOR, reason=reason)
    return actions


def incident_ticker(store: Store, policy: Policy) -> Callable[[datetime], int]:
    """What a worker runs each tick (`Engine(on_tick=...)`): the incident tick, where a store
    error is logged and tried again next tick rather than stopping the runs."""

    def tick(now: datetime) -> int:
        try:
            return incident_tick(store, policy, now=now)
        except FleetpatchError as exc:
            log.warning("incident tick failed (tried again next tick): %s", exc)
            return 0

    return tick
