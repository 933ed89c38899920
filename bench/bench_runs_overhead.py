"""What the run engine itself costs per host step, with a simulated executor that does nothing.

    .venv/bin/python bench/bench_runs_overhead.py [--hosts 10000] [--workers 1] [--db URL]
    .venv/bin/python bench/bench_runs_overhead.py --hosts 10000 --workers 2 \
        --db postgresql+psycopg://postgres@127.0.0.1:5432/test

Four runs (rolling-reboot, in-place-gated, replace, manual; the crash bench's buckets) over
`--hosts` hosts are worked to the end by `--workers` engines in this process (threads, each its
own holder, as separate `fleetpatch worker` processes would be). The simulated executor (a named
fake) returns at once, so the wall time is the orchestrator's: claims, leases, heartbeats, step
records, audit rows and window and rate decisions. Printed: steps, seconds, milliseconds per
step and steps per second. A PostgreSQL URL is used as given: the runs' tables are emptied first.
Target (issue: runs): < 5 ms of orchestrator time per step.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import delete

from bench_runs_crash import create_runs, policy_text
from fleetpatch.orchestrate.engine import Engine
from fleetpatch.orchestrate.executors import Journal, SimulatedExecutor
from fleetpatch.policy.loader import parse_policy
from fleetpatch.simulate.hostmodel import SimulatedHostModel
from fleetpatch.store import open_store
from fleetpatch.store.runs import RunRepository
from fleetpatch.store.tables_runs import AuditRow, RunHostRow, RunRow, RunStepRow


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--db", help="store URL (default: a fresh SQLite file in /tmp)")
    parser.add_argument("--max-ticks", type=int, default=1_000_000)
    args = parser.parse_args()
    url = args.db or "sqlite:////tmp/fleetpatch-overhead-bench.db"
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    store = open_store(url)
    with store.session(write=True) as session:
        for table in (RunStepRow, AuditRow, RunHostRow, RunRow):
            session.execute(delete(table))
    policy = parse_policy(policy_text())
    now = datetime.now(UTC)
    create_runs(store, policy, args.hosts, now)
    model = SimulatedHostModel(
        seed=3, failure_rate={b.name: b.failure_rate for b in policy.buckets}
    )
    engines = [
        Engine(
            store,
            policy,
            {"simulated": SimulatedExecutor(model, Journal(None))},
            clock=lambda: datetime.now(UTC),
            holder=f"bench-{i}:1:1",
        )
        for i in range(args.workers)
    ]
    errors: list[BaseException] = []

    def work(engine: Engine) -> None:
        try:
            engine.run_until_idle(max_ticks=args.max_ticks, idle=lambda: engine.pause(0.01))
        except BaseException as exc:  # reported below
            errors.append(exc)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=3600)
    seconds = time.perf_counter() - started
    with store.session() as session:
        repo = RunRepository(session)
        steps = sum(len(repo.steps(r)) for r in repo.ids())
        states = [h.state for r in repo.ids() for h in repo.hosts(r)]
    store.close()
    unfinished = sum(1 for s in states if s not in ("done", "failed", "blocked", "skipped"))
    dialect = url.split(":", 1)[0]
    print(
        f"{dialect}, {args.workers} worker(s): {args.hosts:,} hosts, {steps:,} steps in "
        f"{seconds:.1f} s = {1000 * seconds / max(1, steps):.2f} ms per step "
        f"({steps / seconds:,.0f} steps/s); unfinished hosts {unfinished}"
    )
    if errors or unfinished:
        print(f"errors: {errors!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
