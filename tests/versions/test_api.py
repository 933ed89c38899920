"""The public interface of fleetpatch.versions: scheme lookup, errors, sort keys."""

from __future__ import annotations

import itertools

import pytest

from fleetpatch import versions
from fleetpatch.errors import InputError, VersionError


@pytest.mark.parametrize(
    ("ecosystem", "scheme"),
    [
        ("Debian:12", "dpkg"),
        ("Ubuntu:22.04", "dpkg"),
        ("Ubuntu:22.04:LTS", "dpkg"),
        ("Ubuntu:Pro:18.04:LTS", "dpkg"),
        ("AlmaLinux:9", "rpm"),
        ("Rocky Linux:9", "rpm"),
        ("Red Hat:enterprise_linux:9::appstream", "rpm"),
        ("openSUSE:Leap 15.5", "rpm"),
        ("SUSE:Linux Enterprise Server 15 SP5", "rpm"),
        ("Fedora", "rpm"),
        ("CentOS", "rpm"),
        ("Amazon Linux", "rpm"),
        ("Oracle Linux", "rpm"),
        ("Alpine:v3.20", "apk"),
    ],
)
def test_scheme_for_ecosystem(ecosystem: str, scheme: str) -> None:
    assert versions.scheme_for_ecosystem(ecosystem) == scheme


@pytest.mark.parametrize("ecosystem", ["PyPI", "Debianish:12", "npm", "", "alpine:v3.20"])
def test_unknown_ecosystem_is_an_input_error(ecosystem: str) -> None:
    with pytest.raises(InputError, match="unknown ecosystem"):
        versions.scheme_for_ecosystem(ecosystem)


def test_unknown_scheme_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown version scheme 'pacman'"):
        versions.compare("pacman", "1", "2")


@pytest.mark.parametrize(
    ("scheme", "bad"),
    [("dpkg", "1.0-"), ("dpkg", ""), ("dpkg", "a:1"), ("rpm", ""), ("rpm", "1:"), ("apk", "")],
)
def test_invalid_versions_raise_a_one_line_version_error(scheme: str, bad: str) -> None:
    for call in (
        lambda: versions.compare(scheme, bad, "1"),
        lambda: versions.compare(scheme, "1", bad),
        lambda: versions.validate(scheme, bad),
        lambda: versions.sort_key(scheme, bad),
    ):
        with pytest.raises(VersionError) as caught:
            call()
        message = str(caught.value)
        assert message.startswith(f"invalid {scheme} version {bad!r}: ")
        assert "\n" not in message


@pytest.mark.parametrize(
    ("scheme", "pool", "newest"),
    [
        ("dpkg", ["1.2.3-1", "1.2.3-1+deb12u1", "1.2.3~rc1-1", "1:0.1-1"], "1:0.1-1"),
        ("rpm", ["1.2-3.el9", "1.2-3.el9_1", "1.10-1.el9", "1.2^git1-1"], "1.10-1.el9"),
        ("apk", ["1.2-r0", "1.10-r0", "1.10_rc1-r3", "1.9_p2-r1"], "1.10-r0"),
    ],
)
def test_sort_key_orders_like_compare(scheme: str, pool: list[str], newest: str) -> None:
    assert max(pool, key=lambda v: versions.sort_key(scheme, v)) == newest
    ordered = sorted(pool, key=lambda v: versions.sort_key(scheme, v))
    assert all(versions.compare(scheme, a, b) == -1 for a, b in itertools.pairwise(ordered))


def test_apk_validate_is_strict_but_compare_orders_like_apk() -> None:
    with pytest.raises(VersionError):
        versions.validate("apk", "1.0bc")
    assert versions.compare("apk", "1.0", "1.0bc") == -1


def test_dpkg_warning_versions_are_valid_and_carry_warnings() -> None:
    from fleetpatch.versions import dpkg

    versions.validate("dpkg", "0:abc3-0")
    assert dpkg.parse("0:abc3-0").warnings == ("version number does not start with digit",)
