"""What the run engine itself costs per host step, with a simulated executor that does nothing.

    .venv/bin/python bench/bench_runs_overhead.py [--hosts 10000] [--workers 1] [--db URL]
    .venv/bin/python bench/bench_runs_overhead.py --hosts 10000 --workers 2 --processes \
        --db postgresql+psycopg://postgres@127.0.0.1:5432/test

Four runs (rolling-reboot, in-place-gated, replace, manual; the crash bench's buckets) over
`--hosts` hosts are worked to the end by `--workers` engines: threads of this process, each its
own holder, or with `--processes` real `fleetpatch worker --until-idle` processes (the honest
case for several workers; their start-up, about a second, is in the time). The simulated
executor (a named fake) returns at once, so the wall time is the orchestrator's: claims, leases,
heartbeats, step records, audit rows and window and rate decisions. Printed: steps, seconds,
milliseconds per step and steps per second. A PostgreSQL URL names the server: the bench creates
a fresh database on it and drops it afterwards, so it never touches the tests' schemas.

With `--processes` the workers share one journal, and the bench checks what two workers must
never do: run an attempt of a host's step twice, or exceed a run's `max_concurrency`.
Target (issue: runs): < 5 ms of orchestrator time per step.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_runs_crash import check_journal, create_runs, policy_text
from common import fresh_pg_database
from fleetpatch.orchestrate.engine import Engine
from fleetpatch.orchestrate.executors import Journal, SimulatedExecutor
from fleetpatch.policy.loader import parse_policy
from fleetpatch.policy.records import Policy
from fleetpatch.simulate.hostmodel import SimulatedHostModel
from fleetpatch.store import Store, open_store
from fleetpatch.store.runs import RunRepository

FLEETPATCH = Path(sys.executable).with_name("fleetpatch")


def work_in_threads(store: Store, policy: Policy, workers: int, max_ticks: int) -> list[str]:
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
        for i in range(workers)
    ]
    errors: list[str] = []

    def work(engine: Engine) -> None:
        try:
            engine.run_until_idle(max_ticks=max_ticks, idle=lambda: engine.pause(0.01))
        except BaseException as exc:  # reported by the caller
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=3600)
    return errors


def work_in_processes(url: str, workers: int, workdir: Path, journal: Path) -> list[str]:
    policy_path = workdir / "fleet.yaml"
    policy_path.write_text(policy_text())
    argv = [
        str(FLEETPATCH),
        "--db",
        url,
        "--policy",
        str(policy_path),
        "worker",
        "--until-idle",
        "--sim-seed",
        "3",
        "--sim-journal",
        str(journal),
    ]
    procs = [
        subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(workers)
    ]
    errors = []
    for proc in procs:
        _, err = proc.communicate(timeout=3600)
        if proc.returncode != 0:
            errors.append(f"worker exited {proc.returncode}: {err[-2000:]}")
    return errors


def bench(url: str, args: argparse.Namespace) -> int:
    store = open_store(url)
    policy = parse_policy(policy_text())
    create_runs(store, policy, args.hosts, datetime.now(UTC))
    with tempfile.TemporaryDirectory() as tmp:
        journal = Path(tmp) / "journal.jsonl"
        started = time.perf_counter()
        if args.processes:
            errors = work_in_processes(url, args.workers, Path(tmp), journal)
        else:
            errors = work_in_threads(store, policy, args.workers, args.max_ticks)
        seconds = time.perf_counter() - started
        entries = Journal.read(journal)
    with store.session() as session:
        repo = RunRepository(session)
        runs = {r: repo.get(r) for r in repo.ids()}
        steps = sum(len(repo.steps(r)) for r in runs)
        states = [h.state for r in runs for h in repo.hosts(r)]
        limits = {r: run.concurrency_limit for r, run in runs.items() if run is not None}
        holders = Counter(
            str(a.detail.get("holder"))
            for a in repo.audit_log(limit=10**7)
            if a.action == "host.start"
        )
    store.close()
    if args.processes:
        errors += check_journal(entries, limits)
        if args.workers > 1 and len(holders) < 2:
            errors.append(f"the work was not shared: hosts started by {dict(holders)}")
    unfinished = sum(1 for s in states if s not in ("done", "failed", "blocked", "skipped"))
    dialect = url.split(":", 1)[0].split("+", 1)[0]
    mode = "processes" if args.processes else "threads"
    print(
        f"{dialect}, {args.workers} worker(s) ({mode}): {args.hosts:,} hosts, {steps:,} steps in "
        f"{seconds:.1f} s = {1000 * seconds / max(1, steps):.2f} ms per step "
        f"({steps / seconds:,.0f} steps/s); unfinished hosts {unfinished}"
    )
    if len(holders) > 1:
        print("hosts started per worker: " + ", ".join(str(n) for n in sorted(holders.values())))
    for error in errors:
        print("PROBLEM:", error, file=sys.stderr)
    return 1 if errors or unfinished else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--processes", action="store_true", help="workers are `fleetpatch worker` processes"
    )
    parser.add_argument("--db", help="store URL (default: a fresh SQLite file in /tmp)")
    parser.add_argument("--max-ticks", type=int, default=1_000_000)
    args = parser.parse_args()
    url = args.db or "sqlite:////tmp/fleetpatch-overhead-bench.db"
    if url.startswith("postgresql"):
        with fresh_pg_database(url) as fresh:
            return bench(fresh, args)
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    return bench(url, args)


if __name__ == "__main__":
    raise SystemExit(main())
