"""Per-package update facts on distinct package keys: candidate, security suite, days behind.

The real case is this project's Debian 12 machine (its saved dpkg status and apt lists, the
catalog area's fixtures): the candidates must be exactly those `catalog.candidates.outdated` and
`apt list --upgradable` gave there. First-seen histories are built with the catalog's own
`import_release`, Release after Release, as the importer does.
"""

from __future__ import annotations

import lzma
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetpatch.catalog.apt import suite_entries
from fleetpatch.catalog.candidates import CatalogIndex, default_suites, outdated
from fleetpatch.catalog.firstseen import import_release, stamp
from fleetpatch.catalog.lists import read_lists_dir
from fleetpatch.catalog.records import CatalogEntry, FirstSeen, Origin, VersionKey
from fleetpatch.errors import InputError
from fleetpatch.exposure.updates import (
    PackageKey,
    PackageUpdate,
    evaluate_updates,
    suites_for_ecosystem,
)
from fleetpatch.inventory.dpkg import parse_dpkg_status
from fleetpatch.inventory.records import Package
from fleetpatch.versions import compare

DEBIAN12 = Path(__file__).resolve().parent.parent / "data" / "catalog" / "debian12"
ECO = "Debian:12"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
BOOKWORM_RELEASE = datetime(2026, 7, 11, 10, 16, 37, tzinfo=UTC)  # Date: of the saved InRelease
SUITES = default_suites("bookworm")
BOOKWORM = Origin("oldstable", "bookworm", "bookworm", "Debian", "main", False, "Debian")
SECURITY = Origin(
    "oldstable-security", "bookworm-security", "bookworm", "Debian-Security", "main", True
)
CURL = ("7.88.1-10+deb12u5", "7.88.1-10+deb12u14", "7.88.1-10+deb12u15")  # real curl versions


@cache
def real_index() -> CatalogIndex:
    imported = read_lists_dir(DEBIAN12 / "lists", now=NOW)
    return CatalogIndex(e for s in imported.suites for e in suite_entries(s))


@cache
def installed() -> tuple[Package, ...]:
    status = lzma.decompress((DEBIAN12 / "status.xz").read_bytes()).decode("utf-8")
    parsed = parse_dpkg_status(status)
    assert parsed.problems == ()
    return parsed.packages


def key_of(package: Package, native_arch: str = "amd64") -> PackageKey:
    return (ECO, native_arch, package.name, package.version, package.arch)


def evaluate(
    keys: list[PackageKey], index: CatalogIndex, now: datetime = NOW
) -> dict[PackageKey, PackageUpdate]:
    return evaluate_updates(keys, index, now=now, suites_for=suites_for_ecosystem)


def real_updates() -> dict[str, PackageUpdate]:
    found = evaluate([key_of(p) for p in installed()], real_index())
    return {key[2]: update for key, update in found.items()}


def test_candidates_are_exactly_what_outdated_and_apt_give() -> None:
    packages = installed()
    found = evaluate([key_of(p) for p in packages], real_index())
    behind = {
        k[2]: (u.candidate, u.origins, u.security_suite)
        for k, u in found.items()
        if u.candidate is not None
    }
    expected = {
        u.name: (u.candidate, u.origins, u.security_suite)
        for u in outdated(packages, real_index(), ecosystem=ECO, arch="amd64", suites=SUITES)
    }
    assert len(found) == len(packages) == 770
    assert len(behind) == 126  # what `apt list --upgradable` printed on that machine
    assert behind == expected


def test_current_packages_have_no_candidate_and_zero_days() -> None:
    updates = real_updates()
    current = [u for u in updates.values() if u.candidate is None]
    assert len(current) == 770 - 126
    assert all(u.days_behind == 0.0 and u.newer_versions == 0 for u in current)
    assert all(u.oldest_newer_first_seen is None for u in current)


def test_days_behind_on_the_real_lists_counts_from_an_at_least_since_release() -> None:
    curl = real_updates()["curl"]
    assert curl.candidate == CURL[2]
    assert curl.newer_versions == 1  # bookworm-security's deb12u5 is older than the installed one
    assert curl.oldest_newer_first_seen == BOOKWORM_RELEASE
    assert not curl.first_seen_exact  # the lists were imported once: "at least since" July
    assert curl.days_behind == pytest.approx((NOW - BOOKWORM_RELEASE).total_seconds() / 86400)
    assert not curl.security_suite


