"""Run use cases: start (plan + frozen target), show, list, cancel, resume, halt, unhalt, audit.

Every operator action is written to the audit log with who (the OS user on the CLI, the token's
name on the web) and why. Starting a run freezes its target: the exact version of each package
every host will get, so a version published during the run never changes what the run installs.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from fleetpatch.app.cadence import plan_bucket
from fleetpatch.app.notices import enqueue_run_event
from fleetpatch.errors import InputError, UnknownNameError
from fleetpatch.exposure.drift import baseline_applies, baseline_specificity
from fleetpatch.policy.problems import did_you_mean
from fleetpatch.policy.records import EXECUTORS, STRATEGY_STEPS, Baseline, Bucket, Policy
from fleetpatch.runs.machine import host_steps, transition
from fleetpatch.runs.records import ERROR_HOST_STATES, TERMINAL_HOST_STATES, StepSpec
from fleetpatch.schedule.buckets import find_bucket
from fleetpatch.schedule.plan import Plan
from fleetpatch.store import Store
from fleetpatch.store.fleet import FleetReader
from fleetpatch.store.notices import NoticeRepository
from fleetpatch.store.runs import RunRepository
from fleetpatch.store.tables_runs import AuditRow, RunHostRow, RunRow, RunStepRow
from fleetpatch.versions import compare, scheme_for_ecosystem


@dataclass(frozen=True, slots=True)
class RunHostPlan:
    host: str
    wave: int
    canary: bool
    steps: tuple[str, ...]
    packages: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class StartedRun:
    id: str | None  # None for a dry run
    bucket: str
    executor: str
    hosts: tuple[RunHostPlan, ...]
    target: Mapping[str, Any]
    concurrency: int
    allowed_errors: int
    up_to_date: int
    notes: tuple[str, ...] = field(default_factory=tuple)


def new_run_id(now: datetime) -> str:
    return f"run-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def start_run(
    store: Store,
    policy: Policy,
    bucket_name: str,
    *,
    now: datetime,
    actor: str,
    executor: str | None = None,
    hosts: Sequence[str] | None = None,
    dry_run: bool = False,
    override_window: bool = False,
    reason: str = "",
    run_id: str | None = None,
    levels: Mapping[str, Mapping[str, str]] | None = None,
) -> StartedRun:
    """Plan the bucket's pending hosts into a run with a frozen target; store it unless dry.
    `run_id` names the run (the demo's are fixed, so it is the same every time); by default a
    fresh id from the time and a random suffix. `levels` (ecosystem -> package -> version)
    replaces the canonical levels as the target: an incident's run installs the fixed version
    of the affected packages, not everything newer."""
    bucket = find_bucket(policy, bucket_name)
    name = executor or bucket.executor
    if name is None:
        raise InputError(
            f"bucket {bucket.name!r} names no executor: set `executor:` in the policy or pass "
            f"--executor ({', '.join(EXECUTORS)})"
        )
    if name not in EXECUTORS:
        raise InputError(f"unknown executor {name!r}{did_you_mean(name, EXECUTORS)}")
    if override_window and not reason.strip():
        raise InputError("--override-window needs --reason: who asked, and why (it is audited)")
    if name == "local":
        _check_local_commands(bucket)
    if name == "ssh" and bucket.ssh is None:
        raise InputError(
            f"bucket {bucket.name!r}: the ssh executor needs the bucket's `ssh:` section "
            "(user, key_file or agent, known_hosts)"
        )
    plan = plan_bucket(store, policy, bucket.name, now)
    chosen = _choose_hosts(plan, hosts)
    with store.session() as session:
        headers = {h.hostname: h for h in FleetReader(session).current_headers()}
    ecosystem_of = {h: headers[h].ecosystem if h in headers else "" for h in chosen}
    newer = _newer_memo()
    if levels is None:
        levels = _target_levels(plan, chosen, ecosystem_of, policy.baselines, newer)
    specs = {reboot: host_steps(bucket, reboot=reboot) for reboot in (False, True)}
    planned: list[RunHostPlan] = []
    reboots: dict[str, bool] = {}
    run_id = None if dry_run else (run_id or new_run_id(now))
    for wave in plan.waves:
        for hp in wave.hosts:
            if hp.hostname not in chosen:
                continue
            eco = ecosystem_of[hp.hostname]
            mine = levels.get(eco, {})
            packages = {
                p.name: level
                for p in hp.packages
                if (level := mine.get(p.name)) is not None and newer(eco, level, p.installed)
            }
            reboots[hp.hostname] = hp.reboot_expected
            names = tuple(s.name for s in specs[hp.reboot_expected])
            planned.append(RunHostPlan(hp.hostname, wave.number, hp.canary, names, packages))
    planned = _renumber_waves(planned)
    target = {
        "frozen_at": now.isoformat(),
        "packages": {eco: dict(sorted(v.items())) for eco, v in sorted(levels.items()) if v},
    }
    allowed = bucket.max_errors.allowed(len(planned))
    notes = []
    if not planned:
        notes.append("no host of the bucket needs work: nothing to run")
    started = StartedRun(
        id=run_id,
        bucket=bucket.name,
        executor=name,
        hosts=tuple(planned),
        target=target,
        concurrency=plan.concurrency,
        allowed_errors=allowed,
        up_to_date=plan.up_to_date,
        notes=tuple(notes),
    )
    if run_id is None or not planned:
        return replace(started, id=None)
    rows = [_host_row(run_id, p, ecosystem_of[p.host], specs[reboots[p.host]]) for p in planned]
    run = RunRow(
        id=run_id,
        bucket=bucket.name,
        strategy=bucket.strategy,
        executor=name,
        state="planned",
        created_at=now,
        created_by=actor,
        reason=reason,
        override_window=override_window,
        concurrency_limit=plan.concurrency,
        allowed_errors=allowed,
        forgiven_errors=0,
        on_window_end=bucket.on_window_end,
        on_timeout=bucket.on_timeout,
        target=target,
        stop_reason="",
        updated_at=now,
        finished_at=None,
        claim_seq=0,
    )
    with store.session(write=True) as session:
        repo = RunRepository(session)
        repo.add_planned(run, rows)
        repo.audit(
            at=now,
            actor=actor,
            action="run.create",
            run_id=run_id,
            reason=reason,
            detail={
                "bucket": bucket.name,
                "executor": name,
                "hosts": len(rows),
                "override_window": override_window,
            },
        )
        if override_window:
            repo.audit(
                at=now, actor=actor, action="run.override_window", run_id=run_id, reason=reason
            )
    return started


def _check_local_commands(bucket: Bucket) -> None:
    missing = [s for s in STRATEGY_STEPS[bucket.strategy] if s not in bucket.steps]
    if missing:
        raise InputError(
            f"bucket {bucket.name!r}: the local executor needs a command for every step of "
            f"{bucket.strategy!r}; missing steps.{', steps.'.join(missing)}"
        )


def _choose_hosts(plan: Plan, hosts: Sequence[str] | None) -> set[str]:
    pending = {h.hostname for w in plan.waves for h in w.hosts}
    if not hosts:
        return pending
    unknown = [h for h in hosts if h not in pending]
    if unknown:
        first = unknown[0]
        where = f" among bucket {plan.bucket!r}'s hosts that need work"
        raise UnknownNameError("host", first, pending, where=where)
    return set(hosts)


def _newer(ecosystem: str, a: str, b: str) -> bool:
    return compare(scheme_for_ecosystem(ecosystem), a, b) > 0 if ecosystem else a != b


def _newer_memo() -> Callable[[str, str, str], bool]:
    """`_newer`, remembered for one plan: the hosts of an image ask about the same pairs, so a
    10,000-host run compares each distinct pair once instead of a million times."""
    seen: dict[tuple[str, str, str], bool] = {}

    def newer(ecosystem: str, a: str, b: str) -> bool:
        key = (ecosystem, a, b)
        found = seen.get(key)
        if found is None:
            found = seen[key] = _newer(ecosystem, a, b)
        return found

    return newer


def _host_row(
    run_id: str, host: RunHostPlan, ecosystem: str, steps: Sequence[StepSpec]
) -> dict[str, Any]:
    """The stored row of a planned host (a plain mapping: the run's hosts go in one insert)."""
    return {
        "run_id": run_id,
        "host": host.host,
        "wave": host.wave,
        "canary": host.canary,
        "state": "queued",
        "step_index": 0,
        "steps": [s.to_json() for s in steps],
        "target": {"ecosystem": ecosystem, "packages": dict(host.packages)},
        "failed_phase": "",
        "reason": "",
        "waiting_for": "",
    }


def _target_levels(
    plan: Plan,
    chosen: set[str],
    ecosystem_of: Mapping[str, str],
    baselines: Sequence[Baseline],
    newer: Callable[[str, str, str], bool] = _newer,
) -> dict[str, dict[str, str]]:
    """One level per (ecosystem, package) for the whole run: a pinned baseline where the policy
    pins one, else the newest candidate any host of the run was offered (the plan's candidates
    already honour the catalog's suites)."""
    levels: dict[str, dict[str, str]] = {}
    for wave in plan.waves:
        for hp in wave.hosts:
            if hp.hostname not in chosen:
                continue
            eco = ecosystem_of[hp.hostname]
            mine = levels.setdefault(eco, {})
            for p in hp.packages:
                if not p.candidate:
                    continue
                known = mine.get(p.name)
                if known is None or (p.candidate != known and newer(eco, p.candidate, known)):
                    mine[p.name] = p.candidate
    # As drift reads pins: an exact ecosystem beats a prefix (`Debian:`), which beats none.
    for pin in sorted(baselines, key=baseline_specificity):
        if pin.version in ("", "latest"):
            continue
        for eco, mine in levels.items():
            if pin.package in mine and baseline_applies(pin, eco):
                mine[pin.package] = pin.version
    return levels


def _renumber_waves(planned: list[RunHostPlan]) -> list[RunHostPlan]:
    """Waves numbered 1.. after `--hosts` left some out (so no empty wave holds a run up)."""
    numbers = {w: i + 1 for i, w in enumerate(sorted({p.wave for p in planned}))}
    return [RunHostPlan(p.host, numbers[p.wave], p.canary, p.steps, p.packages) for p in planned]


# -- reading ---------------------------------------------------------------------------------


def _step_json(step: RunStepRow) -> dict[str, Any]:
    return {
        "name": step.name,
        "outcome": step.outcome,
        "attempt": step.attempt,
        "started_at": step.started_at.isoformat(),
        "finished_at": step.finished_at.isoformat() if step.finished_at else None,
        "message": step.message,
        "evidence": step.evidence,
    }


def _host_json(host: RunHostRow, steps: Sequence[RunStepRow]) -> dict[str, Any]:
    return {
        "host": host.host,
        "wave": host.wave,
        "canary": host.canary,
        "state": host.state,
        "failed_phase": host.failed_phase or None,
        "reason": host.reason,
        "waiting_for": host.waiting_for or None,
        "started_at": host.started_at.isoformat() if host.started_at else None,
        "finished_at": host.finished_at.isoformat() if host.finished_at else None,
        "lease_holder": host.lease_holder,
        "target": host.target,
        "steps": [_step_json(s) for s in steps],
    }


def _run_json(run: RunRow, counts: Mapping[str, int]) -> dict[str, Any]:
    return {
        "id": run.id,
        "bucket": run.bucket,
        "strategy": run.strategy,
        "executor": run.executor,
        "simulated": run.executor == "simulated",
        "state": run.state,
        "created_at": run.created_at.isoformat(),
        "created_by": run.created_by,
        "reason": run.reason,
        "override_window": run.override_window,
        "max_concurrency": run.concurrency_limit,
        "max_errors": run.allowed_errors,
        "stop_reason": run.stop_reason or None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "hosts_by_state": dict(sorted(counts.items())),
    }


def show_run(store: Store, run_id: str) -> dict[str, Any]:
    """The `run show --format json` document: the run, its target, every host and step."""
    with store.session() as session:
        repo = RunRepository(session)
        run = repo.get(run_id)
        if run is None:
            raise UnknownNameError("run", run_id, repo.ids())
        hosts = repo.hosts(run_id)
        steps: dict[str, list[RunStepRow]] = {}
        for step in repo.steps(run_id):
            steps.setdefault(step.host, []).append(step)
        counts: dict[str, int] = {}
        for h in hosts:
            counts[h.state] = counts.get(h.state, 0) + 1
        return {
            **_run_json(run, counts),
            "target": run.target,
            "hosts": [_host_json(h, steps.get(h.host, [])) for h in hosts],
        }


def list_runs(
    store: Store, *, bucket: str | None = None, limit: int = 100, policy: Policy | None = None
) -> list[dict[str, Any]]:
    """Runs, newest first. A `bucket` that neither the policy nor any run knows is
    `UnknownNameError`; a known bucket without runs is an empty list."""
    with store.session() as session:
        repo = RunRepository(session)
        runs = repo.listing(bucket=bucket, limit=limit)
        if bucket and not runs:
            known = {*repo.buckets(), *(b.name for b in (policy or Policy()).buckets)}
            if bucket not in known:
                raise UnknownNameError("bucket", bucket, known, where=" in the policy or any run")
        counts = repo.host_counts([r.id for r in runs])
        return [_run_json(r, counts.get(r.id, {})) for r in runs]


def runs_of_host(store: Store, host: str, limit: int = 20) -> list[dict[str, Any]]:
    with store.session() as session:
        return [
            {
                "run": r.id,
                "bucket": r.bucket,
                "run_state": r.state,
                "state": h.state,
                "created_at": r.created_at.isoformat(),
                "reason": h.reason,
            }
            for r, h in RunRepository(session).runs_of_host(host, limit)
        ]


# -- operator actions ------------------------------------------------------------------------


def cancel_run(
    store: Store,
    run_id: str,
    *,
    now: datetime,
    actor: str,
    reason: str,
    policy: Policy | None = None,
) -> None:
    """No host starts again; queued hosts are skipped, in-flight hosts are blocked where they
    are (their current step may finish) for a human to look at. With the `policy`, the owner
    is told (a `run.stopped` notice in the outbox, delivered by the next worker tick)."""
    with store.session(write=True) as session:
        repo = RunRepository(session)
        run = _run(repo, run_id)
        run.state = transition(run.state, "cancel")
        run.updated_at = run.finished_at = now
        run.stop_reason = f"cancelled by {actor}: {reason}"
        for host in repo.hosts(run_id):
            if host.state == "queued":
                host.state, host.reason = "skipped", "run cancelled"
            elif host.state not in TERMINAL_HOST_STATES:
                host.failed_phase = host.state
                host.state = "blocked"
                host.reason = f"run cancelled during {host.failed_phase}; check the host by hand"
            else:
                continue
            host.finished_at = now
            host.lease_holder = host.lease_expires_at = None
        repo.audit(at=now, actor=actor, action="run.cancel", run_id=run_id, reason=reason)
        if policy is not None:
            enqueue_run_event(
                NoticeRepository(session),
                policy,
                run,
                repo.hosts(run_id),
                "run.stopped",
                f"cancelled by {actor}: {reason}",
                now,
            )


def resume_run(store: Store, run_id: str, *, now: datetime, actor: str, reason: str) -> None:
    """Resume a stopped run: the failures so far are forgiven once (the budget starts again)."""
    with store.session(write=True) as session:
        repo = RunRepository(session)
        run = _run(repo, run_id)
        run.state = transition(run.state, "resume")
        errors = sum(1 for h in repo.hosts(run_id) if h.state in ERROR_HOST_STATES)
        run.forgiven_errors = errors
        run.stop_reason = ""
        run.updated_at = now
        repo.audit(
            at=now,
            actor=actor,
            action="run.resume",
            run_id=run_id,
            reason=reason,
            detail={"forgiven_errors": errors},
        )


def _run(repo: RunRepository, run_id: str) -> RunRow:
    run = repo.lock(run_id)
    if run is None:
        raise UnknownNameError("run", run_id, repo.ids())
    return run


def halt(store: Store, *, now: datetime, actor: str, reason: str) -> bool:
    """Pull the andon cord: every worker starts no new step from its next tick on."""
    if not reason.strip():
        raise InputError("halt needs --reason: what is wrong (it is shown on every page)")
    with store.session(write=True) as session:
        repo = RunRepository(session)
        pulled = repo.set_halt(reason=reason, actor=actor, at=now)
        repo.audit(at=now, actor=actor, action="halt" if pulled else "halt.again", reason=reason)
        return pulled


def unhalt(store: Store, *, now: datetime, actor: str, reason: str = "") -> bool:
    with store.session(write=True) as session:
        repo = RunRepository(session)
        lifted = repo.clear_halt()
        repo.audit(at=now, actor=actor, action="unhalt" if lifted else "unhalt.none", reason=reason)
        return lifted


def halt_state(store: Store) -> dict[str, Any] | None:
    with store.session() as session:
        row = RunRepository(session).halt()
        if row is None:
            return None
        return {"reason": row.reason, "actor": row.actor, "at": row.at.isoformat()}


def audit_entries(
    store: Store, *, run_id: str | None = None, since: datetime | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    with store.session() as session:
        repo = RunRepository(session)
        if run_id is not None and repo.get(run_id) is None:
            raise UnknownNameError("run", run_id, repo.ids())
        rows: list[AuditRow] = repo.audit_log(run_id=run_id, since=since, limit=limit)
        return [
            {
                "at": r.at.isoformat(),
                "actor": r.actor,
                "action": r.action,
                "run": r.run_id,
                "host": r.host,
                "reason": r.reason,
                "detail": r.detail,
            }
            for r in rows
        ]
