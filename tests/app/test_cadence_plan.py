"""Plans and forecasts through the store.

Two fleets: the demo fleet (generated from real Debian 12 and AlmaLinux 9 package data, no
catalog) for the four example buckets, and this project's saved Debian 12 host with its real apt
lists, so that "packages to change" and "reboot expected" come from real candidates.
"""

from __future__ import annotations

import lzma
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetpatch.app.cadence import bucket_forecast, fleet_forecast, plan_bucket
from fleetpatch.app.evaluate import evaluate_fleet
from fleetpatch.app.upstream import import_catalog
from fleetpatch.inventory.dpkg import parse_dpkg_status
from fleetpatch.inventory.records import HostReport, KernelFacts, OsInfo, RebootEvidence
from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import parse_policy
from fleetpatch.policy.records import Concurrency
from fleetpatch.simulate.fleet import generate_fleet
from fleetpatch.store import ReportRepository, Store, open_store

DEBIAN12 = Path(__file__).parents[1] / "data" / "catalog" / "debian12"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
POLICY = parse_policy(EXAMPLE_POLICY)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'fp.db'}")
    reports = list(generate_fleet(120, seed=3, now=NOW - timedelta(hours=2)))
    with store.session(write=True) as session:
        ReportRepository(session).add_many(reports, received_at=NOW)
    evaluate_fleet(store, POLICY, now=NOW)
    return store


def _debian_host(name: str, labels: dict[str, str]) -> HostReport:
    parsed = parse_dpkg_status(lzma.decompress((DEBIAN12 / "status.xz").read_bytes()).decode())
    return HostReport(
        hostname=name,
        collected_at=NOW - timedelta(hours=1),
        os=OsInfo("debian", "12", "bookworm"),
        ecosystem="Debian:12",
        arch="amd64",
        packages=parsed.packages,
        kernel=KernelFacts("6.1.0-26-amd64", ("6.1.0-26-amd64",)),
        boot_time=NOW - timedelta(days=3),
        reboot_required=RebootEvidence(False),
        labels=labels,
        collector="local",
    )


@pytest.fixture(scope="module")
def debian(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('debian') / 'fp.db'}")
    hosts = [
        _debian_host("db-01", {"role": "db", "cluster": "pg-1", "replication": "primary"}),
        _debian_host("db-02", {"role": "db", "cluster": "pg-1", "replication": "replica"}),
        _debian_host("db-03", {"role": "db", "cluster": "pg-2", "replication": "replica"}),
    ]
    with store.session(write=True) as session:
        ReportRepository(session).add_many(hosts, received_at=NOW)
    import_catalog(store, [str(DEBIAN12 / "lists")], now=NOW)
    evaluate_fleet(store, POLICY, now=NOW)
    return store


def test_a_plan_for_each_example_bucket(demo: Store) -> None:
    for bucket in POLICY.buckets:
        plan = plan_bucket(demo, POLICY, bucket.name, NOW)
        assert plan.bucket == bucket.name
        assert plan.window is not None
        assert plan.window.start > NOW
        limit = bucket.concurrency.limit(plan.bucket_size)
        assert plan.concurrency == limit
        assert all(len(w.hosts) <= limit for w in plan.waves)
        assert plan.hosts + plan.up_to_date == plan.bucket_size
        assert all(h.reasons for w in plan.waves for h in w.hosts)


def test_the_demo_databases_respect_their_clusters(demo: Store) -> None:
    plan = plan_bucket(demo, POLICY, "databases", NOW, concurrency=Concurrency(count=5))
    for wave in plan.waves:
        groups = [h.group for h in wave.hosts]
        assert len(groups) == len(set(groups)), wave


def test_a_plan_for_a_later_date_takes_the_first_window_open_then(demo: Store) -> None:
    plan = plan_bucket(demo, POLICY, "bare-metal", NOW, window=datetime(2027, 1, 2, tzinfo=UTC))
    # 1 January is inside the year-end freeze: the next window is 1 February, 09:00 Berlin
    assert plan.window is not None
    assert plan.window.start == datetime(2027, 2, 1, 8, 0, tzinfo=UTC)


def test_packages_and_reboots_come_from_the_real_candidates(debian: Store) -> None:
    plan = plan_bucket(debian, POLICY, "databases", NOW)
    assert [[h.hostname for h in w.hosts] for w in plan.waves] == [["db-02"], ["db-03"], ["db-01"]]
    replica = plan.waves[0].hosts[0]
    names = {p.name for p in replica.packages}
    upgradable = (DEBIAN12 / "apt-list-upgradable.txt").read_text()
    assert names
    assert all(f"\n{name}/" in f"\n{upgradable}" for name in names)
    # the saved host lacks a systemd update: systemd only takes effect after a reboot
    assert replica.reboot_expected
    assert "systemd" in replica.reboot_reasons
    assert set(replica.reboot_reasons) <= names
    boot_prefixes = (
        "linux-",
        "libc6",
        "libsystemd",
        "systemd",
        "dbus",
        "libdbus",
        "intel-",
        "amd64-",
    )
    assert all(r.startswith(boot_prefixes) for r in replica.reboot_reasons)
    assert [s.name for s in replica.steps] == ["pre-check", "upgrade", "reboot", "post-check"]


def test_forecast_says_when_the_bucket_is_fully_patched(debian: Store) -> None:
    made = bucket_forecast(debian, POLICY, "databases", NOW)
    forecast = made.forecast
    assert forecast.hosts == 3
    assert forecast.next_window is not None
    assert forecast.next_window.start == datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    assert forecast.fits_next_window is True
    assert forecast.fully_patched_by is not None
    assert forecast.fully_patched_by >= forecast.next_window.start
    # a what-if that cannot be worse: more at once never finishes later
    wider = bucket_forecast(debian, POLICY, "databases", NOW, concurrency=Concurrency(count=3))
    assert wider.forecast.fully_patched_median is not None
    assert forecast.fully_patched_median is not None
    assert wider.forecast.fully_patched_median <= forecast.fully_patched_median


def test_fleet_forecast_from_fix_to_fleet(demo: Store) -> None:
    fixes = {f.bucket: f for f in fleet_forecast(demo, POLICY, NOW)}
    assert set(fixes) == {"k8s-nodes", "databases", "stateless", "bare-metal"}
    for fix in fixes.values():
        assert fix.baseline_at == NOW + timedelta(days=3)
        assert fix.first_window is not None
        assert fix.first_window >= fix.baseline_at
        assert fix.days is not None
        assert fix.days >= 3
    # the monthly bare-metal window on 1 December is the first after the soak
    assert fixes["bare-metal"].first_window == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