def test_security_suite_follows_the_candidate_origin() -> None:
    updates = real_updates()
    assert updates["libexpat1"].security_suite
    assert [o.suite for o in updates["krb5-locales"].origins] == ["bookworm", "bookworm-security"]
    assert updates["krb5-locales"].security_suite
    assert not updates["base-files"].security_suite


def test_not_offered_is_unknown_and_newer_than_every_offer_is_current() -> None:
    updates = real_updates()
    kubectl = updates["kubectl"]  # installed from a local repository the lists do not include
    assert (kubectl.offered, kubectl.candidate, kubectl.days_behind) == (False, None, 0.0)
    nodejs = updates["nodejs"]  # nodesource's 20.x beats Debian's 18.x
    assert (nodejs.offered, nodejs.candidate, nodejs.newer_versions) == (True, None, 0)
    osslsigncode = updates["osslsigncode"]  # from backports, which apt does not follow
    assert (osslsigncode.offered, osslsigncode.candidate) == (True, None)


def entry(name: str, version: str, arch: str = "amd64", origin: Origin = BOOKWORM) -> CatalogEntry:
    return CatalogEntry(ECO, name, version, arch, name, version, origin, NOW, False)


def history(*releases: tuple[datetime, list[CatalogEntry]]) -> CatalogIndex:
    """Import Releases in order (the first one is a first import) and index every stamped entry."""
    seen: dict[VersionKey, FirstSeen] = {}
    listed: dict[tuple[VersionKey, Origin], CatalogEntry] = {}
    for number, (date, entries) in enumerate(releases):
        _, seen = import_release(seen, entries, date, first_import=number == 0)
        listed.update({(e.key, e.origin): e for e in entries})
    return CatalogIndex(stamp(listed.values(), seen))


T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
T1 = datetime(2026, 10, 15, 20, 30, tzinfo=UTC)
T2 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def curl_key(version: str) -> PackageKey:
    return (ECO, "amd64", "curl", version, "amd64")


def test_two_releases_days_behind_counts_from_the_oldest_newer_version() -> None:
    v1, v2, v3 = CURL
    index = history(
        (T0, [entry("curl", v1)]),
        (T1, [entry("curl", v1), entry("curl", v2), entry("curl", v3)]),
    )
    found = evaluate([curl_key(v) for v in CURL], index)
    days_since_t1 = (NOW - T1).total_seconds() / 86400
    on_v1, on_v2, on_v3 = (found[curl_key(v)] for v in CURL)
    assert (on_v1.candidate, on_v1.newer_versions, on_v1.oldest_newer_first_seen) == (v3, 2, T1)
    assert on_v1.days_behind == pytest.approx(days_since_t1)
    assert on_v1.first_seen_exact  # v2 appeared in a later import: published then
    assert (on_v2.candidate, on_v2.newer_versions) == (v3, 1)
    assert on_v2.days_behind == pytest.approx(days_since_t1)
    assert on_v3 == PackageUpdate(None, (), False, 0.0, None, True, 0, offered=True)


def test_days_behind_is_not_the_candidates_age() -> None:
    v1, v2, v3 = CURL
    index = history(
        (T0, [entry("curl", v1)]),
        (T1, [entry("curl", v1), entry("curl", v2)]),
        (T2, [entry("curl", v2), entry("curl", v3)]),  # v1 dropped: removal un-publishes nothing
    )
    found = evaluate([curl_key(v) for v in CURL], index)
    assert found[curl_key(v1)].oldest_newer_first_seen == T1  # an update exists since T1
    assert found[curl_key(v1)].candidate == v3
    assert found[curl_key(v2)].oldest_newer_first_seen == T2
    assert found[curl_key(v2)].days_behind == pytest.approx((NOW - T2).total_seconds() / 86400)


def test_a_newer_version_from_the_first_import_is_only_at_least_since() -> None:
    v1, v2, _ = CURL
    index = history((T0, [entry("curl", v2)]))
    update = evaluate([curl_key(v1)], index)[curl_key(v1)]
    assert (update.candidate, update.oldest_newer_first_seen) == (v2, T0)
    assert not update.first_seen_exact


def test_earliest_suite_wins_when_two_suites_list_the_newer_version() -> None:
    v1, v2, _ = CURL
    index = CatalogIndex(
        [
            CatalogEntry(ECO, "curl", v2, "amd64", "curl", v2, SECURITY, T1, True),
            CatalogEntry(ECO, "curl", v2, "amd64", "curl", v2, BOOKWORM, T2, True),
        ]
    )
    update = evaluate([curl_key(v1)], index)[curl_key(v1)]
    assert update.oldest_newer_first_seen == T1
    assert [o.suite for o in update.origins] == ["bookworm", "bookworm-security"]
    assert update.security_suite


