"""Build the store the web benchmark reads: a generated fleet, ingested, catalog and advisories.

    .venv/bin/python bench/web_fleet.py DB_PATH [--hosts 100000] [--seed 1]

Steps (each printed with its time): generate the fleet as NDJSON (`fleetpatch.simulate`), ingest
it (`fleetpatch.app.ingest`), import the committed Debian 12 apt lists and the AlmaLinux OSV
database from `tests/data/`, then evaluate the fleet (`fleetpatch.app.evaluate.evaluate_fleet`)
so `host_status` and today's history points exist. The policy is the example `fleet.yaml`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import write_fleet

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.fromisoformat("2026-11-27T10:00:00+00:00")


def example_policy():  # type: ignore[no-untyped-def]
    from fleetpatch.policy.example import EXAMPLE_POLICY
    from fleetpatch.policy.loader import parse_policy

    return parse_policy(EXAMPLE_POLICY, "example fleet.yaml")


def build(db: Path, hosts: int, seed: int) -> None:
    from fleetpatch.app.evaluate import evaluate_fleet
    from fleetpatch.app.ingest import Source, ingest
    from fleetpatch.app.upstream import import_advisories, import_catalog
    from fleetpatch.store import open_store

    store = open_store(f"sqlite:///{db}")
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Path(tmp) / "fleet.ndjson"
        step("generate", lambda: write_fleet(fleet, hosts, seed, NOW))
        with fleet.open("rb") as stream:
            summary = step(
                "ingest", lambda: ingest(store, [Source("fleet", stream)], now=NOW, workers=2)
            )
    print(f"  stored {summary.stored}, rejected {len(summary.rejected)}")
    lists = ROOT / "tests/data/catalog/debian12/lists"
    step("catalog", lambda: import_catalog(store, [str(lists)], now=NOW))
    osv = ROOT / "tests/data/advisories/AlmaLinux-osv-database.zip"
    step("advisories", lambda: import_advisories(store, [osv], now=NOW))
    step("evaluate", lambda: evaluate_fleet(store, example_policy(), now=NOW))
    store.close()


def step(name: str, action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    print(f"{name:<12} {time.perf_counter() - started:8.1f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--hosts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.db.exists():
        raise SystemExit(f"{args.db} exists; remove it first")
    build(args.db, args.hosts, args.seed)


if __name__ == "__main__":
    main()
