"""Kill -9 the worker at random points of four simulated runs, one per strategy; then check.

    .venv/bin/python bench/bench_runs_crash.py [--hosts 1000] [--kills 50] [--seed 7] [--db URL]

Four runs (rolling-reboot, in-place-gated, replace, manual) share `--hosts` hosts. A real
`fleetpatch worker --until-idle` process works them with the simulated executor (a named fake:
no real host is touched; every side effect goes to a JSON-lines journal) and is killed with
SIGKILL `--kills` times at random moments; a last worker finishes. The checks:

- every run finished; no host is left in flight, leased or cordoned;
- no completed step ran twice (journal attempts vs the store's attempt rows);
- `max_concurrency` was never exceeded at any instant (journal order);
- the final host states equal those of the same runs done without interruption.

Exit 0 when every check holds, 1 otherwise. The test suite runs the same with fewer hosts.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fleetpatch.orchestrate.engine import Engine
from fleetpatch.orchestrate.executors import Journal, SimulatedExecutor
from fleetpatch.policy.loader import parse_policy
from fleetpatch.policy.records import Policy
from fleetpatch.runs.machine import host_steps
from fleetpatch.simulate.hostmodel import SimulatedHostModel
from fleetpatch.store import Store, open_store
from fleetpatch.store.runs import RunRepository
from fleetpatch.store.tables_runs import RunHostRow, RunRow

STRATEGIES = {
    "k8s": "rolling-reboot",
    "db": "in-place-gated",
    "web": "replace",
    "metal": "manual",
}
POLICY = """\
owners:
  ops: {}
buckets:
"""
BUCKET = """\
  - name: {name}
    owner: ops
    strategy: {strategy}
    executor: simulated
    windows: [{{cron: "0 3 * * *", duration: 60m}}]
    max_concurrency: "{concurrency}"
    max_errors: 100%
    failure_rate: 0.05
    match: [{{hostname: "{name}-*"}}]
{gates}"""
GATES = """\
    gates:
      - {name: pre-check, command: ["true"]}
      - {name: post-check, command: ["true"], phase: post}
