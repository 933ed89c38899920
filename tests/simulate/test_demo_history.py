"""Ninety days of a demo fleet: real versions, never before publication, and the seed's story."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from fleetpatch.catalog.records import CatalogEntry
from fleetpatch.inventory.records import HostReport, Package
from fleetpatch.simulate.advisorydata import load_advisories
from fleetpatch.simulate.cadence import SILENT_DAYS
from fleetpatch.simulate.demo_catalog import demo_catalog
from fleetpatch.simulate.fleet import generate_fleet
from fleetpatch.simulate.history import HISTORY_DAYS, FleetHistory
from fleetpatch.simulate.packagedata import (
    ALMALINUX_9,
    DEBIAN_12,
    EcosystemData,
    known_versions,
    load_ecosystem,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
HOSTS = 60


@pytest.fixture(scope="module")
def ecosystems() -> dict[str, EcosystemData]:
    return {e: load_ecosystem(e) for e in (DEBIAN_12, ALMALINUX_9)}


@pytest.fixture(scope="module")
def catalog(ecosystems: Mapping[str, EcosystemData]) -> list[CatalogEntry]:
    advisories = [s.advisory for s in load_advisories()]
    return demo_catalog(ecosystems[DEBIAN_12], ecosystems[ALMALINUX_9], advisories)


@pytest.fixture(scope="module")
def history(catalog: list[CatalogEntry], ecosystems: Mapping[str, EcosystemData]) -> FleetHistory:
    final = list(generate_fleet(HOSTS, seed=7, now=NOW, images=6))
    return FleetHistory(final, catalog, ecosystems, seed=7, now=NOW)


def _by_name(reports: list[HostReport]) -> dict[str, HostReport]:
    return {r.hostname: r for r in reports}


def test_days_span_ninety_days_ending_now(history: FleetHistory) -> None:
    days = history.days()
    assert len(days) == HISTORY_DAYS + 1
    assert days[0] == NOW - timedelta(days=90)
    assert days[-1] == NOW
    every_other = history.days(2)
    assert every_other[-1] == NOW
    assert len(every_other) == 46
    assert all(b - a == timedelta(days=2) for a, b in pairwise(every_other))


def test_hosts_never_run_a_version_before_it_was_published(
    history: FleetHistory, catalog: list[CatalogEntry]
) -> None:
    seen = {(e.ecosystem, e.name, e.version): e.first_seen for e in catalog}
    known = {eco: known_versions(eco) for eco in (DEBIAN_12, ALMALINUX_9)}
    for day in history.days(15):
        for report in history.reports(day):
            for package in report.packages:
                assert package.version in known[report.ecosystem][package.name]
                published = seen.get((report.ecosystem, package.name, package.version))
                assert published is None or published <= report.collected_at, (report, package)


def test_reports_are_fresh_and_kernels_consistent(history: FleetHistory) -> None:
    for day in (history.days()[0], NOW):
        for report in history.reports(day):
            assert day - timedelta(minutes=30) <= report.collected_at <= day
            assert report.kernel is not None
            assert report.boot_time is not None
            assert report.kernel.running in report.kernel.installed
            assert report.boot_time < report.collected_at


def test_metal_01_is_up_412_days_with_a_pending_reboot(history: FleetHistory) -> None:
    metal = _by_name(history.reports(NOW))["metal-01"]
    assert metal.boot_time is not None
    assert metal.kernel is not None
    assert (metal.collected_at - metal.boot_time).days >= 412
    assert metal.kernel.running != metal.kernel.installed[-1]
    if metal.ecosystem == DEBIAN_12:
        assert metal.reboot_required.flag is True


def test_exactly_one_host_stops_reporting_nine_days_before_now(history: FleetHistory) -> None:
    before = {r.hostname for r in history.reports(NOW - timedelta(days=SILENT_DAYS + 1))}
    after = {r.hostname for r in history.reports(NOW)}
    assert len(before) == HOSTS
    silent = before - after
    assert len(silent) == 1
    assert next(iter(silent)).startswith(("jump-", "util-"))


def test_few_hosts_are_pending_a_reboot_today_metal_01_among_them(history: FleetHistory) -> None:
    pending = [
        r.hostname for r in history.reports(NOW) if r.kernel.running != r.kernel.installed[-1]
    ]
    assert "metal-01" in pending
    assert len(pending) <= max(3, HOSTS // 10)


def test_database_hosts_stop_taking_updates_while_nodes_keep_up(history: FleetHistory) -> None:
    def packages(day: datetime, role: str) -> dict[str, tuple[Package, ...]]:
        return {
            r.hostname: r.packages for r in history.reports(day) if r.labels.get("role") == role
        }

    first_week, end = history.days()[8], NOW
    db_early, db_end = packages(first_week, "db"), packages(end, "db")
    assert db_early
    # After its first patch in the window the database team installs nothing newer...
    assert db_early == db_end
    # ...while the node pool takes the updates published since.
    nodes_early, nodes_end = packages(first_week, "k8s-node"), packages(end, "k8s-node")
    changed = [h for h in nodes_end if nodes_early[h] != nodes_end[h]]
    assert len(changed) > len(nodes_end) // 2


def test_same_seed_same_history(
    catalog: list[CatalogEntry], ecosystems: Mapping[str, EcosystemData]
) -> None:
    def build() -> list[HostReport]:
        final = list(generate_fleet(12, seed=3, now=NOW, images=5))
        return FleetHistory(final, catalog, ecosystems, seed=3, now=NOW).reports(
            NOW - timedelta(days=40)
        )

    assert build() == build()
