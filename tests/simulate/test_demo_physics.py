"""The demo's history obeys physics: for every host and day its facts are consistent.

A new kernel runs only after a new boot, a new boot lies between two reports, reboot evidence
stays from when it appeared until a reboot, and versions only move forward (the demo never
downgrades on purpose). Checked with Hypothesis over small fleets and seeds, and on the actual
demo fleet (400 hosts, seed 7), whose `metal-01` once changed kernel without booting.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetpatch.app.demo import HOSTS_PER_IMAGE
from fleetpatch.catalog.records import CatalogEntry
from fleetpatch.exposure.host_states import newest_kernel
from fleetpatch.inventory.records import HostReport
from fleetpatch.simulate.advisorydata import load_advisories
from fleetpatch.simulate.demo_catalog import demo_catalog
from fleetpatch.simulate.fleet import generate_fleet
from fleetpatch.simulate.history import FleetHistory
from fleetpatch.simulate.kinds import LONGEST_UPTIME_DAYS
from fleetpatch.simulate.packagedata import ALMALINUX_9, DEBIAN_12, EcosystemData, load_ecosystem
from fleetpatch.versions import compare

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SCHEME = {DEBIAN_12: "dpkg", ALMALINUX_9: "rpm"}


@pytest.fixture(scope="module")
def ecosystems() -> dict[str, EcosystemData]:
    return {e: load_ecosystem(e) for e in (DEBIAN_12, ALMALINUX_9)}


@pytest.fixture(scope="module")
def catalog(ecosystems: Mapping[str, EcosystemData]) -> list[CatalogEntry]:
    advisories = [s.advisory for s in load_advisories()]
    return demo_catalog(ecosystems[DEBIAN_12], ecosystems[ALMALINUX_9], advisories)


@pytest.fixture(scope="module")
def demo_history(
    catalog: list[CatalogEntry], ecosystems: Mapping[str, EcosystemData]
) -> FleetHistory:
    """The history `fleetpatch demo` builds by default (400 hosts, seed 7)."""
    images = max(5, 400 // HOSTS_PER_IMAGE)
    final = list(generate_fleet(400, seed=7, now=NOW, images=images))
    return FleetHistory(final, catalog, ecosystems, seed=7, now=NOW)


def _lives(history: FleetHistory, every: int) -> dict[str, list[HostReport]]:
    lives: dict[str, list[HostReport]] = {}
    for day in history.days(every):
        for report in history.reports(day):
            lives.setdefault(report.hostname, []).append(report)
    return lives


def _check_report(report: HostReport) -> None:
    kernel, boot, evidence = report.kernel, report.boot_time, report.reboot_required
    assert boot is not None
    assert boot <= report.collected_at, "booted after it reported"
    assert kernel.running in kernel.installed
    newer_installed = newest_kernel(kernel.installed) != kernel.running
    if report.ecosystem == DEBIAN_12:
        assert evidence.flag is newer_installed, "reboot-required disagrees with the kernels"
    else:
        assert evidence.flag is None  # RPM has no reboot-required file
    if evidence.flag:
        assert evidence.since is not None
        assert boot <= evidence.since <= report.collected_at, "evidence older than the boot"


def _check_step(before: HostReport, after: HostReport) -> None:
    assert before.boot_time is not None
    assert after.boot_time is not None
    assert before.collected_at < after.collected_at
    if after.boot_id == before.boot_id:
        assert after.boot_time == before.boot_time, "one boot, two boot times"
        assert after.kernel.running == before.kernel.running, "kernel changed without a boot"
        if before.reboot_required.flag:  # evidence stays until a reboot, with its first time
            assert after.reboot_required.flag
            assert after.reboot_required.since == before.reboot_required.since
        uptime = (after.collected_at - after.boot_time) - (before.collected_at - before.boot_time)
        assert uptime == after.collected_at - before.collected_at
    else:
        assert before.collected_at < after.boot_time, "a new boot before the last report"
    scheme = SCHEME[after.ecosystem]
    assert compare(scheme, after.kernel.running, before.kernel.running) >= 0
    old = _single_versions(before)
    for package in after.packages:
        was = old.get(package.name)
        if was is not None and was != package.version:
            assert compare(scheme, package.version, was) > 0, (after.hostname, package, was)


def _single_versions(report: HostReport) -> dict[str, str]:
    """Version per package name, leaving out names installed in several versions (kernels)."""
    versions: dict[str, str] = {}
    several: set[str] = set()
    for package in report.packages:
        if package.name in versions:
            several.add(package.name)
        versions[package.name] = package.version
    return {n: v for n, v in versions.items() if n not in several}


def _check_history(history: FleetHistory, every: int) -> int:
    lives = _lives(history, every)
    for reports in lives.values():
        for report in reports:
            _check_report(report)
        for before, after in pairwise(reports):
            _check_step(before, after)
    return len(lives)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), hosts=st.integers(5, 30))
def test_every_host_every_day_is_consistent(
    seed: int,
    hosts: int,
    catalog: list[CatalogEntry],
    ecosystems: Mapping[str, EcosystemData],
) -> None:
    final = list(generate_fleet(hosts, seed=seed, now=NOW, images=5))
    history = FleetHistory(final, catalog, ecosystems, seed=seed, now=NOW)
    assert _check_history(history, every=1) == hosts


def test_the_demo_fleet_is_consistent_every_day_it_reports(demo_history: FleetHistory) -> None:
    assert _check_history(demo_history, every=2) == 400


def test_metal_01_runs_one_boot_for_the_whole_history(demo_history: FleetHistory) -> None:
    reports = _lives(demo_history, every=1)["metal-01"]
    assert len(reports) == 91
    assert len({r.boot_id for r in reports}) == 1
    assert len({r.boot_time for r in reports}) == 1
    assert len({r.kernel.running for r in reports}) == 1
    last = reports[-1]
    assert last.boot_time is not None
    assert last.collected_at - last.boot_time >= timedelta(days=LONGEST_UPTIME_DAYS)
    assert newest_kernel(last.kernel.installed) != last.kernel.running  # patched, never booted
    if last.ecosystem == DEBIAN_12:
        since = {r.reboot_required.since for r in reports}
        assert len(since) == 1  # pending since the first newer kernel, not reset every month
        first = since.pop()
        assert first is not None
        assert last.boot_time < first < reports[0].collected_at


def test_pending_reboots_come_and_go(demo_history: FleetHistory) -> None:
    """Kernels published during the history leave the hosts that skip a reboot pending for a
    while; the count moves instead of staying flat."""
    pending = [
        sum(newest_kernel(r.kernel.installed) != r.kernel.running for r in reports)
        for reports in (demo_history.reports(day) for day in demo_history.days(2))
    ]
    assert min(pending) >= 1  # metal-01, always
    assert max(pending) >= min(pending) + 5
