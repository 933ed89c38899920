"""Canonical levels (pinned, or latest after a soak) and drift of installed versions against them.

Real case: the saved Debian 12 host and its apt lists (bookworm's Release of 2026-07-11,
bookworm-security's of 2026-11-25, bookworm-updates' of 2026-11-26, all first imports, so every
first-seen there is "at least since"). Soak edges use histories built with the catalog's
`import_release`.
"""

from __future__ import annotations

import lzma
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest

from fleetpatch.catalog.apt import suite_entries
from fleetpatch.catalog.candidates import CatalogIndex
from fleetpatch.catalog.firstseen import import_release, stamp
from fleetpatch.catalog.lists import read_lists_dir
from fleetpatch.catalog.records import CatalogEntry, FirstSeen, Origin, VersionKey
from fleetpatch.errors import InputError, VersionError
from fleetpatch.exposure.drift import (
    CanonicalLevel,
    Drift,
    canonical_levels,
    drift_of,
    packages_of,
)
from fleetpatch.exposure.updates import PackageKey
from fleetpatch.inventory.dpkg import parse_dpkg_status
from fleetpatch.policy.records import Baseline

DEBIAN12 = Path(__file__).resolve().parent.parent / "data" / "catalog" / "debian12"
ECO = "Debian:12"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
BOOKWORM = Origin("oldstable", "bookworm", "bookworm", "Debian", "main", False, "Debian")
CURL = ("7.88.1-10+deb12u5", "7.88.1-10+deb12u14", "7.88.1-10+deb12u15")
T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
T1 = datetime(2026, 10, 15, 20, 30, tzinfo=UTC)
T2 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


@cache
def real_index() -> CatalogIndex:
    imported = read_lists_dir(DEBIAN12 / "lists", now=NOW)
    return CatalogIndex(e for s in imported.suites for e in suite_entries(s))


@cache
def real_keys() -> dict[str, PackageKey]:
    status = lzma.decompress((DEBIAN12 / "status.xz").read_bytes()).decode("utf-8")
    packages = parse_dpkg_status(status).packages
    return {p.name: (ECO, "amd64", p.name, p.version, p.arch) for p in packages}


def levels(
    baselines: list[Baseline],
    index: CatalogIndex | None = None,
    *,
    now: datetime = NOW,
    ecosystems: tuple[str, ...] = (ECO,),
    all_packages: bool = False,
) -> dict[tuple[str, str], CanonicalLevel]:
    return canonical_levels(
        baselines,
        real_index() if index is None else index,
        ecosystems=ecosystems,
        now=now,
        default_soak_days=3,
        all_packages=all_packages,
        packages=packages_of(real_keys().values()),
    )


def drift(name: str, found: dict[tuple[str, str], CanonicalLevel]) -> Drift:
    key = real_keys()[name]
    return drift_of([key], found)[key]


def curl_history() -> CatalogIndex:
    """curl v1 from a first import at T0, v2 new at T1, v3 new at T2."""
    v1, v2, v3 = (
        CatalogEntry(ECO, "curl", v, "amd64", "curl", v, BOOKWORM, NOW, False) for v in CURL
    )
    seen: dict[VersionKey, FirstSeen] = {}
    listed: dict[VersionKey, CatalogEntry] = {}
    for number, (date, entries) in enumerate([(T0, [v1]), (T1, [v1, v2]), (T2, [v2, v3])]):
        _, seen = import_release(seen, entries, date, first_import=number == 0)
        listed.update({e.key: e for e in entries})
    return CatalogIndex(stamp(listed.values(), seen))


def test_latest_is_the_newest_version_whose_soak_is_over() -> None:
    index = curl_history()
    baseline = [Baseline("curl", "latest", soak_days=3)]
    assert levels(baseline, index, now=T2 + timedelta(days=1))[(ECO, "curl")].version == CURL[1]
    exactly_soaked = levels(baseline, index, now=T2 + timedelta(days=3))[(ECO, "curl")]
    assert exactly_soaked == CanonicalLevel(
        CURL[2], pinned=False, reason="latest after 3 days soak (baseline): first seen 2026-11-20"
    )
    no_soak = [Baseline("curl", "latest", soak_days=0)]
    assert levels(no_soak, index, now=T2)[(ECO, "curl")].version == CURL[2]
    assert levels(no_soak, index, now=T1)[(ECO, "curl")].version == CURL[1]  # v3 not yet seen


def test_at_least_since_counts_as_soaked_once_the_since_is_old_enough() -> None:
    index = curl_history()
    baseline = [Baseline("curl", "latest", soak_days=3)]
    assert levels(baseline, index, now=T0 + timedelta(days=2)) == {}  # nothing soaked: no level
    level = levels(baseline, index, now=T0 + timedelta(days=5))[(ECO, "curl")]
    assert level.version == CURL[0]
    assert level.reason.endswith("first seen 2026-09-01 or earlier")


