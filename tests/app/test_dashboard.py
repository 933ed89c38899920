"""The dashboard's read use cases and status queries over a generated, evaluated fleet (SQLite):
one-scan figures equal the per-group SQL rollups, pages cover every host once in order, filters
select what they say, and the package filter finds exactly the hosts running a version."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fleetpatch.app import dashboard
from fleetpatch.app.evaluate import evaluate_fleet
from fleetpatch.app.ingest import Source, ingest
from fleetpatch.errors import NotFoundError
from fleetpatch.exposure.status import HostStatus
from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import parse_policy
from fleetpatch.policy.records import Policy
from fleetpatch.simulate.fleet import fleet_to_ndjson, generate_fleet
from fleetpatch.store import HostRepository, PackageRepository, Store, open_store
from fleetpatch.store.evaluations import EvaluationRepository
from fleetpatch.store.fleet import FleetReader
from fleetpatch.store.status_queries import SORTS, STATES, HostSort, StatusFilter, StatusQueries

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
HOSTS = 45


@pytest.fixture(scope="module")
def policy() -> Policy:
    return parse_policy(EXAMPLE_POLICY, "fleet.yaml")


def load_fleet(store: Store, policy: Policy, hosts: int) -> None:
    body = b"".join(fleet_to_ndjson(generate_fleet(hosts, seed=3, now=NOW)))
    ingest(store, [Source.from_bytes("fleet", body)], now=NOW)
    evaluate_fleet(store, policy, now=NOW)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, policy: Policy) -> Iterator[Store]:
    """SQLite, shared by the module (read-only tests)."""
    path: Path = tmp_path_factory.mktemp("dashboard") / "fleet.db"
    opened = open_store(f"sqlite:///{path}")
    load_fleet(opened, policy, HOSTS)
    yield opened
    opened.close()


def test_one_scan_figures_equal_the_sql_rollups(fleet: Store) -> None:
    figures = dashboard.fleet_breakdown(fleet)
    with fleet.session() as session:
        repo = EvaluationRepository(session)
        assert figures.fleet() == repo.rollups("fleet")[0]
        assert figures.by_bucket() == repo.rollups("bucket")
        assert figures.by_owner() == repo.rollups("owner")


def test_overview_lists_every_policy_bucket(fleet: Store, policy: Policy) -> None:
    view = dashboard.overview(fleet, policy, now=NOW)
    names = [line.rollup.key for line in view.buckets]
    assert {b.name for b in policy.buckets} <= set(names)
    assert sum(line.rollup.hosts for line in view.buckets) == view.fleet.hosts == HOSTS
    with_windows = [line for line in view.buckets if line.rollup.key and line.next_window]
    assert all(line.next_window and line.next_window.end > NOW for line in with_windows)
    assert [p.day for p in view.trend] == [NOW.date()]


def test_unknown_bucket(fleet: Store, policy: Policy) -> None:
    with pytest.raises(NotFoundError, match="no bucket 'nope'"):
        dashboard.bucket_view(fleet, policy, "nope", now=NOW)


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("descending", [True, False])
def test_pages_cover_every_host_once_in_order(
    fleet: Store, sort: HostSort, descending: bool
) -> None:
    seen = []
    offset = 0
    while True:
        page = dashboard.host_page(
            fleet, StatusFilter(), sort=sort, descending=descending, offset=offset, limit=8
        )
        seen += list(page.rows)
        if not page.has_next:
            break
        offset += 8
    assert len({s.hostname for s in seen}) == len(seen) == HOSTS
    key: Callable[[HostStatus], Any] = {
        "days_behind": lambda s: s.days_behind,  # the host's oldest missing update
        "uptime": lambda s: -1.0 if s.uptime_days is None else s.uptime_days,
        "severity": lambda s: (
            -("critical", "high", "medium", "low", "unknown", None).index(s.worst_severity)
        ),
        "hostname": lambda s: s.hostname,
    }[sort]
    values = [key(s) for s in seen]
    assert values == sorted(values, reverse=descending)


@pytest.mark.parametrize("state", sorted(STATES))
def test_state_filters_agree_with_the_statuses(fleet: Store, state: str) -> None:
    with fleet.session() as session:
        everyone = EvaluationRepository(session).statuses()
        page = StatusQueries(session).page(StatusFilter(state=state), limit=HOSTS)
    expected: Callable[[HostStatus], bool] = {
        "current": lambda s: s.update == "current",
        "behind": lambda s: s.update == "behind",
        "overdue": lambda s: s.update == "overdue",
        "unknown": lambda s: s.update == "unknown",
        "patched": lambda s: s.patched,
        "unpatched": lambda s: not s.patched,
        "critical": lambda s: s.worst_severity == "critical",
        "high": lambda s: s.worst_severity == "high",
        "critical_or_high": lambda s: s.critical_or_high,
        "affected": lambda s: s.security != "not_affected",
        "fix_available": lambda s: s.security == "affected_fix_available",
        "pending_reboot": lambda s: s.reboot == "pending_reboot",
        "security_pending": lambda s: s.summary.security_updates > 0,
        "stale": lambda s: s.freshness == "stale",
        "uptime_over_limit": lambda s: s.uptime_over_limit,
        "drifted": lambda s: s.drifted,
        "unclassified": lambda s: s.bucket is None,
        "sla_breached": lambda s: bool(s.sla_breaches),
    }[state]
    assert {s.hostname for s in page.rows} == {s.hostname for s in everyone if expected(s)}
    assert page.total == len(page.rows)


def test_text_filter_is_literal(fleet: Store) -> None:
    with fleet.session() as session:
        queries = StatusQueries(session)
        assert queries.page(StatusFilter(text="db-")).total > 0
        assert queries.page(StatusFilter(text="%")).total == 0
        assert queries.page(StatusFilter(text="d_-")).total == 0


def test_package_filter_finds_the_hosts_running_a_version(fleet: Store) -> None:
    with fleet.session() as session:
        headers = HostRepository(session).current()
        members = FleetReader(session).set_members({h.package_set_id for h in headers})
        versions = {v.id: v for v in PackageRepository(session).distinct_versions()}
    chosen = versions[members[headers[0].package_set_id][0]]
    expected = {
        h.hostname
        for h in headers
        if any(
            versions[vid].name == chosen.name
            and versions[vid].version == chosen.version
            and versions[vid].ecosystem == chosen.ecosystem
            for vid in members[h.package_set_id]
        )
    }
    sets = dashboard.hosts_running(fleet, chosen.ecosystem, chosen.name, chosen.version)
    page = dashboard.host_page(fleet, StatusFilter(package_sets=sets), limit=HOSTS)
    assert {s.hostname for s in page.rows} == expected
    assert dashboard.hosts_running(fleet, chosen.ecosystem, chosen.name, "0:no-such") == ()


def test_the_queries_agree_on_every_backend(store: Store, policy: Policy) -> None:
    """The root `store` fixture: SQLite, and PostgreSQL when FLEETPATCH_TEST_PG is set."""
    load_fleet(store, policy, 20)
    figures = dashboard.fleet_breakdown(store)
    with store.session() as session:
        assert figures.by_bucket() == EvaluationRepository(session).rollups("bucket")
        queries = StatusQueries(session)
        assert queries.page(StatusFilter(text="%")).total == 0
        pending = queries.page(StatusFilter(state="pending_reboot"), limit=20)
    assert all(s.reboot == "pending_reboot" for s in pending.rows)
    for sort in SORTS:
        names = []
        for offset in range(0, 20, 6):
            page = dashboard.host_page(store, StatusFilter(), sort=sort, offset=offset, limit=6)
            names += [s.hostname for s in page.rows]
        assert len(set(names)) == len(names) == 20
        few = dashboard.host_page(store, StatusFilter(ecosystem="Debian:12"), sort=sort, limit=20)
        assert all(s.ecosystem == "Debian:12" for s in few.rows)


@pytest.mark.parametrize("sort", SORTS)
def test_index_walk_and_scan_give_the_same_order(fleet: Store, sort: HostSort) -> None:
    """Small pages of a broad filter walk the sort index, deep or big ones scan and sort."""
    where = StatusFilter(bucket="k8s-nodes")
    whole = dashboard.host_page(fleet, where, sort=sort, limit=HOSTS)  # scan: 5 x 45 > total
    assert whole.total > 10
    paged = []
    for offset in range(0, whole.total, 2):
        paged += dashboard.host_page(fleet, where, sort=sort, offset=offset, limit=2).rows
    assert [s.hostname for s in paged] == [s.hostname for s in whole.rows]
