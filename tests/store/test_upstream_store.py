"""Contract of the upstream repositories (catalog, advisories), on SQLite and on PostgreSQL.

PostgreSQL runs when `FLEETPATCH_TEST_PG` names a server (each test gets a fresh database that is
dropped afterwards); without it the PostgreSQL cases skip, unless `FLEETPATCH_REQUIRE_SERVICES=1`,
which turns the absence into a failure.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from fleetpatch.advisories import Advisory, build_index, load_advisories, parse_advisory
from fleetpatch.catalog.candidates import CatalogIndex
from fleetpatch.catalog.lists import read_lists_dir
from fleetpatch.catalog.records import AptImport, SuiteIndex
from fleetpatch.store import Store, open_store
from fleetpatch.store.advisories import AdvisoryRepository, OsvDocument, SyncState
from fleetpatch.store.catalog import CatalogRepository
from fleetpatch.store.migrate import schema_diff

DATA = Path(__file__).resolve().parents[1] / "data"
LISTS = DATA / "catalog" / "debian12" / "lists"
ALMA_ZIP = DATA / "advisories" / "AlmaLinux-osv-database.zip"
UBUNTU = DATA / "advisories" / "ubuntu-osv"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _pg_server() -> str | None:
    url = os.environ.get("FLEETPATCH_TEST_PG")
    if url:
        return url
    if os.environ.get("FLEETPATCH_REQUIRE_SERVICES") == "1":
        pytest.fail("FLEETPATCH_REQUIRE_SERVICES=1 but FLEETPATCH_TEST_PG is not set")
    pytest.skip("PostgreSQL tests need FLEETPATCH_TEST_PG")
    return None  # pragma: no cover


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'store.db'}")
        yield opened
        opened.close()
        return
    server = sa.make_url(_pg_server() or "")
    name = f"fp_upstream_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    opened = open_store(server.set(database=name).render_as_string(hide_password=False))
    try:
        yield opened
    finally:
        opened.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_upstream_tables_match_the_migration(store: Store) -> None:
    assert schema_diff(store.engine) == []


# Catalog


def _lists(now: datetime = NOW) -> AptImport:
    return read_lists_dir(LISTS, now=now)


def _suite(imported: AptImport, name: str) -> SuiteIndex:
    return next(s for s in imported.suites if s.suite == name)


def _dated(suite: SuiteIndex, date: datetime, keep: slice = slice(None)) -> AptImport:
    """The same suite as if its Release were dated `date`, listing only `keep` of its packages."""
    indexes = tuple(replace(p, packages=p.packages[keep]) for p in suite.indexes)
    return AptImport((replace(suite, release=replace(suite.release, date=date), indexes=indexes),))


def _first_seen(store: Store) -> dict[tuple[str, str, str, str, str], tuple[datetime, bool]]:
    with store.session() as session:
        entries = CatalogRepository(session).entries()
    return {(*e.key, e.origin.suite): (e.first_seen, e.first_seen_exact) for e in entries}


def test_first_import_dates_every_version_at_least_since_its_release(store: Store) -> None:
    imported = _lists()
    with store.session(write=True) as session:
        outcome = CatalogRepository(session).import_apt(imported, now=NOW)
    listed = sum(len(p.packages) for s in imported.suites for p in s.indexes)
    assert (outcome.releases_imported, outcome.entries_listed) == (3, listed)
    dates = {s.suite: s.release.date for s in imported.suites}
    seen = _first_seen(store)
    assert len(seen) == outcome.entries_new
    assert all(exact is False for _, exact in seen.values())
    # A version listed by several suites is as old as the oldest Release listing it.
    for (eco, name, version, arch, suite), (at, _) in seen.items():
        assert at <= dates[suite]
        assert at == min(dates[s] for (*k, s) in seen if k == [eco, name, version, arch])


def test_reimporting_an_unchanged_release_changes_nothing(store: Store) -> None:
    with store.session(write=True) as session:
        CatalogRepository(session).import_apt(_lists(), now=NOW)
    before = _first_seen(store)
    later = NOW + timedelta(days=1)
    with store.session(write=True) as session:
        outcome = CatalogRepository(session).import_apt(_lists(), now=later)
    assert (outcome.releases_imported, outcome.releases_unchanged, outcome.entries_new) == (0, 3, 0)
    assert _first_seen(store) == before
    with store.session() as session:
        releases = CatalogRepository(session).releases()
    assert {(r.imported_at, r.checked_at) for r in releases} == {(NOW, later)}


def test_a_later_release_dates_its_new_versions_exactly_and_moves_nothing_later(
    store: Store,
) -> None:
    security = _suite(_lists(), "bookworm-security")
    first, second = security.release.date, security.release.date + timedelta(days=3)
    with store.session(write=True) as session:
        CatalogRepository(session).import_apt(_dated(security, first, slice(None, -10)), now=NOW)
        outcome = CatalogRepository(session).import_apt(_dated(security, second), now=NOW)
    assert outcome.entries_new == 10
    assert outcome.first_seen_moved == 0
    seen = _first_seen(store)
    new = {p.name for p in security.indexes[0].packages[-10:]}
    for (_, name, *_rest), (at, exact) in seen.items():
        assert (at, exact) == ((second, True) if name in new else (first, False))


def test_an_older_release_moves_first_seen_earlier_never_later(store: Store) -> None:
    security = _suite(_lists(), "bookworm-security")
    date = security.release.date
    with store.session(write=True) as session:
        CatalogRepository(session).import_apt(_dated(security, date), now=NOW)
        older = CatalogRepository(session).import_apt(
            _dated(security, date - timedelta(days=30), slice(None, 5)), now=NOW
        )
    assert older.first_seen_moved == 5
    seen = sorted(_first_seen(store).values())
    assert seen[:5] == [(date - timedelta(days=30), False)] * 5
    assert set(seen[5:]) == {(date, False)}


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_first_seen_is_the_oldest_release_listing_a_version_whatever_the_order(
    order: tuple[int, ...], tmp_path: Path
) -> None:
    security = _suite(_lists(), "bookworm-security")
    base = security.release.date
    snapshots = [  # (date, packages listed): a version appears in snapshot 1, stays in 2
        (base, slice(None, 100)),
        (base + timedelta(days=2), slice(None, 150)),
        (base + timedelta(days=9), slice(None)),
    ]
    store = open_store(f"sqlite:///{tmp_path / 'order.db'}")
    for i in order:
        with store.session(write=True) as session:
            CatalogRepository(session).import_apt(_dated(security, *snapshots[i]), now=NOW)
    seen = {k[1]: at for k, (at, _) in _first_seen(store).items()}
    names = [p.name for p in security.indexes[0].packages]
    expected = dict.fromkeys(names[:100], base)
    expected |= {n: base + timedelta(days=2) for n in names[100:150]}
    expected |= {n: base + timedelta(days=9) for n in names[150:]}
    assert seen == expected
    store.close()


def test_the_stored_index_answers_like_the_pure_one(store: Store) -> None:
    imported = _lists()
    with store.session(write=True) as session:
        CatalogRepository(session).import_apt(imported, now=NOW)
    with store.session() as session:
        stored = CatalogRepository(session).index(["Debian:12"])
        assert len(CatalogRepository(session).index(["Ubuntu:24.04"])) == 0
    entries = [e for s in imported.suites for e in _suite_entries(s)]
    pure = CatalogIndex(entries)
    assert len(stored) == len(pure)
    for name in ("openssl", "libssl3", "linux-image-amd64", "tzdata", "base-files"):
        want = {(e.version, e.arch, e.origin) for e in pure.versions("Debian:12", name)}
        assert {(e.version, e.arch, e.origin) for e in stored.versions("Debian:12", name)} == want


def _suite_entries(suite: SuiteIndex) -> Any:
    from fleetpatch.catalog.apt import suite_entries

    return suite_entries(suite)


def test_a_release_past_valid_until_is_reported_stale(store: Store) -> None:
    with store.session(write=True) as session:
        CatalogRepository(session).import_apt(_lists(), now=NOW)
    with store.session() as session:
        repository = CatalogRepository(session)
        security = next(r for r in repository.releases() if r.suite == "bookworm-security")
        assert security.valid_until is not None
        assert repository.stale(security.valid_until - timedelta(hours=1)) == []
        late = security.valid_until + timedelta(days=3)
        stale = repository.stale(late)
    assert [s.suite for s in stale] == ["bookworm-security"]
    assert "may be stale" in str(stale[0])


# Advisories


@pytest.fixture(scope="module")
def alma() -> tuple[Advisory, ...]:
    return load_advisories([ALMA_ZIP]).records


def test_the_almalinux_database_round_trips_into_the_same_index(
    store: Store, alma: tuple[Advisory, ...]
) -> None:
    records = alma
    with store.session(write=True) as session:
        outcome = AdvisoryRepository(session).upsert(records, now=NOW)
    assert outcome.inserted == len(records) == 5637
    with store.session() as session:
        repository = AdvisoryRepository(session)
        stored = repository.records()
        counts = repository.count_by_ecosystem()
        nine = repository.index(["AlmaLinux:9.4"])
    assert stored == sorted(records, key=lambda r: r.id)
    nines = [
        replace(r, affected=tuple(a for a in r.affected if a.ecosystem == "AlmaLinux:9"))
        for r in records
    ]
    pure = build_index(r for r in nines if r.affected)
    assert set(counts) == {"AlmaLinux:8", "AlmaLinux:9", "AlmaLinux:10"}
    assert counts["AlmaLinux:9"] == sum(
        any(a.ecosystem == "AlmaLinux:9" for a in r.affected) for r in records
    )
    assert nine.entries == pure.entries


def _osv(ident: str, modified: str, fixed: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "modified": modified,
        "aliases": ["CVE-2026-0001"],
        "affected": [
            {
                "package": {"ecosystem": "Debian:12", "name": "openssl"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
        **extra,
    }


def _doc(data: dict[str, Any]) -> OsvDocument:
    import orjson

    return OsvDocument(parse_advisory(data), orjson.dumps(data, option=orjson.OPT_SORT_KEYS))


def _fixed_versions(store: Store, name: str = "DSA-1") -> list[str]:
    with store.session() as session:
        found = AdvisoryRepository(session).by_id_or_alias(name)
    return [e.version for a in found for r in a.affected[0].ranges for e in r.events[1:]]


@pytest.mark.parametrize("newer_first", [True, False])
def test_the_latest_modified_copy_wins_in_any_order(store: Store, newer_first: bool) -> None:
    old = _doc(_osv("DSA-1", "2026-01-01T00:00:00Z", "3.0.1"))
    new = _doc(_osv("DSA-1", "2026-02-01T00:00:00Z", "3.0.2"))
    for doc in (new, old) if newer_first else (old, new):
        with store.session(write=True) as session:
            AdvisoryRepository(session).upsert([doc], now=NOW)
    assert _fixed_versions(store) == ["3.0.2"]
    with store.session(write=True) as session:
        again = AdvisoryRepository(session).upsert([new, new], now=NOW)
    assert (again.inserted, again.updated, again.unchanged, again.identical) == (0, 0, 1, 2)


def test_a_tie_on_modified_is_a_conflict_with_an_order_independent_winner(store: Store) -> None:
    a = _doc(_osv("DSA-1", "2026-01-01T00:00:00Z", "3.0.1"))
    b = _doc(_osv("DSA-1", "2026-01-01T00:00:00Z", "3.0.9"))
    with store.session(write=True) as session:
        first = AdvisoryRepository(session).upsert([a, b], now=NOW)
    winner = _fixed_versions(store)
    with store.session(write=True) as session:
        second = AdvisoryRepository(session).upsert([b, a], now=NOW)
    assert first.conflicts == second.conflicts == ("DSA-1",)
    assert _fixed_versions(store) == winner


def test_a_withdrawn_record_retires_its_id_for_good(store: Store) -> None:
    live = _doc(_osv("DSA-1", "2026-01-01T00:00:00Z", "3.0.1"))
    gone = _doc(_osv("DSA-1", "2026-03-01T00:00:00Z", "3.0.1", withdrawn="2026-03-01T00:00:00Z"))
    with store.session(write=True) as session:
        AdvisoryRepository(session).upsert([live], now=NOW)
        outcome = AdvisoryRepository(session).upsert([gone], now=NOW)
        AdvisoryRepository(session).upsert([live], now=NOW)  # an older copy arrives again
    assert outcome.withdrawn == 1
    with store.session() as session:
        repository = AdvisoryRepository(session)
        assert repository.by_id_or_alias("DSA-1") == []
        assert repository.by_id_or_alias("CVE-2026-0001") == []
        assert repository.affecting("Debian:12", "openssl") == []
        assert repository.count_by_ecosystem() == {}
        assert len(repository.index()) == 0
        assert repository.names() == []  # nothing to suggest for a mistyped id


def test_names_are_the_ids_and_aliases_a_lookup_finds(store: Store) -> None:
    live = _doc(_osv("DSA-1", "2026-01-01T00:00:00Z", "3.0.1"))
    when = "2026-03-01T00:00:00Z"
    gone = _doc(_osv("DSA-2", when, "3.0.1", aliases=["CVE-2026-0002"], withdrawn=when))
    with store.session(write=True) as session:
        AdvisoryRepository(session).upsert([live, gone], now=NOW)
    with store.session() as session:
        assert sorted(AdvisoryRepository(session).names()) == ["CVE-2026-0001", "DSA-1"]


def test_lookups_by_alias_package_and_raw_record(store: Store) -> None:
    records = load_advisories([UBUNTU]).records
    raw = [_doc(r) for r in _raw_ubuntu()]
    with store.session(write=True) as session:
        AdvisoryRepository(session).upsert(raw, now=NOW)
    with store.session() as session:
        repository = AdvisoryRepository(session)
        by_cve = repository.by_id_or_alias("CVE-2022-4899")
        by_package = repository.affecting("Ubuntu:22.04", "libzstd")
        shown = repository.raw("UBUNTU-CVE-2022-4899")
        missing = repository.raw("NOPE-1")
    assert [a.id for a in by_cve] == ["UBUNTU-CVE-2022-4899"]
    assert "UBUNTU-CVE-2022-4899" in [a.id for a in by_package]
    assert shown == next(r for r in _raw_ubuntu() if r["id"] == "UBUNTU-CVE-2022-4899")
    assert missing is None
    assert sorted(r.id for r in records) == sorted(d.advisory.id for d in raw)


def _raw_ubuntu() -> list[dict[str, Any]]:
    import json

    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(UBUNTU.glob("*.json"))]


def test_sync_state_is_kept_per_url(store: Store) -> None:
    url = "https://osv.example/Debian/all.zip"
    with store.session(write=True) as session:
        repository = AdvisoryRepository(session)
        assert repository.sync_state(url) is None
        repository.set_sync_state(SyncState(url, '"e1"', None, NOW, 200, {"bytes": 3}))
        repository.set_sync_state(SyncState(url, '"e2"', "Tue, 01 Dec 2026", NOW, 200))
    with store.session() as session:
        state = AdvisoryRepository(session).sync_state(url)
    assert state == SyncState(url, '"e2"', "Tue, 01 Dec 2026", NOW, 200, {})
