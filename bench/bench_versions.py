"""Benchmark `fleetpatch versions compare --pairs` per scheme on 100,000 real-looking pairs.

    .venv/bin/python bench/bench_versions.py [--pairs 100000]

Pairs come from the committed fixtures (real Debian versions from apt lists, real AlmaLinux
EVRs from OSV, real Alpine versions from apk-ordered vectors): half are neighbours in version
order (the hard, shared-prefix cases), half random. Each scheme runs the real CLI once in a
subprocess (process start included) and prints pairs/s; `in-process` times `compare()` alone,
with cold parse caches.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "versions"
FLEETPATCH = Path(sys.executable).parent / "fleetpatch"


def _apk_versions() -> list[str]:
    found: set[str] = set()
    for line in (
        (DATA / "osv-scalibr-alpine-versions-generated.txt").read_text("utf-8").splitlines()
    ):
        parts = line.split()
        if len(parts) == 3:
            found.update((parts[0], parts[2]))
    return sorted(found)


def _lines(path: Path) -> list[str]:
    return [v for v in path.read_text("utf-8").splitlines() if v]


SOURCES = {
    "dpkg": lambda: _lines(DATA / "real-debian-versions.txt"),
    "rpm": lambda: _lines(DATA / "real-almalinux-evrs.txt"),
    "apk": _apk_versions,
}


def make_pairs(scheme: str, count: int, seed: int) -> list[tuple[str, str]]:
    from fleetpatch import versions

    pool = SOURCES[scheme]()
    ordered = sorted(pool, key=lambda v: versions.sort_key(scheme, v))
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    while len(pairs) < count:
        i = rng.randrange(len(ordered) - 1)
        pairs.append(
            (ordered[i], ordered[i + 1]) if rng.random() < 0.5 else (ordered[i + 1], ordered[i])
        )
        pairs.append((rng.choice(pool), rng.choice(pool)))
    return pairs[:count]


def run_cli(scheme: str, pairs: list[tuple[str, str]]) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False, encoding="utf-8") as f:
        f.writelines(f"{a}\t{b}\n" for a, b in pairs)
    start = time.perf_counter()
    done = subprocess.run(
        [str(FLEETPATCH), "versions", "compare", "--scheme", scheme, "--pairs", f.name],
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - start
    Path(f.name).unlink()
    assert done.stdout.count("\n") == len(pairs)
    return elapsed


def run_in_process(scheme: str, pairs: list[tuple[str, str]]) -> float:
    from fleetpatch import versions
    from fleetpatch.versions import apk, dpkg, rpm

    for cached in (dpkg.key, dpkg.parse, rpm.key, rpm.field_key, apk.key, apk.tokens):
        cached.cache_clear()  # cold caches: every distinct version is parsed once, as in the CLI
    start = time.perf_counter()
    for a, b in pairs:
        versions.compare(scheme, a, b)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    args = parser.parse_args()
    print(f"{'scheme':6} {'pairs':>8} {'cli s':>7} {'cli pairs/s':>12} {'in-process pairs/s':>19}")
    for number, scheme in enumerate(("dpkg", "rpm", "apk")):
        pairs = make_pairs(scheme, args.pairs, seed=number)
        cli = run_cli(scheme, pairs)
        inproc = run_in_process(scheme, pairs)
        print(
            f"{scheme:6} {len(pairs):8d} {cli:7.2f} {len(pairs) / cli:12,.0f}"
            f" {len(pairs) / inproc:19,.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
