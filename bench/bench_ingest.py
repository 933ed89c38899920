"""Benchmark `fleetpatch ingest` of a generated fleet into SQLite and, optionally, PostgreSQL.

    .venv/bin/python bench/bench_ingest.py [--hosts 10000] [--seed 1] [--pg URL] [--workdir DIR]

Generates `--hosts` reports (~700 real packages each, from `fleetpatch.simulate`) to an NDJSON
file (not timed), then times the real CLI, `fleetpatch --db URL ingest FILE`, in a subprocess
(process start-up included) into a fresh SQLite file and, when `--pg` or `FLEETPATCH_TEST_PG` gives
a server, into a freshly created PostgreSQL database (dropped afterwards). Prints reports/s,
packages/s and the database size (SQLite after a WAL checkpoint), and checks every host was stored.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    fresh_pg_database,
    pg_stats,
    sqlite_count,
    sqlite_size,
    timed_fleetpatch,
    write_fleet,
)

NOW = "2026-11-27T10:00:00+00:00"


def line(target: str, hosts: int, packages: int, seconds: float, size: int) -> str:
    return (
        f"{target:<10} {hosts:>8,} reports {seconds:>8.1f} s {hosts / seconds:>9,.0f} reports/s "
        f"{packages / seconds:>12,.0f} packages/s {size / 2**20:>9,.1f} MiB"
    )


def bench_sqlite(fleet: Path, workdir: Path, hosts: int, packages: int) -> None:
    db = workdir / "bench.db"
    for leftover in workdir.glob("bench.db*"):
        leftover.unlink()
    seconds = timed_fleetpatch(["--db", f"sqlite:///{db}", "ingest", str(fleet)])
    stored = sqlite_count(db, "hosts")
    print(line("sqlite", hosts, packages, seconds, sqlite_size(db)))
    if stored != hosts:
        raise SystemExit(f"sqlite: {stored} hosts stored, expected {hosts}")


def bench_pg(fleet: Path, url: str, hosts: int, packages: int) -> None:
    with fresh_pg_database(url) as db_url:
        seconds = timed_fleetpatch(["--db", db_url, "ingest", str(fleet)])
        size, stored = pg_stats(db_url)
    print(line("postgresql", hosts, packages, seconds, size))
    if stored != hosts:
        raise SystemExit(f"postgresql: {stored} hosts stored, expected {hosts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", default=os.environ.get("FLEETPATCH_TEST_PG"), metavar="URL")
    parser.add_argument("--workdir", type=Path, help="keep the NDJSON and SQLite file here")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="fleetpatch-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    fleet = workdir / f"fleet-{args.hosts}-{args.seed}.ndjson"
    packages, seconds = write_fleet(fleet, args.hosts, args.seed, datetime.fromisoformat(NOW))
    size = fleet.stat().st_size / 2**20
    print(
        f"generated  {args.hosts:>8,} reports, {packages:,} packages, {size:,.0f} MiB NDJSON "
        f"in {seconds:.1f} s (not timed below)"
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine    {os.cpu_count()} CPUs, load average {load} (other jobs slow the figures)")
    bench_sqlite(fleet, workdir, args.hosts, packages)
    if args.pg:
        bench_pg(fleet, args.pg, args.hosts, packages)
    else:
        print("postgresql skipped: no --pg URL and FLEETPATCH_TEST_PG unset")
    if args.workdir is None:
        for path in workdir.iterdir():
            path.unlink()
        workdir.rmdir()


if __name__ == "__main__":
    main()
