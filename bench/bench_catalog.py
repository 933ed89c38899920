"""Benchmark: parse this machine's full bookworm main `Packages` index → stanzas per second.

    .venv/bin/python bench/bench_catalog.py [PACKAGES_FILE] [--repeat N]

Defaults to the first `*_dists_*_main_binary-*_Packages*` file in /var/lib/apt/lists whose suite
has no `-` (the release itself, the biggest index). Decompression is timed apart from parsing. Also
times `outdated` for this machine's dpkg status against all of its lists. Exits 0 with a note
when the files are absent (not a Debian machine).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from fleetpatch.catalog.apt import decompress, parse_packages, parse_stanzas, suite_entries
from fleetpatch.catalog.candidates import CatalogIndex, default_suites, outdated
from fleetpatch.catalog.lists import read_lists_dir
from fleetpatch.inventory.records import Package

LISTS = Path("/var/lib/apt/lists")
STATUS = Path("/var/lib/dpkg/status")
MAIN = re.compile(r"_dists_[^_-]+_main_binary-[^_]+_Packages(\.\w+)?$")


def _default_file() -> Path | None:
    if not LISTS.is_dir():
        return None
    return next((p for p in sorted(LISTS.iterdir()) if MAIN.search(p.name)), None)


def _best(repeat: int, work: object) -> float:
    assert callable(work)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_parse(path: Path, repeat: int) -> None:
    data = path.read_bytes()
    text = decompress(data, path.name).decode("utf-8")
    count = len(parse_packages(text))
    unpack = _best(repeat, lambda: decompress(data, path.name))
    parse = _best(repeat, lambda: parse_packages(text))
    size = f"{len(data) / 1e6:.1f} MB compressed, {len(text) / 1e6:.1f} MB"
    print(f"{path.name}: {size}, {count} stanzas")
    print(f"  decompress {unpack * 1000:.0f} ms; parse {parse * 1000:.0f} ms")
    print(f"  = {count / parse:,.0f} stanzas/s")


def bench_outdated(repeat: int) -> None:
    if not STATUS.exists():
        return
    installed = [
        Package(f["Package"], f["Version"], f.get("Architecture", ""))
        for f in parse_stanzas(STATUS.read_text(encoding="utf-8"))
        if f.get("Status", "").endswith(" installed")
    ]
    start = time.perf_counter()
    imported = read_lists_dir(LISTS, now=datetime.now(tz=UTC))
    index = CatalogIndex(e for s in imported.suites for e in suite_entries(s))
    load = time.perf_counter() - start
    suites = default_suites(imported.suites[0].release.codename) if imported.suites else ()
    seconds = _best(
        repeat,
        lambda: outdated(installed, index, ecosystem="Debian:12", arch="amd64", suites=suites),
    )
    print(f"lists dir read + index: {load * 1000:.0f} ms for {len(index)} entries")
    print(f"  outdated for {len(installed)} installed packages: {seconds * 1000:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("packages", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = args.packages or _default_file()
    if path is None or not path.exists():
        print("no apt Packages index found (not a Debian machine?): nothing to measure")
        return 0
    bench_parse(path, args.repeat)
    bench_outdated(args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
