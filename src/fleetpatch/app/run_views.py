"""What the run pages show: runs with their waves' progress, one run host by host, a host's and a
bucket's recent runs, and the andon cord. Read-only; every figure comes from the store.

A host's *current step* is the attempt still `running`, else (while the host is in flight) the
next step of its frozen plan. A *failed gate* is a gate attempt that ended `failed` or `timeout`;
a host *paged* when the engine wrote a `page` entry for it to the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fleetpatch.errors import UnknownNameError
from fleetpatch.runs.records import ERROR_HOST_STATES, LIVE_RUN_STATES, TERMINAL_HOST_STATES
from fleetpatch.store import Store
from fleetpatch.store.run_queries import RunQueries
from fleetpatch.store.runs import RunRepository
from fleetpatch.store.tables_runs import AuditRow, RunHostRow, RunRow, RunStepRow

RECENT_RUNS = 10
AUDIT_TAIL = 50


@dataclass(frozen=True, slots=True)
class HaltBanner:
    reason: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class WaveProgress:
    number: int
    hosts: int
    done: int  # finished well: done, replaced, skipped
    failed: int
    blocked: int
    in_flight: int
    queued: int


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: str
    bucket: str
    strategy: str
    executor: str
    state: str
    created_at: datetime
    created_by: str
    reason: str
    override_window: bool
    stop_reason: str
    finished_at: datetime | None
    max_concurrency: int
    max_errors: int
    waves: tuple[WaveProgress, ...]
    paged: int  # hosts the engine paged for

    @property
    def simulated(self) -> bool:
        return self.executor == "simulated"

    @property
    def live(self) -> bool:
        return self.state in LIVE_RUN_STATES

    def total(self, field: str) -> int:
        return sum(int(getattr(w, field)) for w in self.waves)


@dataclass(frozen=True, slots=True)
class StepView:
    name: str
    kind: str  # gate, step, verify ("" when the plan does not name it)
    outcome: str
    attempt: int
    started_at: datetime
    finished_at: datetime | None
    message: str
    evidence: Mapping[str, Any]

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def failed_gate(self) -> bool:
        return self.kind == "gate" and self.outcome in ("failed", "timeout")


@dataclass(frozen=True, slots=True)
class HostInRun:
    host: str
    wave: int
    canary: bool
    state: str
    current_step: str | None
    failed_phase: str
    reason: str
    waiting_for: str
    paged: bool
    steps: tuple[StepView, ...]

    @property
    def failed_gates(self) -> tuple[StepView, ...]:
        return tuple(s for s in self.steps if s.failed_gate)


@dataclass(frozen=True, slots=True)
class AuditLine:
    at: datetime
    actor: str
    action: str
    host: str
    reason: str


@dataclass(frozen=True, slots=True)
class RunDetail:
    run: RunSummary
    target: Mapping[str, Any]
    waves: tuple[tuple[int, tuple[HostInRun, ...]], ...]
    audit: tuple[AuditLine, ...]


@dataclass(frozen=True, slots=True)
class HostRun:
    """One host's part in one run (the host page)."""

    run: RunSummary
    host: HostInRun


def halt_banner(store: Store) -> HaltBanner | None:
    """The fleet-wide halt, for the banner on every page (one primary-key read)."""
    with store.session() as session:
        row = RunQueries(session).halt()
        return HaltBanner(row.reason, row.actor, row.at) if row is not None else None


def recent_runs(store: Store, *, bucket: str | None = None, limit: int = 50) -> list[RunSummary]:
    """Runs newest first (of one bucket, or all), with each wave's progress."""
    with store.session() as session:
        queries = RunQueries(session)
        if bucket is None:
            rows = RunRepository(session).listing(limit=limit)
        else:
            rows = queries.runs_with_bucket(bucket, limit)
        return _summaries(queries, rows)


