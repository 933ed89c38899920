"""Repository contract: the same suite on SQLite and PostgreSQL (see `tests/conftest.py`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from store_support import T0, alpine_report, debian_packages, debian_report

from fleetpatch.errors import NotFoundError
from fleetpatch.inventory.records import Package
from fleetpatch.store import HostRepository, PackageRepository, ReportRepository, Store
from fleetpatch.store.digests import unpack_ids

RECEIVED = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def add(store: Store, *reports: object, received: datetime = RECEIVED) -> tuple[int, ...]:
    with store.session(write=True) as session:
        outcome = ReportRepository(session).add_many(list(reports), received_at=received)  # type: ignore[arg-type]
    return outcome.stored


def test_report_round_trips_with_every_fact(store: Store) -> None:
    report = debian_report()
    (report_id,) = add(store, report)
    with store.session() as session:
        loaded = ReportRepository(session).load(report_id)
        header = ReportRepository(session).header(report_id)
    assert loaded == replace(report, packages=tuple(sorted(report.packages)))
    assert header.received_at == RECEIVED
    assert header.package_count == 7
    assert loaded.collected_at.tzinfo is not None
    assert loaded.reboot_required.since == T0 - timedelta(days=2)


def test_real_versions_survive_storage(store: Store) -> None:
    (report_id,) = add(store, debian_report())
    with store.session() as session:
        packages = ReportRepository(session).load(report_id).packages
    versions = {p.name: p.version for p in packages}
    assert versions["attr"] == "1:2.5.1-4"
    assert versions["util-linux-extra"] == "2.38.1-5+b1"
    assert versions["admin-session"] == "2023.06.26.c543406313-00"
    by_name = {p.name: p for p in packages}
    assert (by_name["libacl1"].source, by_name["adduser"].arch) == ("acl", "all")


def test_same_report_twice_is_stored_once(store: Store) -> None:
    report = debian_report()
    with store.session(write=True) as session:
        first = ReportRepository(session).add_many([report, report], received_at=RECEIVED)
    with store.session(write=True) as session:
        again = ReportRepository(session).add_many([report], received_at=RECEIVED)
    assert (len(first.stored), first.duplicates) == (1, 1)
    assert (again.stored, again.duplicates) == ((), 1)
    with store.session() as session:
        assert ReportRepository(session).count() == 1


def test_package_order_does_not_make_a_new_report(store: Store) -> None:
    report = debian_report()
    shuffled = replace(report, packages=tuple(reversed(report.packages)))
    add(store, report)
    assert add(store, shuffled) == ()


def test_hosts_of_one_image_share_one_package_set(store: Store) -> None:
    ids = add(store, debian_report("db-01"), debian_report("db-02"), alpine_report())
    with store.session() as session:
        reports = ReportRepository(session)
        sets = {reports.header(i).hostname: reports.header(i).package_set_id for i in ids}
        by_set = HostRepository(session).hosts_by_package_set()
    assert sets["db-01"] == sets["db-02"] != sets["jump-01"]
    assert by_set == {sets["db-01"]: ("db-01", "db-02"), sets["jump-01"]: ("jump-01",)}


def test_distinct_versions_and_members(store: Store) -> None:
    (report_id,) = add(store, debian_report("db-01"))
    add(store, debian_report("db-02"), alpine_report())
    with store.session() as session:
        packages = PackageRepository(session)
        set_id = ReportRepository(session).header(report_id).package_set_id
        debian = packages.distinct_versions("Debian:12")
        everything = packages.distinct_versions()
        member_ids = list(packages.member_ids(set_id))
        members = packages.members(set_id)
    assert len(debian) == 7
    assert len(everything) == 7 + len(alpine_report().packages)
    assert member_ids == sorted(v.id for v in debian)
    assert members == tuple(sorted(debian_packages()))


def test_a_changed_package_makes_a_new_set_and_keeps_history(store: Store) -> None:
    old = debian_report(minutes=0)
    patched = tuple(
        replace(p, version="2.38.1-5+b2") if p.name == "util-linux-extra" else p
        for p in old.packages
    )
    new = debian_report(minutes=60, packages=patched)
    old_id, new_id = add(store, old, new)
    with store.session() as session:
        reports = ReportRepository(session)
        history = reports.history("db-01")
        current = HostRepository(session).current_for("db-01")
        versions = PackageRepository(session).distinct_versions("Debian:12")
    assert [h.id for h in history] == [new_id, old_id]
    assert history[0].package_set_id != history[1].package_set_id
    assert current is not None
    assert current.id == new_id
    assert len(versions) == 8


def test_a_late_older_report_is_history_not_current(store: Store) -> None:
    (newer_id,) = add(store, debian_report(minutes=60))
    (older_id,) = add(store, debian_report(minutes=0, boot_id="an-older-boot"))
    with store.session() as session:
        current = HostRepository(session).current_for("db-01")
        history = ReportRepository(session).history("db-01")
    assert current is not None
    assert current.id == newer_id
    assert [h.id for h in history] == [newer_id, older_id]


def test_current_lists_every_host_once_by_name(store: Store) -> None:
    add(store, debian_report("db-02"), debian_report("db-01"), alpine_report())
    add(store, debian_report("db-01", minutes=5))
    with store.session() as session:
        current = HostRepository(session).current()
        names = HostRepository(session).names()
    assert [h.hostname for h in current] == ["db-01", "db-02", "jump-01"]
    assert current[0].collected_at == T0 + timedelta(minutes=5)
    assert names == ["db-01", "db-02", "jump-01"]


def test_a_failed_unit_of_work_stores_nothing(store: Store) -> None:
    class Boom(Exception):
        pass

    def store_then_fail() -> None:
        with store.session(write=True) as session:
            ReportRepository(session).add_many([debian_report()], received_at=RECEIVED)
            raise Boom

    with pytest.raises(Boom):
        store_then_fail()
    with store.session() as session:
        assert ReportRepository(session).count() == 0
        assert PackageRepository(session).distinct_versions() == []
        assert HostRepository(session).names() == []


def test_unknown_ids_raise_not_found(store: Store) -> None:
    with store.session() as session:
        with pytest.raises(NotFoundError):
            ReportRepository(session).load(12345)
        with pytest.raises(NotFoundError):
            PackageRepository(session).member_ids(12345)
        assert HostRepository(session).current_for("nope") is None


def test_empty_package_list_is_a_set_of_its_own(store: Store) -> None:
    (report_id,) = add(store, debian_report("image-only", packages=()))
    with store.session() as session:
        header = ReportRepository(session).header(report_id)
        assert PackageRepository(session).members(header.package_set_id) == ()
    assert header.package_count == 0


def test_times_come_back_in_utc_whatever_zone_went_in(store: Store) -> None:
    paris = datetime(2026, 11, 27, 11, 0, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Paris")
    )
    (report_id,) = add(store, debian_report(boot_time=paris))
    with store.session() as session:
        header = ReportRepository(session).header(report_id)
    assert header.boot_time == datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    assert header.boot_time is not None
    assert header.boot_time.utcoffset() == timedelta(0)


def test_members_blob_is_sorted_uint32(store: Store) -> None:
    (report_id,) = add(store, debian_report())
    with store.session() as session:
        set_id = ReportRepository(session).header(report_id).package_set_id
        ids = PackageRepository(session).member_ids(set_id)
    assert ids.itemsize == 4
    assert list(ids) == sorted(set(ids))
    assert list(unpack_ids(ids.tobytes())) == list(ids)


def test_duplicate_package_lines_collapse(store: Store) -> None:
    again = Package("acl", "2.3.1-3", "amd64", "acl", "2.3.1-3")
    packages = (*debian_packages(), again)
    (report_id,) = add(store, debian_report(packages=packages))
    with store.session() as session:
        assert ReportRepository(session).header(report_id).package_count == 7
