"""A kit for engine tests: a policy with one bucket, runs inserted as `run start` would store
them, a clock the test moves, and engines over the simulated executor (a named fake)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fleetpatch.orchestrate.engine import Engine
from fleetpatch.orchestrate.executors import Executor, Journal, SimulatedExecutor
from fleetpatch.policy.records import (
    Bucket,
    Concurrency,
    Gate,
    Policy,
    Window,
)
from fleetpatch.runs.machine import host_steps
from fleetpatch.simulate.hostmodel import SimulatedHostModel
from fleetpatch.store import Store
from fleetpatch.store.runs import RunRepository
from fleetpatch.store.tables_runs import RunHostRow, RunRow

# Thursday 2026-12-03 03:10 UTC: inside the daily 03:00-04:00 window.
IN_WINDOW = datetime(2026, 12, 3, 3, 10, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = IN_WINDOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_bucket(**changes: Any) -> Bucket:
    base = Bucket(
        name="db",
        owner="dba",
        strategy="in-place-gated",
        windows=(Window("0 3 * * *", 60),),
        gates=(
            Gate("pre-check", ("true",), 60, "pre"),
            Gate("post-check", ("true",), 60, "post"),
        ),
        concurrency=Concurrency(count=2),
        verify="none",
    )
    return replace(base, **changes)


@dataclass
class Kit:
    store: Store
    clock: Clock = field(default_factory=Clock)
    journal: Journal = field(default_factory=lambda: Journal(None))

    def policy(self, *buckets: Bucket) -> Policy:
        return Policy(buckets=tuple(buckets) or (make_bucket(),))

    def run(
        self,
        bucket: Bucket,
        hosts: Sequence[str] | int,
        *,
        waves: Sequence[Sequence[str]] | None = None,
        executor: str = "simulated",
        reboot: bool = True,
        override_window: bool = False,
        limit: int | None = None,
        allowed_errors: int | None = None,
        on_timeout: str | None = None,
        canary_first: bool = False,
        run_id: str = "run-test",
        target: dict[str, Any] | None = None,
    ) -> str:
        names = [f"h{i:04d}" for i in range(hosts)] if isinstance(hosts, int) else list(hosts)
        grouped = [list(w) for w in waves] if waves else [names]
        specs = host_steps(bucket, reboot=reboot)
        rows = [
            RunHostRow(
                run_id=run_id,
                host=host,
                wave=number,
                canary=canary_first and number == 1,
                state="queued",
                step_index=0,
                steps=[s.to_json() for s in specs],
                target=target or {"ecosystem": "Debian:12", "packages": {"openssl": "3.0.15"}},
                failed_phase="",
                reason="",
                waiting_for="",
            )
            for number, wave in enumerate(grouped, start=1)
            for host in wave
        ]
        now = self.clock()
        run = RunRow(
            id=run_id,
            bucket=bucket.name,
            strategy=bucket.strategy,
            executor=executor,
            state="planned",
            created_at=now,
            created_by="test",
            reason="",
            override_window=override_window,
            concurrency_limit=limit or bucket.concurrency.limit(len(rows)),
            allowed_errors=(
                bucket.max_errors.allowed(len(rows)) if allowed_errors is None else allowed_errors
            ),
            forgiven_errors=0,
            on_window_end=bucket.on_window_end,
            on_timeout=on_timeout or bucket.on_timeout,
            target={},
            stop_reason="",
            updated_at=now,
            finished_at=None,
            claim_seq=0,
        )
        with self.store.session(write=True) as session:
            RunRepository(session).add(run, rows)
        return run_id

    def engine(
        self,
        policy: Policy,
        *,
        holder: str = "w1:1:1",
        failure_rate: dict[str, float] | None = None,
        hang_rate: float = 0.0,
        sleep: float = 0.0,
        executors: dict[str, Executor] | None = None,
        lease_ttl: float = 60,
        parallel: int = 4,
    ) -> Engine:
        model = SimulatedHostModel(seed=1, failure_rate=failure_rate or {}, hang_rate=hang_rate)
        found: dict[str, Executor] = {
            "simulated": SimulatedExecutor(model, self.journal, sleep=sleep)
        }
        found.update(executors or {})
        return Engine(
            self.store,
            policy,
            found,
            clock=self.clock,
            holder=holder,
            lease_ttl=lease_ttl,
            parallel=parallel,
        )

    def hosts(self, run_id: str = "run-test") -> dict[str, RunHostRow]:
        with self.store.session() as session:
            return {h.host: h for h in RunRepository(session).hosts(run_id)}

    def states(self, run_id: str = "run-test") -> dict[str, str]:
        return {name: h.state for name, h in self.hosts(run_id).items()}

    def run_state(self, run_id: str = "run-test") -> str:
        with self.store.session() as session:
            run = RunRepository(session).get(run_id)
            assert run is not None
            return run.state

    def audit(self, action: str | None = None) -> list[Any]:
        with self.store.session() as session:
            rows = RunRepository(session).audit_log()
        return [r for r in rows if action is None or r.action == action]


def max_in_flight(entries: Sequence[dict[str, Any]], first: str, last: str) -> int:
    """The most hosts between their `first` step's begin and their `last` step's end at once,
    read off the journal's order."""
    live: set[str] = set()
    most = 0
    for e in entries:
        if e["step"] == first and e["event"] == "begin":
            live.add(e["host"])
        most = max(most, len(live))
        if (e["step"] == last and e["event"] in ("end", "failed", "timeout")) or (
            e["event"] in ("failed", "timeout")
        ):
            live.discard(e["host"])
    return most


Kit.bucket = staticmethod(make_bucket)  # type: ignore[attr-defined]
Kit.max_in_flight = staticmethod(max_in_flight)  # type: ignore[attr-defined]


@pytest.fixture
def kit(store: Store) -> Kit:
    return Kit(store)


@pytest.fixture
def sqlite_kit(tmp_path: Any) -> Callable[[], Kit]:
    from fleetpatch.store import open_store

    def make() -> Kit:
        return Kit(open_store(f"sqlite:///{tmp_path / 'runs.db'}"))

    return make
