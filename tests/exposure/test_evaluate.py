"""Fleet evaluation end to end on records: tiers agree, rollups add up, nothing is latched."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from fleetpatch.advisories.index import build_index
from fleetpatch.advisories.records import Advisory, Affected, Event, Range, Severity
from fleetpatch.catalog.candidates import CatalogIndex
from fleetpatch.catalog.records import CatalogEntry, Origin
from fleetpatch.exposure.evaluate import evaluate_fleet
from fleetpatch.exposure.facts import Sources
from fleetpatch.inventory.records import Image, KernelFacts, RebootEvidence
from fleetpatch.policy.records import Bucket, MatchRule, Owner, Policy, Sla

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ECO = "Debian:12"
KERNEL = KernelFacts("6.1.0-26-amd64", ("6.1.0-26-amd64",))
NO_EVIDENCE = RebootEvidence(False)


@dataclass(frozen=True)
class Host:
    hostname: str
    package_set_id: int
    labels: dict[str, str] = field(default_factory=dict)
    collected_at: datetime = NOW - timedelta(hours=1)
    ecosystem: str = ECO
    arch: str = "amd64"
    kernel: KernelFacts = KERNEL
    boot_time: datetime | None = NOW - timedelta(days=5)
    reboot_required: RebootEvidence = NO_EVIDENCE
    image: Image | None = None
    collector: str = "local"


@dataclass(frozen=True)
class Version:
    id: int
    name: str
    version: str
    source: str
    source_version: str
    arch: str = "amd64"
    ecosystem: str = ECO


VERSIONS = {
    1: Version(1, "libssl3", "3.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1"),
    2: Version(2, "libssl3", "3.0.15-1~deb12u1", "openssl", "3.0.15-1~deb12u1"),
    3: Version(3, "bash", "5.2.15-2+b7", "bash", "5.2.15-2", arch="amd64"),
    4: Version(4, "tzdata", "2024a-0+deb12u1", "tzdata", "2024a-0+deb12u1", arch="all"),
}
SETS = {10: [1, 3, 4], 11: [2, 3, 4]}


def _entry(
    name: str, version: str, source: str, suite: str, seen: datetime, arch: str = "amd64"
) -> CatalogEntry:
    origin = Origin(
        archive=suite,
        suite=suite,
        codename=suite,
        label="Debian",
        component="main",
        security=suite.endswith("-security"),
    )
    return CatalogEntry(ECO, name, version, arch, source, version, origin, seen, True)


CATALOG = CatalogIndex(
    [
        _entry("libssl3", "3.0.11-1~deb12u1", "openssl", "bookworm", NOW - timedelta(days=200)),
        _entry(
            "libssl3", "3.0.15-1~deb12u1", "openssl", "bookworm-security", NOW - timedelta(days=10)
        ),
        _entry("bash", "5.2.15-2+b7", "bash", "bookworm", NOW - timedelta(days=300)),
        _entry("tzdata", "2024a-0+deb12u1", "tzdata", "bookworm", NOW - timedelta(days=300), "all"),
    ]
)
ADVISORY = Advisory(
    id="DSA-9999-1",
    modified=NOW - timedelta(days=9),
    aliases=("CVE-2026-0001",),
    severity=Severity("high", "test"),
    affected=(
        Affected(
            ECO,
            "openssl",
            (Range("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", "3.0.15-1~deb12u1"))),),
        ),
    ),
)
POLICY = Policy(
    owners=(Owner("dba"),),
    buckets=(
        Bucket(
            name="databases",
            owner="dba",
            strategy="in-place-gated",
            match=(MatchRule(labels={"role": "db"}),),
            sla=Sla(max_days_behind=7, max_uptime_days=30, stale_after_days=2),
        ),
    ),
)
SOURCES = Sources(catalog=CATALOG, advisories=build_index([ADVISORY]))


def _evaluate(hosts: list[Host]):  # type: ignore[no-untyped-def]
    return evaluate_fleet(hosts, SETS, VERSIONS, policy=POLICY, sources=SOURCES, now=NOW)


def test_a_host_behind_on_a_security_fix_is_overdue_affected_and_not_patched() -> None:
    result = _evaluate([Host("db-01", 10, {"role": "db"})])
    (status,) = result.hosts
    assert status.bucket == "databases"
    assert status.owner == "dba"
    assert status.update == "overdue"  # 10 days behind, SLA 7
    assert status.security == "affected_fix_available"
    assert status.worst_severity == "high"
    assert status.summary.outdated == 1
    assert status.summary.security_updates == 1
    assert status.days_behind_max == pytest.approx(10.0)
    assert status.days_behind_mean == pytest.approx(10.0 / 3)
    assert status.sla_breaches == ("days_behind",)
    assert not status.patched


def test_a_current_host_running_its_newest_kernel_is_patched() -> None:
    (status,) = _evaluate([Host("db-02", 11, {"role": "db"})]).hosts
    assert status.update == "current"
    assert status.security == "not_affected"
    assert status.patched


def test_patched_on_disk_with_old_kernel_running_is_not_patched() -> None:
    host = Host(
        "db-03",
        11,
        {"role": "db"},
        kernel=KernelFacts("6.1.0-25-amd64", ("6.1.0-25-amd64", "6.1.0-26-amd64")),
    )
    (status,) = _evaluate([host]).hosts
    assert status.update == "current"
    assert status.reboot == "pending_reboot"
    assert not status.patched


def test_rollups_sum_hosts_per_bucket_and_keep_unclassified_apart() -> None:
    hosts = [
        Host("db-01", 10, {"role": "db"}),
        Host("db-02", 11, {"role": "db"}),
        Host("mystery-01", 10),
        Host(
            "old-01",
            11,
            {"role": "db"},
            collected_at=NOW - timedelta(days=3),
            boot_time=NOW - timedelta(days=412),
        ),
    ]
    result = _evaluate(hosts)
    by_bucket = {r.key: r for r in result.by_bucket}
    assert set(by_bucket) == {"databases", None}
    db = by_bucket["databases"]
    assert db.hosts == 3
    assert db.patched == 2  # db-02 and old-01 (current, no reboot pending)
    assert db.critical_or_high == 1
    assert db.stale == 1
    assert db.uptime_over_limit == 1
    assert db.max_uptime_days == pytest.approx(412.0)
    assert db.days_behind_max == pytest.approx(10.0)
    assert by_bucket[None].unclassified == 1
    # one set summary per (set, arch), shared by the hosts built from it
    assert set(result.sets) == {(10, "amd64"), (11, "amd64")}


def test_the_same_set_is_summarised_once_and_gives_the_same_figures() -> None:
    result = _evaluate([Host("a", 10, {"role": "db"}), Host("b", 10, {"role": "db"})])
    a, b = result.hosts
    assert a.summary is b.summary


def test_without_a_catalog_updates_are_unknown_unless_an_advisory_has_a_fix() -> None:
    only_advisories = Sources(advisories=SOURCES.advisories)
    (behind,) = evaluate_fleet(
        [Host("db-01", 10)], SETS, VERSIONS, policy=POLICY, sources=only_advisories, now=NOW
    ).hosts
    (unknown,) = evaluate_fleet(
        [Host("db-02", 11)], SETS, VERSIONS, policy=POLICY, sources=only_advisories, now=NOW
    ).hosts
    assert behind.update == "behind"
    assert unknown.update == "unknown"
    assert not unknown.patched


def test_an_older_kernel_beside_a_newer_one_is_neither_outdated_nor_exposed() -> None:
    alma = "AlmaLinux:9"
    old, new = "5.14.0-427.13.1.el9_4", "5.14.0-503.11.1.el9_5"
    versions = {
        1: Version(1, "kernel-core", old, "", "", arch="x86_64", ecosystem=alma),
        2: Version(2, "kernel-core", new, "", "", arch="x86_64", ecosystem=alma),
    }
    origin = Origin("baseos", "baseos", "baseos", "AlmaLinux", "", security=False)
    catalog = CatalogIndex(
        [
            CatalogEntry(
                alma, "kernel-core", v, "x86_64", "", v, origin, NOW - timedelta(days=d), True
            )
            for v, d in ((old, 200), (new, 40))
        ]
    )
    advisory = Advisory(
        id="ALSA-TEST:0001",
        modified=NOW,
        severity=Severity("high", "test"),
        affected=(
            Affected(
                alma,
                "kernel-core",
                (Range("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", new))),),
            ),
        ),
    )
    sources = Sources(catalog=catalog, advisories=build_index([advisory]))
    host = Host("alma-01", 20, ecosystem=alma, arch="x86_64")
    both = evaluate_fleet([host], {20: [1, 2]}, versions, policy=POLICY, sources=sources, now=NOW)
    only_old = evaluate_fleet([host], {20: [1]}, versions, policy=POLICY, sources=sources, now=NOW)
    (shadowed,) = both.hosts
    assert shadowed.summary.outdated == 0
    assert shadowed.security == "not_affected"
    (alone,) = only_old.hosts
    assert alone.summary.outdated == 1
    assert alone.security == "affected_fix_available"
