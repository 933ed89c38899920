"""Helpers shared by the benchmarks: a generated fleet on disk, timed CLI runs, fresh databases."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

FLEETPATCH = Path(sys.executable).parent / "fleetpatch"


def write_fleet(path: Path, hosts: int, seed: int, now: datetime) -> tuple[int, float]:
    """Write a generated fleet as NDJSON; returns (packages in all reports, seconds taken)."""
    from fleetpatch.inventory.records import HostReport
    from fleetpatch.simulate.fleet import fleet_to_ndjson, generate_fleet

    started = time.perf_counter()
    packages = 0

    def counted() -> Iterator[HostReport]:
        nonlocal packages
        for report in generate_fleet(hosts, seed=seed, now=now):
            packages += len(report.packages)
            yield report

    with path.open("wb") as sink:
        for line in fleet_to_ndjson(counted()):
            sink.write(line)
    return packages, time.perf_counter() - started


def timed_fleetpatch(args: list[str]) -> float:
    """Run the real CLI in a subprocess (start-up included); fail loudly on a non-zero exit."""
    started = time.perf_counter()
    done = subprocess.run([str(FLEETPATCH), *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"fleetpatch {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return elapsed


def sqlite_size(path: Path) -> int:
    """Bytes on disk after folding the WAL back into the main file."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def sqlite_count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@contextmanager
def fresh_pg_database(url: str) -> Iterator[str]:
    """A new, empty database on the server of `url`, dropped afterwards; yields its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(url).set(drivername="postgresql")
    name = f"fleetpatch_bench_{uuid.uuid4().hex[:10]}"
    admin = base.render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_stats(url: str) -> tuple[int, int]:
    """(database size in bytes, number of stored hosts) of the database at `url`."""
    import psycopg
    from sqlalchemy.engine import make_url

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn:
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        hosts = conn.execute("SELECT count(*) FROM hosts").fetchone()
    assert size is not None
    assert hosts is not None
    return int(size[0]), int(hosts[0])