def test_arch_all_candidates_depend_on_the_hosts_native_arch() -> None:
    # A package moving from `all` to arch-specific builds (as e.g. python3 modules do).
    index = CatalogIndex(
        [entry("fonts-demo", "1.0-1", "all"), entry("fonts-demo", "1.0-2", "amd64")]
    )
    on_amd64 = (ECO, "amd64", "fonts-demo", "1.0-1", "all")
    on_arm64 = (ECO, "arm64", "fonts-demo", "1.0-1", "all")
    found = evaluate([on_amd64, on_arm64], index)
    assert found[on_amd64].candidate == "1.0-2"
    assert found[on_arm64] == PackageUpdate(None, (), False, 0.0, None, True, 0, offered=True)
    foreign = (ECO, "amd64", "fonts-demo", "1.0-1", "i386")  # foreign arch: only i386 builds
    assert evaluate([foreign], index)[foreign].candidate is None


def test_versions_first_seen_after_now_count_zero_days_not_negative() -> None:
    v1, v2, _ = CURL
    index = CatalogIndex([CatalogEntry(ECO, "curl", v2, "amd64", "curl", v2, BOOKWORM, T2, True)])
    update = evaluate([curl_key(v1)], index, now=T1)[curl_key(v1)]
    assert (update.candidate, update.days_behind) == (v2, 0.0)


def test_now_must_be_aware() -> None:
    with pytest.raises(InputError, match="aware"):
        evaluate([curl_key(CURL[0])], real_index(), now=datetime(2026, 11, 27, 12))


def test_suites_for_ecosystem() -> None:
    assert suites_for_ecosystem("Debian:12") == (
        "bookworm",
        "bookworm-updates",
        "bookworm-security",
    )
    assert suites_for_ecosystem("Debian:11")[0] == "bullseye"
    assert suites_for_ecosystem("Debian:13")[2] == "trixie-security"
    assert suites_for_ecosystem("Ubuntu:20.04")[0] == "focal"
    assert suites_for_ecosystem("Ubuntu:22.04") == ("jammy", "jammy-updates", "jammy-security")
    assert suites_for_ecosystem("Ubuntu:24.04")[1] == "noble-updates"
    assert suites_for_ecosystem("Debian:12", {"Debian:12": "stable"})[0] == "stable"
    assert suites_for_ecosystem("Debian:14", {"Debian:14": "forky"})[2] == "forky-security"
    assert suites_for_ecosystem("Alpine:v3.20") == ("v3.20",)
    assert suites_for_ecosystem("AlmaLinux:9") == ("baseos", "appstream", "extras")
    assert suites_for_ecosystem("AlmaLinux:9", {"AlmaLinux:9": "baseos, epel"}) == (
        "baseos",
        "epel",
    )
    with pytest.raises(InputError, match="Debian:14"):
        suites_for_ecosystem("Debian:14")


# Property: versions `1.<n>-1` with arbitrary first-seen times (not in version order), installed
# version anywhere among or between them, `now` after every first-seen.
_offers = st.dictionaries(
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=0, max_value=400),
    max_size=8,
)


@given(_offers, st.integers(min_value=0, max_value=31), st.integers(min_value=1, max_value=100))
def test_days_behind_is_never_negative_and_zero_exactly_when_nothing_is_newer(
    offers: dict[int, int], installed_minor: int, days_after: int
) -> None:
    index = CatalogIndex(
        CatalogEntry(
            ECO, "p", f"1.{n}-1", "amd64", "p", f"1.{n}-1", BOOKWORM, T0 + timedelta(d), True
        )
        for n, d in offers.items()
    )
    installed_version = f"1.{installed_minor}-1"
    now = T0 + timedelta(days=400 + days_after)
    key = (ECO, "amd64", "p", installed_version, "amd64")
    update = evaluate([key], index, now=now)[key]
    newer = {n: d for n, d in offers.items() if compare("dpkg", f"1.{n}-1", installed_version) > 0}
    assert update.days_behind >= 0.0
    assert (update.days_behind == 0.0) == (not newer) == (update.candidate is None)
    assert update.newer_versions == len(newer)
    assert update.offered == bool(offers)
    if newer:
        assert update.candidate == f"1.{max(newer)}-1"
        assert update.oldest_newer_first_seen == T0 + timedelta(min(newer.values()))
