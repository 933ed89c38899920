"""Benchmark `fleetpatch cve` and `fleetpatch drift` over a large store.

    .venv/bin/python bench/bench_queries.py --db /tmp/fleet-100k.db [--advisories 40]

Reads a store built by `bench/web_fleet.py` (a generated fleet with the AlmaLinux OSV database),
takes the `--advisories` most recently published AlmaLinux 9 advisories, and times
`cve_report` for each one that affects hosts (hosts grouped by bucket and owner, with time to
patch from their report history), then `drift_report` for one package and for the whole fleet.
The store is opened read-only in spirit: the queries write nothing.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from fleetpatch.app.queries import cve_report, drift_report
from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import parse_policy
from fleetpatch.store import open_store
from fleetpatch.store.advisories import AdvisoryRepository

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLite file built by bench/web_fleet.py")
    parser.add_argument("--advisories", type=int, default=40)
    args = parser.parse_args()
    store = open_store(f"sqlite:///{args.db}")
    policy = parse_policy(EXAMPLE_POLICY)
    with store.session() as session:
        records = AdvisoryRepository(session).records(["AlmaLinux:9"])
    recent = sorted(
        (r for r in records if r.published), key=lambda r: r.published or NOW, reverse=True
    )[: args.advisories]
    timings = []
    for advisory in recent:
        started = time.perf_counter()
        report = cve_report(store, policy, advisory.id, now=NOW)
        seconds = time.perf_counter() - started
        if report.affected_hosts:
            timings.append((report.affected_hosts, seconds))
            print(f"cve {advisory.id:<18} {report.affected_hosts:>7,} hosts  {seconds:6.2f} s")
    if timings:
        worst = max(timings, key=lambda t: t[1])
        print(f"cve: {len(timings)} advisories with affected hosts; slowest {worst[1]:.2f} s")
    for package in ("openssl", None):
        started = time.perf_counter()
        rows = drift_report(store, policy, now=NOW, package=package)
        label = package or "(all packages)"
        print(f"drift {label:<16} {len(rows):>6} rows  {time.perf_counter() - started:6.2f} s")


if __name__ == "__main__":
    main()
