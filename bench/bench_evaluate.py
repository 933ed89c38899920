"""Benchmark full fleet evaluation, and one host re-evaluated after a new report.

    .venv/bin/python bench/bench_evaluate.py [--hosts 1000,10000,100000] [--lists DIR] [--seed 1]

For each size: generates the fleet (`fleetpatch.simulate`: real Debian 12 and AlmaLinux 9 package
sets, ~700 packages a host) and stores it in a fresh SQLite file (not timed), imports a Debian
catalog (this machine's `/var/lib/apt/lists` when it has bookworm lists, else the saved lists in
tests/data) and the complete AlmaLinux OSV database (not timed), then times:

- `evaluate_fleet` end to end: loading hosts, sets, versions, catalog and advisories from the
  store, evaluating, writing 100 % of host status rows and history points, in one transaction;
- the same with the catalog and advisory indexes already loaded (what `fleetpatch serve` does);
- one new report for a host whose package set is known, re-evaluated with its rollups (p50/p95
  over 50 runs), and one with a package set never seen before.

Peak RSS of the process is printed after each size (ru_maxrss, so it only ever grows).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fleetpatch.app.evaluate import evaluate_fleet, evaluate_host_now, load_upstream
from fleetpatch.app.upstream import import_advisories, import_catalog
from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import parse_policy
from fleetpatch.simulate.fleet import generate_fleet
from fleetpatch.store import ReportRepository, Store, open_store

ROOT = Path(__file__).resolve().parents[1]
SAVED_LISTS = ROOT / "tests" / "data" / "catalog" / "debian12" / "lists"
ALMA = ROOT / "tests" / "data" / "advisories" / "AlmaLinux-osv-database.zip"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
BATCH = 1000


def lists_dir(given: str | None) -> Path:
    if given:
        return Path(given)
    live = Path("/var/lib/apt/lists")
    return live if any(live.glob("*bookworm*Packages*")) else SAVED_LISTS


def build(path: Path, hosts: int, seed: int, lists: Path) -> Store:
    store = open_store(f"sqlite:///{path}")
    started = time.perf_counter()
    batch = []
    for report in generate_fleet(hosts, seed=seed, now=NOW):
        batch.append(report)
        if len(batch) == BATCH:
            _store(store, batch)
            batch = []
    _store(store, batch)
    print(f"  stored {hosts:,} reports in {time.perf_counter() - started:.1f} s (not timed)")
    catalog = import_catalog(store, [str(lists)], now=NOW)
    advisories = import_advisories(store, [ALMA], now=NOW)
    print(f"  catalog: {catalog}\n  advisories: {advisories}")
    return store


def _store(store: Store, batch: list) -> None:  # type: ignore[type-arg]
    if batch:
        with store.session(write=True) as session:
            ReportRepository(session).add_many(batch, received_at=NOW)


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(hosts: int, seed: int, lists: Path, workdir: Path) -> None:
    print(f"== {hosts:,} hosts")
    store = build(workdir / f"eval-{hosts}.db", hosts, seed, lists)
    policy = parse_policy(EXAMPLE_POLICY)
    started = time.perf_counter()
    result = evaluate_fleet(store, policy, now=NOW)
    cold = time.perf_counter() - started
    info = result.info
    print(
        f"  full evaluation (cold: loads catalog + advisories): {cold:.2f} s — {info.hosts:,} "
        f"hosts, {info.package_sets:,} package sets, {info.package_versions:,} distinct versions"
    )
    with store.session() as session:
        upstream = load_upstream(session)
    started = time.perf_counter()
    evaluate_fleet(store, policy, now=NOW, upstream=upstream)
    warm = time.perf_counter() - started
    print(f"  full evaluation (indexes in memory): {warm:.2f} s; peak RSS {rss_mib():,.0f} MiB")
    incremental(store, policy, upstream, seed)


def incremental(store: Store, policy: object, upstream: object, seed: int) -> None:
    from fleetpatch.app.evaluate import Upstream
    from fleetpatch.policy.records import Policy

    assert isinstance(policy, Policy)
    assert isinstance(upstream, Upstream)
    sample = next(iter(generate_fleet(1, seed=seed, now=NOW)))
    timings = []
    for i in range(50):
        report = replace(sample, collected_at=NOW + timedelta(minutes=i + 1))
        started = time.perf_counter()
        with store.session(write=True) as session:
            ReportRepository(session).add_many([report], received_at=NOW)
        evaluate_host_now(store, policy, report.hostname, now=NOW, upstream=upstream)
        timings.append((time.perf_counter() - started) * 1000)
    p50 = statistics.median(timings)
    p95 = statistics.quantiles(timings, n=20)[18]
    print(
        "  one new report (known package set), stored + re-evaluated: "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )
    new_set = replace(
        sample,
        collected_at=NOW + timedelta(hours=2),
        packages=sample.packages[:-1],
    )
    started = time.perf_counter()
    with store.session(write=True) as session:
        ReportRepository(session).add_many([new_set], received_at=NOW)
    evaluate_host_now(store, policy, new_set.hostname, now=NOW, upstream=upstream)
    print(
        "  one new report (new package set), stored + re-evaluated: "
        f"{(time.perf_counter() - started) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default="1000,10000,100000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lists", help="apt lists directory for the catalog")
    parser.add_argument("--workdir", help="where the SQLite files go (default: a temp dir)")
    args = parser.parse_args()
    lists = lists_dir(args.lists)
    print(f"catalog from {lists}; advisories from {ALMA.name}")
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        for size in (int(s) for s in args.hosts.split(",")):
            measure(size, args.seed, lists, Path(tmp))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
