"""The generated fleet: deterministic, valid, realistic, and made of real versions only."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from fleetpatch.errors import InputError
from fleetpatch.inventory.records import HostReport
from fleetpatch.inventory.schema import parse_report
from fleetpatch.simulate.fleet import fleet_to_ndjson, generate_fleet
from fleetpatch.simulate.packagedata import ALMALINUX_9, DEBIAN_12, known_versions

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
HOSTS = 2000


@pytest.fixture(scope="module")
def fleet() -> list[HostReport]:
    return list(generate_fleet(HOSTS, seed=7, now=NOW))


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not() -> None:
    first = list(fleet_to_ndjson(generate_fleet(60, seed=3, now=NOW)))
    again = list(fleet_to_ndjson(generate_fleet(60, seed=3, now=NOW)))
    other = list(fleet_to_ndjson(generate_fleet(60, seed=4, now=NOW)))
    assert first == again
    assert first != other
    assert len(first) == 60


def test_every_ndjson_line_parses_back_to_the_same_report(fleet: list[HostReport]) -> None:
    lines = list(fleet_to_ndjson(fleet))
    assert len(lines) == HOSTS
    for line, report in zip(lines, fleet, strict=True):
        assert line.endswith(b"\n")
        assert line.count(b"\n") == 1
        assert parse_report(json.loads(line)) == report


def test_hosts_share_few_distinct_package_sets(fleet: list[HostReport]) -> None:
    distinct = {(r.ecosystem, r.packages) for r in fleet}
    assert len(distinct) < HOSTS / 3
    assert len(distinct) > 50  # images and patch levels really differ


def test_images_have_about_seven_hundred_packages(fleet: list[HostReport]) -> None:
    sizes = [len(r.packages) for r in fleet]
    assert min(sizes) >= 600
    assert max(sizes) <= 800
    assert 650 <= statistics.median(sizes) <= 750
    for report in fleet[:50]:
        names = [p.name for p in report.packages]
        assert "openssl" in names or "openssl-libs" in names


def test_every_version_is_a_shipped_real_version(fleet: list[HostReport]) -> None:
    known = {eco: known_versions(eco) for eco in (DEBIAN_12, ALMALINUX_9)}
    seen = 0
    for report in fleet:
        table = known[report.ecosystem]
        for package in report.packages:
            assert package.version in table[package.name], (report.hostname, package)
            seen += 1
    assert seen > HOSTS * 600


def test_kernels_match_installed_kernel_packages(fleet: list[HostReport]) -> None:
    for report in fleet:
        names = {p.name: p.version for p in report.packages}
        cores = {f"{p.version}.x86_64" for p in report.packages if p.name == "kernel-core"}
        for release in report.kernel.installed:
            if report.ecosystem == DEBIAN_12:
                assert f"linux-image-{release}" in names, (report.hostname, release)
            else:
                assert release in cores, (report.hostname, release)
        assert report.kernel.running in report.kernel.installed


def test_the_four_kinds_and_their_labels_are_present(fleet: list[HostReport]) -> None:
    patterns = {
        "k8s-node": r"k8s-node-\d{4,}",
        "db": r"db-\d{3,}",
        "stateless": r"(jump|util)-\d{2,}",
        "bare-metal": r"metal-\d{2,}",
    }
    roles = Counter(r.labels.get("role") for r in fleet)
    assert set(roles) == {*patterns, None}
    for report in fleet:
        role = report.labels.get("role")
        if role is not None:
            assert re.fullmatch(patterns[role], report.hostname), report.hostname
    assert 0.01 <= roles[None] / HOSTS <= 0.03  # unclassified: no role label
    assert roles["k8s-node"] > roles["stateless"] > roles["db"] > roles["bare-metal"] > 0
    dbs = [r for r in fleet if r.labels.get("role") == "db"]
    assert {r.labels["replication"] for r in dbs} == {"primary", "replica"}
    assert all(re.fullmatch(r"pg-\d+", r.labels["cluster"]) for r in dbs)
    assert all(r.labels.get("cluster") for r in fleet if r.labels.get("role") == "k8s-node")
    assert {r.hostname[:4] for r in fleet if r.labels.get("role") == "stateless"} == {
        "jump",
        "util",
    }
    assert len({r.hostname for r in fleet}) == HOSTS


def test_some_hosts_run_an_older_kernel_than_installed(fleet: list[HostReport]) -> None:
    pending = [r for r in fleet if r.kernel.running != r.kernel.installed[-1]]
    assert 0.02 * HOSTS < len(pending) < 0.5 * HOSTS
    debian = [r for r in pending if r.ecosystem == DEBIAN_12]
    assert debian
    for report in debian:
        evidence = report.reboot_required
        assert evidence.flag is True
        assert evidence.since is not None
        assert report.boot_time is not None
        assert report.boot_time < evidence.since <= report.collected_at
        assert evidence.packages == (f"linux-image-{report.kernel.installed[-1]}",)


def test_uptimes_follow_the_kind_and_metal_01_is_up_412_days(fleet: list[HostReport]) -> None:
    def uptime(r: HostReport) -> timedelta:
        assert r.boot_time is not None
        return r.collected_at - r.boot_time

    metal_01 = next(r for r in fleet if r.hostname == "metal-01")
    assert uptime(metal_01).days == 412
    assert metal_01.kernel.running != metal_01.kernel.installed[-1]
    nodes = [uptime(r) for r in fleet if r.labels.get("role") == "k8s-node"]
    assert max(nodes) < timedelta(days=15)
    metal = [uptime(r) for r in fleet if r.labels.get("role") == "bare-metal"]
    assert min(metal) > timedelta(days=19)


def test_reports_are_recent_except_a_few_stale_ones(fleet: list[HostReport]) -> None:
    ages = [NOW - r.collected_at for r in fleet]
    assert all(age >= timedelta(0) for age in ages)
    stale = [a for a in ages if a > timedelta(days=2)]
    assert 0 < len(stale) < 0.05 * HOSTS
    assert sum(a <= timedelta(minutes=30) for a in ages) == HOSTS - len(stale)


def test_cloud_hosts_carry_images_and_metal_does_not(fleet: list[HostReport]) -> None:
    for report in fleet:
        if report.labels.get("role") == "bare-metal":
            assert report.image is None
        else:
            assert report.image is not None
            assert re.fullmatch(r"ami-[0-9a-f]{17}", report.image.id)
    assert len({r.image.id for r in fleet if r.image}) > 50
    assert len({r.machine_id for r in fleet}) == HOSTS


def test_a_fleet_needs_an_aware_now_and_a_sane_count() -> None:
    with pytest.raises(InputError):
        list(generate_fleet(3, seed=1, now=datetime(2026, 11, 27)))
    with pytest.raises(InputError):
        list(generate_fleet(-1, seed=1, now=NOW))
    assert list(generate_fleet(0, seed=1, now=NOW)) == []


@pytest.mark.parametrize("seed", [0, 3, 4, 11])
def test_metal_01_is_up_412_days_on_an_old_kernel_for_any_seed(seed: int) -> None:
    metal_01 = next(r for r in generate_fleet(40, seed=seed, now=NOW) if r.hostname == "metal-01")
    assert metal_01.boot_time is not None
    assert (metal_01.collected_at - metal_01.boot_time).days == 412
    assert len(metal_01.kernel.installed) == 2
    assert metal_01.kernel.running == metal_01.kernel.installed[0]
