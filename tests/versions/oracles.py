"""Bulk differential oracles: Debian's Dpkg::Version (perl) and python3-rpm, one process each.

Each oracle reads `a<TAB>b` lines on stdin and prints -1, 0 or 1 per line, so thousands of pairs
cost one process start. `require_tool` skips when the tool is absent, unless CI says the oracle
is mandatory (FLEETPATCH_REQUIRE_ORACLES=1), in which case absence fails the test.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PERL_DPKG = r"""
use strict; use warnings; use Dpkg::Version qw(version_compare);
$| = 0;
while (my $line = <STDIN>) {
    chomp $line;
    my ($a, $b) = split /\t/, $line, 2;
    my $r = version_compare($a, $b);
    print(($r < 0 ? -1 : $r > 0 ? 1 : 0), "\n");
}
"""

PYTHON_RPM = r"""
import sys, rpm
def evr(text):
    epoch, colon, rest = text.partition(":")
    if not colon:
        epoch, rest = None, text
    ver, hyphen, rel = rest.rpartition("-")
    if not hyphen:
        ver, rel = rest, None
    return (epoch, ver, rel)
out = []
for line in sys.stdin:
    a, b = line.rstrip("\n").split("\t")
    r = rpm.labelCompare(evr(a), evr(b))
    out.append(str((r > 0) - (r < 0)))
sys.stdout.write("\n".join(out) + "\n")
"""


def require_tool(check: list[str], what: str) -> None:
    """Skip (or fail when FLEETPATCH_REQUIRE_ORACLES=1) unless `check` runs successfully."""
    ok = shutil.which(check[0]) is not None
    if ok:
        ok = subprocess.run(check, capture_output=True, check=False).returncode == 0
    if not ok:
        if os.environ.get("FLEETPATCH_REQUIRE_ORACLES") == "1":
            pytest.fail(f"oracle {what} is required (FLEETPATCH_REQUIRE_ORACLES=1) but missing")
        pytest.skip(f"oracle {what} is not installed")


def _run(argv: list[str], pairs: list[tuple[str, str]]) -> list[int]:
    stdin = "".join(f"{a}\t{b}\n" for a, b in pairs)
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=True)
    results = [int(x) for x in done.stdout.split()]
    assert len(results) == len(pairs), done.stderr[-2000:]
    return results


def dpkg_oracle(pairs: list[tuple[str, str]]) -> list[int]:
    require_tool(["perl", "-MDpkg::Version", "-e", "1"], "perl Dpkg::Version (libdpkg-perl)")
    return _run(["perl", "-e", PERL_DPKG], pairs)


def rpm_oracle(pairs: list[tuple[str, str]]) -> list[int]:
    require_tool(["/usr/bin/python3", "-c", "import rpm"], "python3-rpm")
    return _run(["/usr/bin/python3", "-c", PYTHON_RPM], pairs)


def real_pairs(
    path: Path, sort_key: Callable[[str], Any], seed: int, randoms: int
) -> list[tuple[str, str]]:
    """Adjacent pairs in version order (the hard cases), both ways, plus random pairs."""
    versions = [v for v in path.read_text("utf-8").splitlines() if v]
    ordered = sorted(versions, key=sort_key)
    pairs = list(itertools.pairwise(ordered))
    pairs += [(b, a) for a, b in pairs[::2]]
    pairs += list(itertools.pairwise(versions))
    rng = random.Random(seed)
    pairs += [(rng.choice(versions), rng.choice(versions)) for _ in range(randoms)]
    pairs += [(v, v) for v in versions[::10]]
    return pairs
