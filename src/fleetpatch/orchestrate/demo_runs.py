"""The demo's three runs, made by the engine itself with the simulated executor on a virtual clock.

`build_demo_runs` starts real runs (`service.start_run`, frozen targets from the demo fleet's
plans) and works them with a real `Engine` whose executor is the simulated one, paced so each
step takes its modelled time on a virtual clock:

- **finished**: a few `stateless` hosts replaced in the bucket's last window;
- **stopped**: a few `databases` hosts in their last window, in which a gate fails on one host
  after others passed; the engine pages and the error budget (0) stops the run;
- **in progress**: `k8s-nodes` canary and nodes, worked until shortly before `now`, then the
  worker stops: hosts are left in flight and queued, as a live run is between two ticks.

Nothing is written by hand: every row comes from `start_run` and the engine. The model's failure
draw is deterministic: the failing run uses the first model seed (from the demo's seed on) under
which the first host to fail is not the first host and fails at a gate. A bucket whose windows
did not open in the last week (a change freeze) gets an audited window override instead. The
runs are labelled: executor `simulated`, and the reason says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetpatch.app.cadence import bucket_hosts
from fleetpatch.errors import InputError
from fleetpatch.orchestrate import service
from fleetpatch.orchestrate.engine import Engine
from fleetpatch.orchestrate.executors import (
    SimulatedExecutor,
    StepContext,
    StepFailed,
    StepResult,
    Verification,
)
from fleetpatch.policy.records import Bucket, Policy
from fleetpatch.schedule.buckets import bucket_is_open, find_bucket, next_window
from fleetpatch.schedule.plan import make_plan
from fleetpatch.schedule.windows import Opening
from fleetpatch.simulate.hostmodel import SimulatedHostModel
from fleetpatch.store import Store
from fleetpatch.store.runs import RunRepository

ACTOR = "demo"
REASON = "demo: simulated executor on a virtual clock; no real host was touched"
HOLDER = "demo-worker:0:0"
LEASE_TTL = 12 * 3600.0  # virtual seconds: a host's steps in one claim never outlive it
MAX_TICKS = 200
SEED_TRIES = 1000
FAILURE_RATE = 0.3
FINISHED_HOSTS, STOPPED_HOSTS, LIVE_HOSTS = 6, 5, 16
LIVE_FOR = timedelta(minutes=45)  # the live run started this long before `now`…
FROZEN_BEFORE = timedelta(minutes=3)  # …and its worker stopped this long before `now`


@dataclass(frozen=True, slots=True)
class DemoRun:
    id: str
    bucket: str
    state: str
    hosts_by_state: dict[str, int]
    pages: int


@dataclass(frozen=True, slots=True)
class DemoRuns:
    runs: tuple[DemoRun, ...]
    skipped: tuple[str, ...]  # buckets with no host to patch (a tiny demo fleet)
    seconds: float


class VirtualClock:
    """The engine's clock: moves only when a step's modelled time is spent, never past `until`."""

    def __init__(self, start: datetime, until: datetime) -> None:
        self.now = start
        self.until = until

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now = min(self.now + timedelta(seconds=seconds), self.until)


class PacedSimulatedExecutor:
    """The simulated executor, with each step's modelled seconds spent on a virtual clock;
    `stop_at` asks the engine to stop (finish the step in hand, start no other) once reached."""

    name = "simulated"

    def __init__(
        self,
        inner: SimulatedExecutor,
        clock: VirtualClock,
        stop_at: datetime | None = None,
    ) -> None:
        self.inner = inner
        self.clock = clock
        self.stop_at = stop_at
        self.on_stop: Callable[[], None] = lambda: None

    def run(self, ctx: StepContext) -> StepResult:
        try:
            result = self.inner.run(ctx)
        except StepFailed as exc:
            self._spend(exc.evidence.get("simulated_seconds", 0.0))
            raise
        self._spend(result.evidence.get("simulated_seconds", 0.0))
        return result

    def verify(self, ctx: StepContext) -> Verification:
        return self.inner.verify(ctx)

    def _spend(self, seconds: object) -> None:
        self.clock.advance(float(seconds) if isinstance(seconds, int | float) else 0.0)
        if self.stop_at is not None and self.clock.now >= self.stop_at:
            self.on_stop()


def build_demo_runs(store: Store, policy: Policy, *, now: datetime, seed: int) -> DemoRuns:
    """Start and work the demo's three runs (see the module docstring); deterministic."""
    started = time.perf_counter()
    kit = _Kit(store, policy, now, seed)
    made: list[str] = []
    skipped: list[str] = []
    for bucket, make in (
        ("stateless", _finished),
        ("databases", _stopped_by_gate),
        ("k8s-nodes", _in_progress),
    ):
        try:
            made.append(make(kit, find_bucket(policy, bucket)))
        except _NothingToRun:
            skipped.append(bucket)
    runs = tuple(_summary(store, run_id) for run_id in made)
    return DemoRuns(runs, tuple(skipped), time.perf_counter() - started)


class _NothingToRun(Exception):
    """No host of the bucket needs work (a demo of a handful of hosts): that run is left out."""


@dataclass(frozen=True, slots=True)
class _Kit:
    store: Store
    policy: Policy
    now: datetime
    seed: int


