"""Differential tests against the distributions' own code, on thousands of real versions."""

from __future__ import annotations

import pytest

from fleetpatch import versions

from .oracles import dpkg_oracle, real_pairs, rpm_oracle
from .vectors import DATA, op_cases

pytestmark = pytest.mark.oracle


def _disagreements(scheme: str, pairs: list[tuple[str, str]], oracle: list[int]) -> list[str]:
    assert set(oracle) == {-1, 0, 1}  # the oracle really ordered something
    return [
        f"{a!r} vs {b!r}: ours {ours}, oracle {want}"
        for (a, b), want in zip(pairs, oracle, strict=True)
        if (ours := versions.compare(scheme, a, b)) != want
    ]


def test_dpkg_agrees_with_dpkg_perl_on_real_debian_versions() -> None:
    pairs = real_pairs(
        DATA / "real-debian-versions.txt",
        lambda v: versions.sort_key("dpkg", v),
        seed=1,
        randoms=3000,
    )
    assert len(pairs) > 10_000
    assert _disagreements("dpkg", pairs, dpkg_oracle(pairs)) == []


def test_dpkg_agrees_with_dpkg_perl_on_vector_files() -> None:
    pairs = [
        (c.a, c.b)
        for name in ("osv-scalibr-debian-versions.txt", "osv-scalibr-debian-versions-generated.txt")
        for c in op_cases(name)
    ]
    pairs += [(b, a) for a, b in pairs]
    assert _disagreements("dpkg", pairs, dpkg_oracle(pairs)) == []


def test_rpm_agrees_with_python3_rpm_on_real_almalinux_evrs() -> None:
    pairs = real_pairs(
        DATA / "real-almalinux-evrs.txt",
        lambda v: versions.sort_key("rpm", v),
        seed=2,
        randoms=3000,
    )
    assert len(pairs) > 10_000
    assert _disagreements("rpm", pairs, rpm_oracle(pairs)) == []


def test_rpm_agrees_with_python3_rpm_on_redhat_vectors() -> None:
    pairs = [
        (c.a, c.b)
        for c in op_cases("osv-scalibr-redhat-versions.txt")
        if c.a != "+2-:"  # python3-rpm raises "invalid version" (see test_vectors)
    ]
    pairs += [(b, a) for a, b in pairs]
    assert _disagreements("rpm", pairs, rpm_oracle(pairs)) == []
