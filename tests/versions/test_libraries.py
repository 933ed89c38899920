"""Why we do not just call python-debian or univers: each failing case, measured and pinned.

Each test shows the library's behaviour on a real vector *and* that ours gets it right. When a
library fixes a case, its half of the test fails, which tells us to re-measure (and maybe wrap
the library instead of our own code).
"""

from __future__ import annotations

import pytest
from debian.debian_support import Version as DebianSupportVersion
from univers.versions import AlpineLinuxVersion, DebianVersion, InvalidVersion, RpmVersion

from fleetpatch import versions

from .vectors import holds, op_cases


def test_python_debian_leading_space_is_handled() -> None:
    # apt's compareversion_test.cc: `9:1.18.36:5.4-20 <  9:1.18.37:4.3-22` (leading space)
    with pytest.raises(ValueError, match="Invalid version string"):
        DebianSupportVersion(" 9:1.18.37:4.3-22")
    assert versions.compare("dpkg", "9:1.18.36:5.4-20", " 9:1.18.37:4.3-22") == -1


def test_python_debian_agrees_with_us_on_every_generated_debian_vector() -> None:
    bad = []
    for case in op_cases("osv-scalibr-debian-versions-generated.txt"):
        a, b = DebianSupportVersion(case.a), DebianSupportVersion(case.b)
        theirs = (a > b) - (a < b)
        if theirs != versions.compare("dpkg", case.a, case.b):
            bad.append(case.where())
    assert bad == []


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("9:1.18.36:5.4-20", "10:0.5.1-22", -1),
        ("1:2:123", "1:12:3", -1),
        ("7:1-a:b-5", "7:1-a:b-5", 0),
    ],
)
def test_univers_debian_rejects_colons_in_upstream(a: str, b: str, expected: int) -> None:
    with pytest.raises(InvalidVersion):
        DebianVersion(a) < DebianVersion(b)  # noqa: B015
    assert versions.compare("dpkg", a, b) == expected


def test_univers_rpm_rejects_non_numeric_epochs() -> None:
    # osv-scalibr redhat-versions.txt: `a:1 < b:1`, epochs compared with rpmvercmp
    with pytest.raises(ValueError, match="invalid literal for int"):
        RpmVersion("a:1")
    assert versions.compare("rpm", "a:1", "b:1") == -1


def test_univers_rpm_ignores_a_missing_release() -> None:
    # python3-rpm labelCompare: a missing release sorts before an empty one: `1 < 1-`
    assert RpmVersion("1") == RpmVersion("1-")
    assert versions.compare("rpm", "1", "1-") == -1


@pytest.mark.parametrize(
    ("a", "op", "b"),
    [
        ("5.1_p1-r2", "<", "5.1p1-r0"),  # real Alpine data ordered by `apk version -t`
        ("1.0", "<", "1.0bc"),  # apk-tools version.data: ordered though invalid
        ("1-r", "=", "1-r0"),
        ("1.0~1234-r1", "<", "1.0~2345-r0"),  # apk-tools 3 commit hashes
    ],
)
def test_univers_apk_rejects_forms_apk_orders(a: str, op: str, b: str) -> None:
    with pytest.raises(InvalidVersion):
        AlpineLinuxVersion(a) < AlpineLinuxVersion(b)  # noqa: B015
    assert holds(op, versions.compare("apk", a, b))
