"""The shipped package data: real, ordered the way the distributions order versions."""

from __future__ import annotations

import os
import shutil
import subprocess
from itertools import pairwise
from pathlib import Path

import pytest
from debian.debian_support import version_compare

from fleetpatch.simulate.packagedata import ALMALINUX_9, DEBIAN_12, load_ecosystem


def test_debian_versions_are_in_dpkg_order() -> None:
    data = load_ecosystem(DEBIAN_12)
    histories = [*data.packages, *(k.package for k in data.kernels)]
    assert len(data.packages) > 700
    for history in histories:
        versions = [v.version for v in history.versions]
        for older, newer in pairwise(versions):
            assert version_compare(older, newer) < 0, (history.name, older, newer)


def test_debian_ranks_follow_source_versions() -> None:
    for history in load_ecosystem(DEBIAN_12).packages:
        for older, newer in pairwise(history.versions):
            assert older.rank <= newer.rank, history.name
            assert version_compare(older.source_version, newer.source_version) <= 0


def test_debian_has_older_and_newer_real_versions() -> None:
    by_name = load_ecosystem(DEBIAN_12).by_name()
    curl = [v.version for v in by_name["curl"].versions]
    assert curl[0] == "7.88.1-10"
    assert "7.88.1-10+deb12u5" in curl
    assert not any("~bpo11" in v for v in curl)
    assert sum(len(h.versions) > 1 for h in by_name.values()) > 150


def test_debian_kernel_releases_match_package_names() -> None:
    kernels = load_ecosystem(DEBIAN_12).kernels
    assert len(kernels) >= 4
    assert any("-cloud-" in k.release for k in kernels)
    assert any("-cloud-" not in k.release for k in kernels)
    for kernel in kernels:
        assert kernel.package.name == f"linux-image-{kernel.release}"


def _require_rpm() -> str:
    rpm = shutil.which("rpm")
    if rpm is None:
        if os.environ.get("FLEETPATCH_REQUIRE_ORACLES") == "1":
            pytest.fail("rpm is required (FLEETPATCH_REQUIRE_ORACLES=1) but not installed")
        pytest.skip("rpm not installed")
    return rpm


@pytest.mark.oracle
def test_almalinux_versions_are_in_rpm_order(tmp_path: Path) -> None:
    """rpm itself checks every adjacent pair (one process, rpm's Lua `rpm.ver`)."""
    rpm = _require_rpm()
    data = load_ecosystem(ALMALINUX_9)
    pairs = [(a.version, b.version) for h in data.packages for a, b in pairwise(h.versions)]
    assert len(pairs) > 10_000
    script = tmp_path / "pairs.lua"
    script.write_text(
        "".join(f"io.write(rpm.ver('{a}') < rpm.ver('{b}') and 'y' or 'n')\n" for a, b in pairs)
    )
    lua = f"%{{lua: dofile('{script}')}}"
    out = subprocess.run([rpm, "--eval", lua], check=True, capture_output=True, text=True).stdout
    assert out.count("y") == len(pairs)
    assert "n" not in out
