"""The demo catalog: real versions, real AlmaLinux dates, honest simulated Debian dates."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from fleetpatch.advisories.records import FIXED
from fleetpatch.catalog.records import CatalogEntry
from fleetpatch.simulate.advisorydata import load_advisories
from fleetpatch.simulate.demo_catalog import (
    BOOKWORM_RELEASED,
    DEBIAN_RELEASE_DATES,
    advisories_as_of,
    demo_catalog,
    entries_as_of,
)
from fleetpatch.simulate.packagedata import ALMALINUX_9, DEBIAN_12, known_versions, load_ecosystem
from fleetpatch.versions import compare


@pytest.fixture(scope="module")
def catalog() -> list[CatalogEntry]:
    advisories = [s.advisory for s in load_advisories()]
    return demo_catalog(load_ecosystem(DEBIAN_12), load_ecosystem(ALMALINUX_9), advisories)


def test_every_entry_is_a_shipped_real_version(catalog: list[CatalogEntry]) -> None:
    known = {eco: known_versions(eco) for eco in (DEBIAN_12, ALMALINUX_9)}
    assert len(catalog) > 20_000
    for entry in catalog:
        assert entry.version in known[entry.ecosystem][entry.name], entry


def test_shipped_advisories_are_the_almalinux_9_records() -> None:
    shipped = load_advisories()
    assert len(shipped) == 1783
    assert all(s.advisory.id.startswith(("ALSA-", "ALBA-", "ALEA-")) for s in shipped)
    # Records shared between releases also name AlmaLinux 8 or 10; each one names AlmaLinux 9.
    assert all(any(a.ecosystem == ALMALINUX_9 for a in s.advisory.affected) for s in shipped)
    assert b'"id":"' + shipped[0].advisory.id.encode() in shipped[0].raw


def test_almalinux_first_seen_is_the_earliest_fixing_advisory(
    catalog: list[CatalogEntry],
) -> None:
    earliest: dict[tuple[str, str], datetime] = {}
    security: set[tuple[str, str]] = set()
    for shipped in load_advisories():
        advisory = shipped.advisory
        assert advisory.published is not None
        for affected in advisory.affected:
            for version_range in affected.ranges:
                for event in version_range.events:
                    if event.kind != FIXED:
                        continue
                    key = (affected.package, event.version)
                    earliest[key] = min(earliest.get(key, advisory.published), advisory.published)
                    if advisory.id.startswith("ALSA-"):
                        security.add(key)
    alma = [e for e in catalog if e.ecosystem == ALMALINUX_9]
    assert len(alma) > 19_000
    for entry in alma:
        key = (entry.name, entry.version)
        assert entry.first_seen == earliest[key], entry
        assert entry.first_seen_exact
        assert entry.origin.security == (key in security)
        assert entry.origin.suite == "baseos"


def test_a_known_kernel_fix_is_dated_by_its_advisory(catalog: list[CatalogEntry]) -> None:
    # ALSA-2026:54443 (published 2026-08-17 per the record) fixes kernel 5.14.0-687.39.1.el9_8.
    record = next(s.advisory for s in load_advisories() if s.advisory.id == "ALSA-2026:54443")
    entry = next(
        e for e in catalog if e.name == "kernel-core" and e.version == "5.14.0-687.39.1.el9_8"
    )
    assert entry.first_seen == record.published
    assert entry.origin.security


def test_debian_times_stay_within_what_the_lists_prove(catalog: list[CatalogEntry]) -> None:
    debian = [e for e in catalog if e.ecosystem == DEBIAN_12]
    assert {e.origin.suite for e in debian} == set(DEBIAN_RELEASE_DATES)
    for entry in debian:
        assert BOOKWORM_RELEASED <= entry.first_seen <= DEBIAN_RELEASE_DATES[entry.origin.suite]
        assert not entry.first_seen_exact  # simulated or a lower bound: never claimed exact
        assert entry.origin.security == (entry.origin.suite == "bookworm-security")
        plain = "deb12u" not in entry.version and not entry.source.startswith("linux")
        if plain and entry.origin.suite == "bookworm":
            assert entry.first_seen == BOOKWORM_RELEASED
        if entry.source.startswith("linux") and entry.name.startswith("linux-image"):
            assert entry.first_seen > BOOKWORM_RELEASED  # 6.1.170 and later: 2025 or newer


def test_debian_newer_versions_of_a_source_are_never_seen_earlier(
    catalog: list[CatalogEntry],
) -> None:
    by_source: defaultdict[str, dict[str, datetime]] = defaultdict(dict)
    for entry in catalog:
        if entry.ecosystem == DEBIAN_12:
            by_source[entry.source][entry.source_version] = entry.first_seen
    pairs = 0
    for times in by_source.values():
        for a, seen_a in times.items():
            for b, seen_b in times.items():
                if compare("dpkg", a, b) < 0:
                    assert seen_a <= seen_b, (a, b)
                    pairs += 1
    assert pairs > 50


def test_debian_has_updates_in_the_last_ninety_days(catalog: list[CatalogEntry]) -> None:
    window = datetime(2026, 8, 29, tzinfo=UTC)
    recent = {e.source for e in catalog if e.ecosystem == DEBIAN_12 and e.first_seen > window}
    assert len(recent) >= 10


def test_debian_updates_arrive_steadily_with_no_week_long_drought(
    catalog: list[CatalogEntry],
) -> None:
    # A seven-week drought once made every Debian host "patched" for the demo's first twelve
    # days, then the first update flipped 300 of them to "behind" at once.
    times = sorted(
        {
            e.first_seen
            for e in catalog
            if e.ecosystem == DEBIAN_12
            and not e.source.startswith("linux")
            and datetime(2026, 7, 11, tzinfo=UTC) < e.first_seen
        }
    )
    assert len(times) > 30
    gaps = [b - a for a, b in pairwise(times)]
    assert max(gaps) < timedelta(days=7)


def test_as_of_cuts_off_what_was_not_published_yet(catalog: list[CatalogEntry]) -> None:
    when = datetime(2026, 3, 1, tzinfo=UTC)
    earlier = entries_as_of(catalog, when)
    assert 0 < len(earlier) < len(catalog)
    assert all(e.first_seen <= when for e in earlier)
    advisories = [s.advisory for s in load_advisories()]
    known = advisories_as_of(advisories, when)
    assert 0 < len(known) < len(advisories)
    assert all(a.published is not None and a.published <= when for a in known)