def _finished(kit: _Kit, bucket: Bucket) -> str:
    at, override = _last_window(kit.policy, bucket, kit.now)
    run_id = _start(kit, bucket, _pending(kit, bucket, at)[:FINISHED_HOSTS], at, override, "1")
    _drive(kit, run_id, at, SimulatedHostModel(seed=kit.seed))
    return run_id


def _stopped_by_gate(kit: _Kit, bucket: Bucket) -> str:
    at, override = _last_window(kit.policy, bucket, kit.now)
    run_id = _start(kit, bucket, _pending(kit, bucket, at)[:STOPPED_HOSTS], at, override, "2")
    _drive(kit, run_id, at, _model_failing_at_a_gate(kit, bucket, run_id))
    return run_id


def _in_progress(kit: _Kit, bucket: Bucket) -> str:
    at = kit.now - LIVE_FOR
    override = not bucket_is_open(kit.policy, bucket, at)
    run_id = _start(kit, bucket, _pending(kit, bucket, at)[:LIVE_HOSTS], at, override, "3")
    _drive(kit, run_id, at, SimulatedHostModel(seed=kit.seed), stop_at=kit.now - FROZEN_BEFORE)
    return run_id


def _last_window(policy: Policy, bucket: Bucket, now: datetime) -> tuple[datetime, bool]:
    """The start of the bucket's last window that ended by `now` in the past week, and False;
    or, in a freeze, a week ago and True (the run overrides the window, audited)."""
    week_ago = now - timedelta(days=7)
    found: Opening | None = None
    at = week_ago
    for _ in range(100):  # a daily window opens 7 times a week; 100 is more than any policy
        opening = next_window(policy, bucket, at)
        if opening is None or opening.end > now:
            break
        found, at = opening, opening.end
    if found is None:
        return week_ago, True
    return found.start, False


def _pending(kit: _Kit, bucket: Bucket, at: datetime) -> list[str]:
    """The bucket's hosts that need work, in the order the plan's waves take them (waves need
    no package facts, so this plan skips them: `start_run` computes them for the chosen hosts)."""
    hosts = bucket_hosts(kit.store, kit.policy, bucket.name, at, packages=False)
    plan = make_plan(bucket, hosts, bucket_size=len(hosts), window=None, history={})
    names = [h.hostname for w in plan.waves for h in sorted(w.hosts, key=lambda h: h.hostname)]
    if not names:
        raise _NothingToRun(bucket.name)
    return names


def _start(
    kit: _Kit, bucket: Bucket, hosts: Sequence[str], at: datetime, override: bool, suffix: str
) -> str:
    reason = REASON + ("; outside the bucket's window, to show a live run" if override else "")
    run_id = f"run-{at:%Y%m%d-%H%M%S}-demo{suffix}"
    service.start_run(
        kit.store,
        kit.policy,
        bucket.name,
        now=at,
        actor=ACTOR,
        executor="simulated",
        hosts=list(hosts),
        override_window=override,
        reason=reason,
        run_id=run_id,
    )
    return run_id


def _model_failing_at_a_gate(kit: _Kit, bucket: Bucket, run_id: str) -> SimulatedHostModel:
    """The first model (seed on from the demo's) under which the first host to fail, in the
    order the engine takes the run's hosts, comes after one that passed and fails at a gate."""
    gates = {g.name for g in bucket.gates}
    with kit.store.session() as session:
        rows = RunRepository(session).hosts(run_id)  # by wave, then name: the engine's order
        plans = [(r.host, tuple(str(s["name"]) for s in r.steps)) for r in rows]
    for candidate in range(kit.seed, kit.seed + SEED_TRIES):
        model = SimulatedHostModel(seed=candidate, failure_rate={bucket.name: FAILURE_RATE})
        failing = (
            (i, model.failing_step(bucket.name, host, steps))
            for i, (host, steps) in enumerate(plans)
        )
        first = next(((i, step) for i, step in failing if step is not None), None)
        after_a_pass = first is not None and (first[0] > 0 or len(plans) == 1)
        if first is not None and after_a_pass and first[1] in gates:
            return model
    raise InputError(f"demo: no model seed in {SEED_TRIES} fails a gate of {bucket.name!r}")


def _drive(
    kit: _Kit,
    run_id: str,
    at: datetime,
    model: SimulatedHostModel,
    *,
    stop_at: datetime | None = None,
) -> None:
    """Work the run with the engine from `at` until it has nothing left to do (or, with
    `stop_at`, until the virtual clock reaches it)."""
    clock = VirtualClock(at, kit.now)
    paced = PacedSimulatedExecutor(SimulatedExecutor(model), clock, stop_at)
    engine = Engine(
        kit.store,
        kit.policy,
        {"simulated": paced},
        clock=clock,
        holder=HOLDER,
        lease_ttl=LEASE_TTL,
        parallel=1,  # one host at a time: the same order, and the same rows, every time
    )
    paced.on_stop = engine.request_stop
    engine.run_until_idle(max_ticks=MAX_TICKS, idle=lambda: clock.advance(60))


def _summary(store: Store, run_id: str) -> DemoRun:
    with store.session() as session:
        repo = RunRepository(session)
        run = repo.get(run_id)
        assert run is not None  # made just now
        counts = repo.host_counts([run_id]).get(run_id, {})
        pages = sum(1 for a in repo.audit_log(run_id=run_id) if a.action == "page")
        return DemoRun(run.id, run.bucket, run.state, dict(sorted(counts.items())), pages)