"""


def policy_text() -> str:
    parts = [POLICY]
    for name, strategy in STRATEGIES.items():
        gates = GATES if strategy == "in-place-gated" else ""
        concurrency = "10%" if name != "metal" else "5%"
        parts.append(
            BUCKET.format(name=name, strategy=strategy, concurrency=concurrency, gates=gates)
        )
    return "".join(parts)


def create_runs(store: Store, policy: Policy, hosts: int, now: datetime) -> list[str]:
    per = max(1, hosts // len(STRATEGIES))
    ids = []
    with store.session(write=True) as session:
        repo = RunRepository(session)
        for bucket in policy.buckets:
            names = [f"{bucket.name}-{i:05d}" for i in range(per)]
            limit = bucket.concurrency.limit(len(names))
            run_id = f"run-crash-{bucket.name}"
            specs = [s.to_json() for s in host_steps(bucket, reboot=True)]
            run = RunRow(
                id=run_id,
                bucket=bucket.name,
                strategy=bucket.strategy,
                executor="simulated",
                state="planned",
                created_at=now,
                created_by="bench",
                reason="crash bench",
                override_window=True,
                concurrency_limit=limit,
                allowed_errors=bucket.max_errors.allowed(len(names)),
                forgiven_errors=0,
                on_window_end=bucket.on_window_end,
                on_timeout=bucket.on_timeout,
                target={},
                stop_reason="",
                updated_at=now,
                finished_at=None,
                claim_seq=0,
            )
            rows = [
                RunHostRow(
                    run_id=run_id,
                    host=h,
                    wave=i // limit + 1,
                    canary=False,
                    state="queued",
                    step_index=0,
                    steps=specs,
                    target={},
                    failed_phase="",
                    reason="",
                    waiting_for="",
                )
                for i, h in enumerate(names)
            ]
            repo.add(run, rows)
            ids.append(run_id)
    return ids


def worker_argv(db: str, policy: Path, journal: Path, sleep: float) -> list[str]:
    exe = Path(sys.executable).with_name("fleetpatch")
    return [
        str(exe),
        "--db",
        db,
        "--policy",
        str(policy),
        "worker",
        "--until-idle",
        "--lease-ttl",
        "1s",
        "--parallel",
        "4",
        "--sim-journal",
        str(journal),
        "--sim-seed",
        "3",
        "--sim-step-sleep",
        str(sleep),
    ]


def crash_and_finish(
    db: str,
    policy: Path,
    journal: Path,
    *,
    kills: int,
    seed: int,
    sleep: float,
    max_seconds: float,
) -> int:
    """Kill the worker `kills` times at random moments, then let one finish. Returns kills."""
    rng = random.Random(seed)
    argv = worker_argv(db, policy, journal, sleep)
    done = 0
    deadline = time.monotonic() + max_seconds
    for _ in range(kills):
        size = journal.stat().st_size if journal.exists() else 0
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        waited = time.monotonic() + 15  # start-up, and the dead worker's leases expiring
        while proc.poll() is None and time.monotonic() < waited:
            if journal.exists() and journal.stat().st_size > size:
                break  # it is working: now kill it at a random point
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.6))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            done += 1
        proc.wait()
        if time.monotonic() > deadline:
            break
    final = subprocess.run(argv, capture_output=True, text=True, timeout=max_seconds, check=False)
    if final.returncode != 0:
        raise RuntimeError(f"final worker exited {final.returncode}: {final.stderr[-2000:]}")
    return done


def uninterrupted_states(policy: Policy, hosts: int, now: datetime, workdir: Path) -> dict:
    store = open_store(f"sqlite:///{workdir / 'reference.db'}")
    try:
        create_runs(store, policy, hosts, now)
        model = SimulatedHostModel(
            seed=3, failure_rate={b.name: b.failure_rate for b in policy.buckets}
        )
        engine = Engine(
            store,
            policy,
            {"simulated": SimulatedExecutor(model, Journal(None))},
            clock=lambda: datetime.now(UTC),
            holder="reference:1:1",
        )
        engine.run_until_idle(max_ticks=100_000)
        return _host_states(store)
    finally:
        store.close()


def _host_states(store: Store) -> dict[tuple[str, str], str]:
    with store.session() as session:
        repo = RunRepository(session)
        return {(h.run_id, h.host): h.state for r in repo.ids() for h in repo.hosts(r)}


def check(
    store: Store,
    policy: Policy,
    journal: Sequence[dict[str, Any]],
    reference: dict[tuple[str, str], str],
) -> list[str]:
    problems: list[str] = []
    with store.session() as session:
        repo = RunRepository(session)
        runs = {r: repo.get(r) for r in repo.ids()}
        hosts = {r: repo.hosts(r) for r in runs}
        steps = {r: repo.steps(r) for r in runs}
    for run_id, run in runs.items():
        assert run is not None
        if run.state != "finished":
            problems.append(f"{run_id} ended {run.state} ({run.stop_reason})")
        for h in hosts[run_id]:
            if h.state not in ("done", "failed", "blocked", "skipped", "replaced"):
                problems.append(f"{run_id}/{h.host} left {h.state}")
            if h.lease_holder is not None:
                problems.append(f"{run_id}/{h.host} still leased by {h.lease_holder}")
    # Every journal begin is a recorded attempt; nothing ran again after it was recorded ok.
    attempts: dict[tuple[str, str, str], dict[int, str]] = defaultdict(dict)
    for run_id, rows in steps.items():
        for s in rows:
            attempts[(run_id, s.host, s.name)][s.attempt] = s.outcome
    begins = Counter(
        (e["run"], e["host"], e["step"], e["attempt"]) for e in journal if e["event"] == "begin"
    )
    for run_id, host, step, attempt in begins:
        recorded = attempts.get((run_id, host, step), {})
        if attempt not in recorded:
            problems.append(f"{run_id}/{host} {step} attempt {attempt} ran but is not recorded")
    for key, by_attempt in attempts.items():
        finals = [a for a, o in by_attempt.items() if o in ("ok", "failed", "timeout")]
        if len(finals) != 1:
            problems.append(f"{key}: {len(finals)} completed attempts")
        elif finals[0] != max(by_attempt):
            problems.append(f"{key}: a step ran again after it completed")
    limits = {r: run.concurrency_limit for r, run in runs.items() if run is not None}
    problems += check_journal(journal, limits)
    # Rolling-reboot hosts: every cordon has its uncordon (unless the host failed before it).
    cordoned: dict[str, bool] = {}
    for e in journal:
        if e["run"] == "run-crash-k8s" and e["event"] == "end":
            if e["step"] == "cordon":
                cordoned[e["host"]] = True
            if e["step"] == "uncordon":
                cordoned[e["host"]] = False
    done_k8s = {h.host for h in hosts.get("run-crash-k8s", []) if h.state == "done"}
    for host in sorted(done_k8s):
        if cordoned.get(host):
            problems.append(f"{host} done but left cordoned")
    final = _host_states(store)
    if final != reference:
        diff = [k for k in reference if final.get(k) != reference[k]][:5]
        problems.append(f"final states differ from an uninterrupted run: {diff}")
    return problems


def check_journal(journal: Sequence[dict[str, Any]], limits: dict[str, int]) -> list[str]:
    """What the journal alone shows: no attempt of a step ran twice (in one worker or across
    several), and no run had more hosts in flight than its `max_concurrency` at any instant."""
    problems: list[str] = []
    begins = Counter(
        (e["run"], e["host"], e["step"], e["attempt"]) for e in journal if e["event"] == "begin"
    )
    for (run_id, host, step, attempt), count in begins.items():
        if count > 1:
            problems.append(f"{run_id}/{host} {step} attempt {attempt} ran {count} times")
    in_flight: dict[str, set[str]] = defaultdict(set)
    most: Counter[str] = Counter()
    for e in journal:
        hosts = in_flight[e["run"]]
        if e["event"] == "begin":
            hosts.add(e["host"])
        most[e["run"]] = max(most[e["run"]], len(hosts))
        if e["event"] in ("verified", "failed", "timeout"):
            hosts.discard(e["host"])
    for run_id, limit in limits.items():
        if most[run_id] > limit:
            problems.append(f"{run_id}: {most[run_id]} hosts in flight, max_concurrency {limit}")
    return problems


def run_bench(
    *,
    hosts: int,
    kills: int,
    seed: int,
    workdir: Path,
    db: str | None = None,
    sleep: float = 0.003,
    max_seconds: float = 1800,
) -> tuple[list[str], dict[str, Any]]:
    workdir.mkdir(parents=True, exist_ok=True)
    policy_path = workdir / "fleet.yaml"
    policy_path.write_text(policy_text())
    policy = parse_policy(policy_path.read_text())
    now = datetime.now(UTC)
    for old in ("crash.db", "crash.db-wal", "crash.db-shm", "reference.db"):
        (workdir / old).unlink(missing_ok=True)
    url = db or f"sqlite:///{workdir / 'crash.db'}"
    store = open_store(url)
    journal_path = workdir / "journal.jsonl"
    journal_path.unlink(missing_ok=True)
    try:
        create_runs(store, policy, hosts, now)
        started = time.monotonic()
        killed = crash_and_finish(
            url,
            policy_path,
            journal_path,
            kills=kills,
            seed=seed,
            sleep=sleep,
            max_seconds=max_seconds,
        )
        seconds = time.monotonic() - started
        reference = uninterrupted_states(policy, hosts, now, workdir)
        journal = Journal.read(journal_path)
        problems = check(store, policy, journal, reference)
        with store.session() as session:
            repo = RunRepository(session)
            rows = [s for r in repo.ids() for s in repo.steps(r)]
            resumed = sum(1 for a in repo.audit_log(limit=10**7) if a.action == "host.resume")
        figures = {
            "hosts": hosts,
            "kills": killed,
            "seconds": round(seconds, 1),
            "attempts": len(rows),
            "interrupted": sum(1 for s in rows if s.outcome == "interrupted"),
            "resumed": resumed,
        }
        return problems, figures
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", help="store URL (default: a SQLite file in --workdir)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/fleetpatch-crash-bench"))
    args = parser.parse_args()
    problems, figures = run_bench(
        hosts=args.hosts, kills=args.kills, seed=args.seed, workdir=args.workdir, db=args.db
    )
    print(" ".join(f"{k}={v}" for k, v in figures.items()))
    for problem in problems:
        print("PROBLEM:", problem)
    print("all checks hold" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
