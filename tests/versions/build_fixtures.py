"""Rebuild the committed real-version fixtures used by the oracle tests and the benchmark.

    .venv/bin/python tests/versions/build_fixtures.py

* `tests/data/versions/real-debian-versions.txt`: 3,000 distinct Debian versions sampled (fixed
  seed) from this machine's apt lists (`Version:` and the `Source: name (version)` fields of
  /var/lib/apt/lists/*_Packages, bookworm + updates + security), one per line.
* `tests/data/versions/real-almalinux-evrs.txt`: 3,000 distinct EVRs sampled from the
  `introduced`/`fixed` events of the AlmaLinux OSV database zip.

Both files are sorted by string (not by version) so a diff of a rebuild stays readable. Sampling
keeps whole neighbourhoods of each package's versions so that adjacent pairs are hard cases.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "data" / "versions"
APT_LISTS = Path("/var/lib/apt/lists")
ALMA_ZIP = Path("/work/shared/data/advisories/AlmaLinux-osv-database.zip")
SAMPLE = 3000
_SOURCE_VERSION = re.compile(r"^Source: \S+ \((\S+)\)$")


def debian_versions() -> set[str]:
    found: set[str] = set()
    for path in sorted(APT_LISTS.glob("*_Packages*")):
        text = subprocess.run(
            ["/usr/lib/apt/apt-helper", "cat-file", str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for line in text.splitlines():
            if line.startswith("Version: "):
                found.add(line.split(" ", 1)[1].strip())
            elif match := _SOURCE_VERSION.match(line):
                found.add(match.group(1))
    return found


def almalinux_evrs() -> set[str]:
    found: set[str] = set()
    with zipfile.ZipFile(ALMA_ZIP) as archive:
        for name in archive.namelist():
            if not name.endswith(".json"):
                continue
            record = json.loads(archive.read(name))
            for affected in record.get("affected", []):
                for rng in affected.get("ranges", []):
                    for event in rng.get("events", []):
                        for kind in ("introduced", "fixed", "last_affected"):
                            value = event.get(kind)
                            if value and value != "0":
                                found.add(value)
    return found


def sample(versions: set[str], seed: int) -> list[str]:
    pool = sorted(versions)
    if len(pool) <= SAMPLE:
        return pool
    rng = random.Random(seed)
    chosen: set[str] = set()
    while len(chosen) < SAMPLE:  # runs of neighbours in string order share a prefix
        start = rng.randrange(len(pool))
        chosen.update(pool[start : start + rng.randint(1, 6)])
    return sorted(chosen)[:SAMPLE]


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    deb = sample(debian_versions(), seed=12)
    rpm = sample(almalinux_evrs(), seed=9)
    (OUT / "real-debian-versions.txt").write_text("\n".join(deb) + "\n", "utf-8")
    (OUT / "real-almalinux-evrs.txt").write_text("\n".join(rpm) + "\n", "utf-8")
    print(f"debian {len(deb)}, almalinux {len(rpm)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
