"""Benchmark upstream imports: `advisories import` of the AlmaLinux OSV zip, the advisory index
loaded back from the store, and `catalog import` of this machine's /var/lib/apt/lists.

Each import runs the real CLI in a subprocess (Python start-up included) into a fresh SQLite file;
the index load is timed in-process, split into reading the records from the store and compiling
them with `build_index` (the advisories area's code).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fleetpatch.advisories import build_index
from fleetpatch.store import open_store
from fleetpatch.store.advisories import AdvisoryRepository
from fleetpatch.store.catalog import CatalogRepository

ROOT = Path(__file__).resolve().parents[1]
ALMA_ZIP = ROOT / "tests" / "data" / "advisories" / "AlmaLinux-osv-database.zip"
FLEETPATCH = [str(Path(sys.executable).parent / "fleetpatch")]


def cli(db: Path, *args: str) -> tuple[dict[str, object], float]:
    started = time.perf_counter()
    done = subprocess.run(
        [*FLEETPATCH, "--db", str(db), *args, "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 2):
        raise SystemExit(f"{args}: exit {done.returncode}: {done.stderr}")
    return json.loads(done.stdout), seconds


def bench_advisories(workdir: Path) -> None:
    db = workdir / "advisories.db"
    summary, seconds = cli(db, "advisories", "import", str(ALMA_ZIP))
    print(
        f"advisories import  {summary['records']:>7,} records  {seconds:6.2f} s wall "
        f"{summary['records_per_second']:>9,.0f} records/s in the use case"
    )
    store = open_store(f"sqlite:///{db}")
    for ecosystems in (None, ["AlmaLinux:9"]):
        started = time.perf_counter()
        with store.session() as session:
            records = AdvisoryRepository(session).records(ecosystems)
        read = time.perf_counter() - started
        index = build_index(records)
        total = time.perf_counter() - started
        print(
            f"index load {','.join(ecosystems or ['all']):<16} {len(records):>6,} records "
            f"{len(index):>7,} entries  read {read:5.2f} s + build_index {total - read:5.2f} s"
        )
    store.close()


def bench_catalog(workdir: Path, lists: Path) -> None:
    db = workdir / "catalog.db"
    summary, seconds = cli(db, "catalog", "import", str(lists))
    print(
        f"catalog import     {summary['entries_listed']:>7,} entries  {seconds:6.2f} s wall "
        f"{summary['entries_per_second']:>9,.0f} entries/s in the use case"
    )
    store = open_store(f"sqlite:///{db}")
    started = time.perf_counter()
    with store.session() as session:
        index = CatalogRepository(session).index()
    print(f"catalog index load {len(index):>7,} entries  {time.perf_counter() - started:6.2f} s")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lists", type=Path, default=Path("/var/lib/apt/lists"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleetpatch-bench-") as workdir:
        bench_advisories(Path(workdir))
        if args.lists.is_dir():
            bench_catalog(Path(workdir), args.lists)
        else:
            print(f"catalog import skipped: {args.lists} is not a directory")


if __name__ == "__main__":
    main()