def run_detail(store: Store, run_id: str) -> RunDetail:
    """One run, wave by wave and host by host, with every step attempt and the run's audit tail."""
    with store.session() as session:
        repo = RunRepository(session)
        row = repo.get(run_id)
        if row is None:
            raise UnknownNameError("run", run_id, repo.ids())
        queries = RunQueries(session)
        (summary,) = _summaries(queries, [row])
        paged = queries.paged_hosts([run_id]).get(run_id, set())
        steps: dict[str, list[RunStepRow]] = {}
        for step in repo.steps(run_id):
            steps.setdefault(step.host, []).append(step)
        waves: dict[int, list[HostInRun]] = {}
        for host in repo.hosts(run_id):
            view = _host_in_run(host, steps.get(host.host, []), host.host in paged)
            waves.setdefault(host.wave, []).append(view)
        audit = repo.audit_log(run_id=run_id, limit=AUDIT_TAIL)
        return RunDetail(
            run=summary,
            target=dict(row.target),
            waves=tuple((n, tuple(hosts)) for n, hosts in sorted(waves.items())),
            audit=tuple(_audit_line(a) for a in audit),
        )


def host_runs(store: Store, host: str, *, limit: int = RECENT_RUNS) -> list[HostRun]:
    """The host's part in its most recent runs, newest first, with its steps in each."""
    with store.session() as session:
        repo = RunRepository(session)
        queries = RunQueries(session)
        pairs = repo.runs_of_host(host, limit)
        run_ids = [r.id for r, _ in pairs]
        summaries = {s.id: s for s in _summaries(queries, [r for r, _ in pairs])}
        paged = queries.paged_hosts(run_ids)
        steps: dict[str, list[RunStepRow]] = {}
        for step in queries.host_steps(host, run_ids):
            steps.setdefault(step.run_id, []).append(step)
        return [
            HostRun(
                summaries[r.id],
                _host_in_run(h, steps.get(r.id, []), host in paged.get(r.id, set())),
            )
            for r, h in pairs
        ]


def _summaries(queries: RunQueries, rows: Sequence[RunRow]) -> list[RunSummary]:
    ids = [r.id for r in rows]
    counts = queries.wave_counts(ids)
    paged = queries.paged_hosts(ids)
    return [
        RunSummary(
            id=r.id,
            bucket=r.bucket,
            strategy=r.strategy,
            executor=r.executor,
            state=r.state,
            created_at=r.created_at,
            created_by=r.created_by,
            reason=r.reason,
            override_window=r.override_window,
            stop_reason=r.stop_reason,
            finished_at=r.finished_at,
            max_concurrency=r.concurrency_limit,
            max_errors=r.allowed_errors,
            waves=tuple(_wave(n, c) for n, c in sorted(counts.get(r.id, {}).items())),
            paged=len(paged.get(r.id, set())),
        )
        for r in rows
    ]


def _wave(number: int, states: Mapping[str, int]) -> WaveProgress:
    def of(*names: str) -> int:
        return sum(states.get(n, 0) for n in names)

    in_flight = sum(n for s, n in states.items() if s != "queued" and s not in TERMINAL_HOST_STATES)
    return WaveProgress(
        number=number,
        hosts=sum(states.values()),
        done=of(*(TERMINAL_HOST_STATES - ERROR_HOST_STATES)),
        failed=of("failed"),
        blocked=of("blocked"),
        in_flight=in_flight,
        queued=of("queued"),
    )


def _host_in_run(row: RunHostRow, attempts: Sequence[RunStepRow], paged: bool) -> HostInRun:
    kinds = {str(s.get("name")): str(s.get("kind", "")) for s in row.steps}
    steps = tuple(
        StepView(
            name=a.name,
            kind=kinds.get(a.name, ""),
            outcome=a.outcome,
            attempt=a.attempt,
            started_at=a.started_at,
            finished_at=a.finished_at,
            message=a.message,
            evidence=dict(a.evidence or {}),
        )
        for a in attempts
    )
    return HostInRun(
        host=row.host,
        wave=row.wave,
        canary=row.canary,
        state=row.state,
        current_step=_current_step(row, steps),
        failed_phase=row.failed_phase,
        reason=row.reason,
        waiting_for=row.waiting_for,
        paged=paged,
        steps=steps,
    )


def _current_step(row: RunHostRow, steps: Sequence[StepView]) -> str | None:
    if row.state == "queued" or row.state in TERMINAL_HOST_STATES:
        return None
    running = [s.name for s in steps if s.outcome == "running"]
    if running:
        return running[-1]
    if row.step_index < len(row.steps):
        return str(row.steps[row.step_index].get("name"))
    return None


def _audit_line(row: AuditRow) -> AuditLine:
    return AuditLine(row.at, row.actor, row.action, row.host or "", row.reason)
