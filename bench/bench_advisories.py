"""Benchmark OSV import and matching on the real AlmaLinux database.

    .venv/bin/python bench/bench_advisories.py [--triples 50000] [--seed 7] [--misses 0.3]

1. Import: `load_advisories` on the committed AlmaLinux OSV zip (5,680 files, 5,637 distinct
   records), then `build_index`; prints files/s, records/s and the index build time.
2. Match: `match` on distinct (ecosystem, package, version) triples with cold version caches.
   Hits use real AlmaLinux package names with versions taken from the database's own `fixed`
   events, each either as-is or with its release lowered (so some are affected, some fixed);
   a share of triples (`--misses`) names packages no advisory mentions, as most packages of a
   real host are. Prints triples/s and how many findings were produced. A second run matches
   every advised package at its highest fixed version (an up-to-date host: few findings).
"""

from __future__ import annotations

import argparse
import random
import re
import time
from pathlib import Path

from fleetpatch.advisories import AdvisoryIndex, build_index, load_advisories, match
from fleetpatch.versions import rpm

ROOT = Path(__file__).resolve().parent.parent
ALMA_ZIP = ROOT / "tests" / "data" / "advisories" / "AlmaLinux-osv-database.zip"


def _lowered(version: str) -> str:
    """`1.2-3.el9` → `1.2-2.el9`: a plausible older build of the same version."""
    found = re.search(r"-(\d+)", version)
    if found is None or found[1] == "0":
        return version
    start, end = found.span(1)
    return version[:start] + str(int(found[1]) - 1) + version[end:]


def _triples(
    index: AdvisoryIndex, count: int, misses: float, seed: int
) -> list[tuple[str, str, str]]:
    pool: set[tuple[str, str, str]] = set()
    for (ecosystem, package), entries in index.entries.items():
        for entry in entries:
            for rng in entry.ranges:
                for _, fixed in rng.fixes:
                    pool.add((ecosystem, package, fixed))
                    pool.add((ecosystem, package, _lowered(fixed)))
    rand = random.Random(seed)
    hits = rand.sample(sorted(pool), min(len(pool), round(count * (1 - misses))))
    ecosystems = sorted({e for e, _, _ in pool})
    missing = [
        (rand.choice(ecosystems), f"not-advised-{n}", f"1.{n % 97}-{n % 13}.el9")
        for n in range(count - len(hits))
    ]
    triples = [*hits, *missing]
    rand.shuffle(triples)
    return triples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--misses", type=float, default=0.3)
    args = parser.parse_args()

    started = time.perf_counter()
    result = load_advisories([ALMA_ZIP])
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    index = build_index(result.records)
    built = time.perf_counter() - started
    print(
        f"import: {result.files_read} files, {len(result.records)} records in {loaded:.2f} s "
        f"({result.files_read / loaded:,.0f} files/s, {len(result.records) / loaded:,.0f} "
        f"records/s); {result.duplicates_identical} identical duplicates, "
        f"{len(result.problems)} problems"
    )
    print(f"index: {len(index)} entries over {len(index.entries)} packages in {built:.2f} s")

    _time_match(
        "match (fixed and older builds)",
        index,
        _triples(index, args.triples, args.misses, args.seed),
    )
    _time_match("match (hosts at the latest fix)", index, _patched(index))


def _patched(index: AdvisoryIndex) -> list[tuple[str, str, str]]:
    """Every advised package at its highest fixed version: an up-to-date host."""
    triples = []
    for (ecosystem, package), entries in index.entries.items():
        fixes = [fix for entry in entries for rng in entry.ranges for fix in rng.fixes]
        if fixes:
            triples.append((ecosystem, package, max(fixes, key=lambda f: f[0])[1]))
    return triples


def _time_match(label: str, index: AdvisoryIndex, triples: list[tuple[str, str, str]]) -> None:
    rpm.key.cache_clear()
    started = time.perf_counter()
    findings = sum(len(match(index, eco, pkg, ver)) for eco, pkg, ver in triples)
    took = time.perf_counter() - started
    print(
        f"{label}: {len(triples)} distinct triples in {took:.2f} s "
        f"({len(triples) / took:,.0f} triples/s), {findings} findings"
    )


if __name__ == "__main__":
    main()
