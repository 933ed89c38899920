"""Total-order properties of every scheme on generated plausible versions (Hypothesis).

compare is reflexive (a = a), antisymmetric (compare(a, b) = -compare(b, a)) and transitive,
and sorting by sort_key agrees with compare. For dpkg, python-debian is an independent
pairwise implementation, so generated pairs are also checked against it.
"""

from __future__ import annotations

import itertools

from debian.debian_support import Version as DebianSupportVersion
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fleetpatch import versions

_DIGITS = st.text("0123456789", min_size=1, max_size=3)
_WORD = st.text("0123456789.+~abzA", min_size=0, max_size=6)

dpkg_versions = st.builds(
    lambda epoch, head, tail, rev: f"{epoch}{head}{tail}{rev}",
    st.sampled_from(["", "0:", "1:", "2:"]),
    _DIGITS,
    _WORD,
    st.one_of(
        st.just(""),
        st.builds(lambda r: f"-{r}", st.text("0123456789.+~ab", min_size=1, max_size=5)),
    ),
)

rpm_versions = st.builds(
    lambda epoch, ver, rel: f"{epoch}{ver}{rel}",
    st.sampled_from(["", "0:", "1:", "10:"]),
    st.text("0123456789.ab~^_", min_size=1, max_size=7).filter(lambda v: v[0] != "~" or len(v) > 1),
    st.one_of(st.just(""), st.builds(lambda r: f"-{r}", st.text("0123456789.el_~^", max_size=6))),
)

apk_versions = st.builds(
    lambda nums, letter, suffixes, rev: ".".join(nums) + letter + "".join(suffixes) + rev,
    st.lists(_DIGITS, min_size=1, max_size=4),
    st.sampled_from(["", "a", "b", "z"]),
    st.lists(
        st.builds(
            lambda name, num: f"_{name}{num}",
            st.sampled_from(["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"]),
            st.sampled_from(["", "0", "1", "2", "10"]),
        ),
        max_size=2,
    ),
    st.sampled_from(["", "-r0", "-r1", "-r2", "-r10"]),
)

STRATEGIES = {"dpkg": dpkg_versions, "rpm": rpm_versions, "apk": apk_versions}


def _check_total_order(scheme: str, trio: list[str]) -> None:
    for a in trio:
        assert versions.compare(scheme, a, a) == 0
    for a, b in itertools.permutations(trio, 2):
        assert versions.compare(scheme, a, b) == -versions.compare(scheme, b, a)
    for a, b, c in itertools.permutations(trio, 3):
        if versions.compare(scheme, a, b) <= 0 and versions.compare(scheme, b, c) <= 0:
            assert versions.compare(scheme, a, c) <= 0
    ordered = sorted(trio, key=lambda v: versions.sort_key(scheme, v))
    for a, b in itertools.pairwise(ordered):
        assert versions.compare(scheme, a, b) <= 0


@settings(max_examples=400)
@given(st.lists(dpkg_versions, min_size=3, max_size=3))
@example(["1.0~rc1-1", "1.0-1", "1.0-1+b1"])
@example(["0~", "0", "0a"])
def test_dpkg_total_order(trio: list[str]) -> None:
    _check_total_order("dpkg", trio)


@settings(max_examples=400)
@given(st.lists(rpm_versions, min_size=3, max_size=3))
@example(["1.0~rc1", "1.0", "1.0^git1"])
@example(["1", "1-", "1-0"])
def test_rpm_total_order(trio: list[str]) -> None:
    _check_total_order("rpm", trio)


@settings(max_examples=400)
@given(st.lists(apk_versions, min_size=3, max_size=3))
@example(["1.2_rc1", "1.2", "1.2_p1"])
@example(["8.2.0", "8.2.001", "8.2.0015"])
def test_apk_total_order(trio: list[str]) -> None:
    _check_total_order("apk", trio)


@settings(max_examples=300)
@given(apk_versions)
def test_generated_apk_versions_are_valid(version: str) -> None:
    versions.validate("apk", version)


@settings(max_examples=600)
@given(dpkg_versions, dpkg_versions)
@example("1.0~", "1.0")
@example("0:0-0", "0")
def test_dpkg_matches_python_debian_on_generated_pairs(a: str, b: str) -> None:
    x, y = DebianSupportVersion(a), DebianSupportVersion(b)
    assert versions.compare("dpkg", a, b) == (x > y) - (x < y)
