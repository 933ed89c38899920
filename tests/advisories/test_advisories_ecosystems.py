"""Ecosystem spellings: one key per release, Pro only on request, source vs binary keys."""

from __future__ import annotations

import pytest

from fleetpatch.advisories.ecosystems import (
    is_pro,
    lookup_ecosystems,
    match_key,
    normalize_ecosystem,
)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Ubuntu:22.04:LTS", "Ubuntu:22.04"),
        ("Ubuntu:22.04", "Ubuntu:22.04"),
        ("ubuntu:22.04:lts", "Ubuntu:22.04"),
        ("Ubuntu:25.10", "Ubuntu:25.10"),
        ("Ubuntu:Pro:20.04:LTS", "Ubuntu:Pro:20.04"),
        ("Ubuntu:Pro:FIPS:22.04:LTS", "Ubuntu:Pro:FIPS:22.04"),
        ("Alpine:v3.20", "Alpine:v3.20"),
        ("Alpine:3.20.3", "Alpine:v3.20"),
        ("alpine:v3.9", "Alpine:v3.9"),
        ("Debian:12", "Debian:12"),
        ("Debian:12.7", "Debian:12"),
        ("AlmaLinux:9", "AlmaLinux:9"),
        ("AlmaLinux:9.4", "AlmaLinux:9"),
        ("Rocky Linux:9.3", "Rocky Linux:9"),
        ("rocky linux:8", "Rocky Linux:8"),
        ("Red Hat:enterprise_linux:9::appstream", "Red Hat:enterprise_linux:9::appstream"),
        ("  Debian:11 ", "Debian:11"),
        ("openSUSE:Leap 15.5", "openSUSE:Leap 15.5"),
        ("Debian", "Debian"),
    ],
)
def test_normalize_ecosystem(raw: str, normal: str) -> None:
    assert normalize_ecosystem(raw) == normal


def test_lts_and_plain_spelling_share_one_key() -> None:
    assert normalize_ecosystem("Ubuntu:20.04:LTS") == normalize_ecosystem("Ubuntu:20.04")


def test_plain_ubuntu_host_never_searches_pro() -> None:
    assert lookup_ecosystems("Ubuntu:20.04") == ("Ubuntu:20.04",)
    assert lookup_ecosystems("Ubuntu:20.04:LTS") == ("Ubuntu:20.04",)


def test_pro_host_searches_pro_first_then_plain_release() -> None:
    assert lookup_ecosystems("Ubuntu:20.04", pro=True) == ("Ubuntu:Pro:20.04", "Ubuntu:20.04")
    assert lookup_ecosystems("Ubuntu:Pro:20.04:LTS") == ("Ubuntu:Pro:20.04", "Ubuntu:20.04")


def test_pro_flag_means_nothing_outside_ubuntu() -> None:
    assert lookup_ecosystems("Debian:12", pro=True) == ("Debian:12",)


def test_is_pro() -> None:
    assert is_pro("Ubuntu:Pro:18.04:LTS")
    assert not is_pro("Ubuntu:18.04:LTS")


@pytest.mark.parametrize(
    ("ecosystem", "key"),
    [
        ("Debian:12", "source"),
        ("Ubuntu:22.04:LTS", "source"),
        ("Ubuntu:Pro:20.04:LTS", "source"),
        ("Alpine:v3.20", "source"),
        ("AlmaLinux:9", "binary"),
        ("Rocky Linux:9", "binary"),
        ("Red Hat:enterprise_linux:9::appstream", "binary"),
    ],
)
def test_match_key(ecosystem: str, key: str) -> None:
    assert match_key(ecosystem) == key