def test_real_lists_soak_keeps_fresh_security_updates_out_of_the_level() -> None:
    # libexpat1: bookworm has deb12u2 (July), bookworm-security deb12u5 (Release of Nov 25).
    three_days = levels([Baseline("libexpat1", "latest", soak_days=3)])
    assert three_days[(ECO, "libexpat1")].version == "2.5.0-1+deb12u2"
    one_day = levels([Baseline("libexpat1", "latest", soak_days=1)])
    assert one_day[(ECO, "libexpat1")].version == "2.5.0-1+deb12u5"
    assert drift("libexpat1", three_days) == Drift("2.5.0-1+deb12u2", "behind")


def test_drift_behind_ahead_and_on_level_on_the_real_host() -> None:
    found = levels([Baseline("curl"), Baseline("nodejs"), Baseline("adduser")])
    assert drift("curl", found) == Drift(CURL[2], "behind")  # deb12u14 installed
    # nodesource's 20.x is installed; security's deb12u3 (Nov 25) has not soaked 3 days yet.
    assert drift("nodejs", found) == Drift("18.20.4+dfsg-1~deb12u2", "ahead")
    assert drift("nodejs", found).state == "ahead_of_baseline"  # not a catalog version: drift
    assert drift("adduser", found) == Drift(real_keys()["adduser"][3], None)
    assert drift("dpkg", found) == Drift(None, None)  # no baseline, no level


def test_pinned_baseline_is_that_version_whatever_the_catalog_holds() -> None:
    on_pin = levels([Baseline("openssh-client", "1:9.2p1-2+deb12u6", 0, ECO)])
    assert on_pin[(ECO, "openssh-client")] == CanonicalLevel(
        "1:9.2p1-2+deb12u6", pinned=True, reason="pinned by baseline"
    )
    assert drift("openssh-client", on_pin) == Drift("1:9.2p1-2+deb12u6", None, pinned=True)
    assert drift("openssh-client", on_pin).state == "on_baseline"
    above = levels([Baseline("openssh-client", "1:9.2p1-2+deb12u7", 0, ECO)])
    assert drift("openssh-client", above).direction == "behind"
    assert drift("openssh-client", above).state == "behind_baseline"
    below = levels([Baseline("openssh-client", "1:9.2p1-2+deb12u5", 0, ECO)])
    assert drift("openssh-client", below).direction == "ahead"
    assert drift("openssh-client", below).state == "ahead_of_pin"  # reported apart from behind
    local = levels([Baseline("kubectl", "1.31.0-1.1", 0, ECO)])  # not in any suite: still pinned
    assert local[(ECO, "kubectl")].version == "1.31.0-1.1"


def test_a_pin_without_ecosystem_applies_only_where_the_catalog_knows_the_package() -> None:
    found = levels(
        [Baseline("curl", CURL[1], 0), Baseline("kubectl", "1.31.0-1.1", 0)],
        ecosystems=(ECO, "AlmaLinux:9"),
    )
    assert set(found) == {(ECO, "curl")}


def test_the_most_specific_baseline_wins() -> None:
    baselines = [
        Baseline("curl", CURL[0], 0, ECO),
        Baseline("curl", "latest", 3, "Debian:"),
        Baseline("curl", "latest", 3),
    ]
    found = levels(baselines, ecosystems=(ECO, "Debian:11"))
    assert found[(ECO, "curl")].pinned
    assert (("Debian:11", "curl") in found) is False  # the catalog holds no Debian 11 curl


def test_all_packages_gives_every_run_package_the_default_level() -> None:
    assert set(levels([Baseline("curl")])) == {(ECO, "curl")}
    found = levels([Baseline("libexpat1", "latest", soak_days=1)], all_packages=True)
    assert (ECO, "kubectl") not in found  # offered by no suite: no level, not "on level"
    assert found[(ECO, "libexpat1")].version == "2.5.0-1+deb12u5"  # the baseline's own soak
    assert found[(ECO, "curl")].reason.startswith("latest after 3 days soak (default)")
    drifts = drift_of(real_keys().values(), found)
    behind = {k[2] for k, d in drifts.items() if d.direction == "behind"}
    assert {"curl", "libexpat1", "base-files"} <= behind
    assert "openssh-client" in behind  # bookworm's point release deb12u10 soaked since July


def test_invalid_pin_and_naive_now_are_input_errors() -> None:
    with pytest.raises(VersionError):
        levels([Baseline("curl", "not a version", 0, ECO)])
    with pytest.raises(InputError, match="aware"):
        levels([Baseline("curl")], now=datetime(2026, 11, 27))


def test_a_version_newer_than_latest_but_still_soaking_is_on_baseline() -> None:
    three_days = levels([Baseline("libexpat1", "latest", soak_days=3, owner="platform")])
    level = three_days[(ECO, "libexpat1")]
    assert level.version == "2.5.0-1+deb12u2"
    assert "2.5.0-1+deb12u5" in level.soaking  # offered, not yet soaked three days
    key = (ECO, "amd64", "libexpat1", "2.5.0-1+deb12u5", "amd64")
    early = drift_of([key], three_days)[key]
    assert early.direction is None
    assert early.state == "on_baseline"  # the level moves there once it has soaked
    assert early.owner == "platform"  # one level per package, owned by one team
