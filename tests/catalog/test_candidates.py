"""Candidates and the outdated set, checked against what apt itself answered on the same machine.

The acceptance case: a Debian 12 host's dpkg status and its apt lists (saved once from the machine
these tests were written on) must give exactly the packages and candidate versions that
`apt list --upgradable` printed there, from the same archives.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from catalog_support import (
    DEBIAN12,
    installed_from_status,
    parse_apt_list_upgradable,
    saved_status,
)

from fleetpatch.catalog.apt import suite_entries
from fleetpatch.catalog.candidates import CatalogIndex, candidate, default_suites, outdated
from fleetpatch.catalog.lists import read_lists_dir
from fleetpatch.catalog.records import CatalogEntry, Origin, Update
from fleetpatch.inventory.records import Package

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SUITES = default_suites("bookworm")
ECOSYSTEM = "Debian:12"


def _index() -> CatalogIndex:
    imported = read_lists_dir(DEBIAN12 / "lists", now=NOW)
    return CatalogIndex(e for s in imported.suites for e in suite_entries(s))


def _as_apt_prints(
    updates: tuple[Update, ...],
) -> dict[tuple[str, str], tuple[str, str, tuple[str, ...]]]:
    return {
        (u.name, u.arch): (u.installed, u.candidate, tuple(o.archive for o in u.origins))
        for u in updates
    }


def test_outdated_equals_apt_list_upgradable() -> None:
    installed, held = installed_from_status(saved_status())
    updates = outdated(
        installed, _index(), ecosystem=ECOSYSTEM, arch="amd64", suites=SUITES, held=held
    )
    expected = parse_apt_list_upgradable((DEBIAN12 / "apt-list-upgradable.txt").read_text())
    assert len(expected) == 126
    assert _as_apt_prints(updates) == expected


def test_security_suite_flag_follows_the_candidate_origins() -> None:
    installed, _ = installed_from_status(saved_status())
    updates = {
        u.name: u
        for u in outdated(installed, _index(), ecosystem=ECOSYSTEM, arch="amd64", suites=SUITES)
    }
    assert updates["libexpat1"].security_suite  # oldstable-security only
    assert updates["krb5-locales"].security_suite  # oldstable and oldstable-security
    assert not updates["base-files"].security_suite  # point release only
    assert [o.suite for o in updates["krb5-locales"].origins] == ["bookworm", "bookworm-security"]


def test_apt_cache_policy_cases() -> None:
    """The cases of the saved `apt-cache policy` output, one by one."""
    index = _index()
    policy = (DEBIAN12 / "apt-cache-policy.txt").read_text()

    def candidate_of(name: str, installed_arch: str = "amd64") -> str | None:
        found = candidate(
            index,
            ecosystem=ECOSYSTEM,
            name=name,
            installed_arch=installed_arch,
            native_arch="amd64",
            suites=SUITES,
        )
        return found[0].version if found else None

    # apt's candidate for a package we offer is our candidate.
    for name, version in [
        ("curl", "7.88.1-10+deb12u15"),
        ("libc6", "2.36-9+deb12u14"),
        ("dpkg-dev", "1.21.23"),
    ]:
        assert f"{name}:\n  Installed:" in policy
        assert candidate_of(name, "all" if name == "dpkg-dev" else "amd64") == version
        assert f"Candidate: {version}" in policy.split(f"{name}:\n", 1)[1].split("Version table")[0]
    # Installed newer than every offer (nodejs from nodesource, osslsigncode from backports): the
    # catalog candidate is older, so nothing to upgrade.
    installed, _ = installed_from_status(saved_status())
    by_name = {p.name: p for p in installed}
    assert candidate_of("osslsigncode") == "2.5-4"
    assert candidate_of("nodejs") == "18.20.4+dfsg-1~deb12u3"
    local = [by_name["osslsigncode"], by_name["nodejs"], by_name["kubectl"]]
    assert outdated(local, index, ecosystem=ECOSYSTEM, arch="amd64", suites=SUITES) == ()
    # Installed but offered by no suite (kubectl from a disabled third-party repo).
    assert candidate_of("kubectl") is None


def test_held_packages_are_listed_and_flagged() -> None:
    """apt 2.6.1 here still listed curl under `apt list --upgradable` while it was on hold."""
    status = saved_status().replace(
        "Package: curl\nStatus: install ok installed", "Package: curl\nStatus: hold ok installed"
    )
    installed, held = installed_from_status(status)
    assert held == {"curl"}
    updates = {
        u.name: u
        for u in outdated(
            installed, _index(), ecosystem=ECOSYSTEM, arch="amd64", suites=SUITES, held=held
        )
    }
    assert updates["curl"].held
    assert not updates["libcurl4"].held


def _entry(
    name: str, version: str, arch: str, suite: str, phased: int | None = None
) -> CatalogEntry:
    origin = Origin(suite, suite, suite, "Debian", "main", suite.endswith("-security"))
    return CatalogEntry(
        ECOSYSTEM, name, version, arch, name, version, origin, NOW, False, phased_percentage=phased
    )


def test_architecture_rules() -> None:
    index = CatalogIndex(
        [
            _entry("libfoo1", "2.0-1", "amd64", "bookworm"),
            _entry("libfoo1", "3.0-1", "i386", "bookworm"),
            _entry("docs", "2.0-1", "amd64", "bookworm"),  # arch all → any switch is allowed
            _entry("tool", "9.0-1", "arm64", "bookworm"),
        ]
    )
    installed = [
        Package("libfoo1", "1.0-1", "amd64"),
        Package("libfoo1", "1.0-1", "i386"),
        Package("docs", "1.0-1", "all"),
        Package("tool", "1.0-1", "amd64"),
    ]
    got = {
        (u.name, u.arch): u.candidate
        for u in outdated(installed, index, ecosystem=ECOSYSTEM, arch="amd64", suites=SUITES)
    }
    assert got == {
        ("libfoo1", "amd64"): "2.0-1",
        ("libfoo1", "i386"): "3.0-1",
        ("docs", "amd64"): "2.0-1",
    }


def test_backports_are_not_followed_by_default_and_equal_versions_are_current() -> None:
    index = CatalogIndex(
        [
            _entry("tool", "2.0-1~bpo12+1", "amd64", "bookworm-backports"),
            _entry("tool", "1.0-1", "amd64", "bookworm"),
        ]
    )
    assert (
        outdated(
            [Package("tool", "1.0-1", "amd64")],
            index,
            ecosystem=ECOSYSTEM,
            arch="amd64",
            suites=SUITES,
        )
        == ()
    )
    with_bpo = (*SUITES, "bookworm-backports")
    (update,) = outdated(
        [Package("tool", "1.0-1", "amd64")],
        index,
        ecosystem=ECOSYSTEM,
        arch="amd64",
        suites=with_bpo,
    )
    assert update.candidate == "2.0-1~bpo12+1"


def test_phased_candidate_is_listed_with_its_percentage() -> None:
    ubuntu = "Ubuntu:22.04"
    entries = [
        replace(_entry("snapd", "2.61-1", "amd64", "jammy-updates", phased=20), ecosystem=ubuntu)
    ]
    (update,) = outdated(
        [Package("snapd", "2.60-1", "amd64")],
        CatalogIndex(entries),
        ecosystem=ubuntu,
        arch="amd64",
        suites=default_suites("jammy"),
    )
    assert (update.candidate, update.phased_percentage) == ("2.61-1", 20)


def test_index_counts_and_unknown_names() -> None:
    index = _index()
    assert len(index) == 754 + 6 + 189
    assert index.versions(ECOSYSTEM, "no-such-package") == ()
    assert index.versions("Debian:11", "curl") == ()


def test_rpm_noarch_counts_like_all() -> None:
    alma = "AlmaLinux:9"
    entries = [
        replace(_entry("tzdata", "2024b-2.el9", "noarch", "baseos"), ecosystem=alma),
        replace(_entry("openssl", "1:3.0.7-29.el9", "x86_64", "baseos"), ecosystem=alma),
        replace(_entry("openssl", "1:3.2.2-6.el9", "aarch64", "baseos"), ecosystem=alma),
    ]
    installed = [
        Package("tzdata", "2024a-1.el9", "noarch"),
        Package("openssl", "1:3.0.7-27.el9", "x86_64"),
    ]
    got = outdated(
        installed, CatalogIndex(entries), ecosystem=alma, arch="x86_64", suites=["baseos"]
    )
    assert [(u.name, u.candidate, u.arch) for u in got] == [
        ("openssl", "1:3.0.7-29.el9", "x86_64"),
        ("tzdata", "2024b-2.el9", "noarch"),
    ]
