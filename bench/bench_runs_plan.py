"""What it costs to plan a run: `fleetpatch run start` over a bucket of ~10,000 hosts.

    .venv/bin/python bench/bench_runs_plan.py [--hosts 10000] [--db PATH] [--repeat 3]

Builds a store once (not timed; kept at `--db` and reused when it exists): a generated fleet
(`fleetpatch.simulate`) ingested, the committed Debian 12 apt lists and the AlmaLinux OSV
database imported, and the fleet evaluated, with a policy whose one bucket (`fleet`,
in-place-gated, simulated executor) holds every host. Then times `start_run` in-process —
`--dry-run` (plan, waves and frozen target only) and a real start (the run and its host rows
written too) — `--repeat` times each, and the real command `fleetpatch run start fleet` once in
a subprocess (Python start-up and CLI imports included, about a second here). Printed: hosts
in the run, packages in the frozen target, seconds. Target (issue: runs): < 1 s to plan a
10,000-host run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import FLEETPATCH, write_fleet

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.fromisoformat("2026-11-27T10:00:00+00:00")
POLICY = """\
owners:
  ops: {}
buckets:
  - name: fleet
    owner: ops
    strategy: in-place-gated
    executor: simulated
    windows: [{cron: "0 3 * * *", duration: 60m}]
    max_concurrency: "10%"
    max_errors: 5%
    match: [{hostname: "*"}]
    gates:
      - {name: pre-check, command: ["true"]}
      - {name: post-check, command: ["true"], phase: post}
"""


def build(db: Path, hosts: int) -> None:
    from fleetpatch.app.evaluate import evaluate_fleet
    from fleetpatch.app.ingest import Source, ingest
    from fleetpatch.app.upstream import import_advisories, import_catalog
    from fleetpatch.policy.loader import parse_policy
    from fleetpatch.store import open_store

    started = time.perf_counter()
    store = open_store(f"sqlite:///{db}")
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Path(tmp) / "fleet.ndjson"
        write_fleet(fleet, hosts, 1, NOW)
        with fleet.open("rb") as stream:
            ingest(store, [Source("fleet", stream)], now=NOW)
    import_catalog(store, [str(ROOT / "tests/data/catalog/debian12/lists")], now=NOW)
    import_advisories(store, [ROOT / "tests/data/advisories/AlmaLinux-osv-database.zip"], now=NOW)
    evaluate_fleet(store, parse_policy(POLICY), now=NOW)
    store.close()
    print(f"store built in {time.perf_counter() - started:.1f} s (not timed below)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--db", type=Path, help="the store (default /tmp/fleetpatch-plan-N.db)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    db = args.db or Path(f"/tmp/fleetpatch-plan-{args.hosts}.db")
    if not db.exists():
        build(db, args.hosts)

    from fleetpatch.orchestrate.service import start_run
    from fleetpatch.policy.loader import parse_policy
    from fleetpatch.store import open_store

    policy = parse_policy(POLICY)
    store = open_store(f"sqlite:///{db}")
    for dry in (True, False):
        seconds = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            run = start_run(store, policy, "fleet", now=NOW, actor="bench", dry_run=dry)
            seconds.append(time.perf_counter() - started)
        packages = sum(len(v) for v in run.target["packages"].values())
        what = "start_run --dry-run" if dry else "start_run (stored)"
        print(
            f"{what:<22} {len(run.hosts):,} hosts in the run, {packages:,} target packages: "
            f"median {statistics.median(seconds):.2f} s (min {min(seconds):.2f}, "
            f"max {max(seconds):.2f})"
        )
    store.close()
    with tempfile.TemporaryDirectory() as tmp:
        policy_path = Path(tmp) / "fleet.yaml"
        policy_path.write_text(POLICY)
        argv = [str(FLEETPATCH), "--db", f"sqlite:///{db}", "--policy", str(policy_path)]
        started = time.perf_counter()
        done = subprocess.run([*argv, "run", "start", "fleet"], capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run([*argv, "--help"], capture_output=True, text=True, check=True)
        startup = time.perf_counter() - started
    if done.returncode != 0:
        print(f"fleetpatch run start exited {done.returncode}: {done.stderr[-2000:]}")
        return 1
    print(
        f"fleetpatch run start fleet (subprocess): {elapsed:.2f} s wall, of which Python "
        f"start-up and CLI imports ~{startup:.2f} s (`fleetpatch --help`)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
