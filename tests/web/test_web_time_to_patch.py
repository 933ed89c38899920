"""Time to patch, end to end: a generated fleet with a week of report history, evaluated at
several times, whose stored (advisory, host) pairs and figures equal what a plain loop over the
evaluated reports says; on the pages, in the API, in /metrics and on the CVE page.

The history: the generated AlmaLinux hosts are affected by real AlmaLinux advisories on day 0.
On day 1 a third of them install every fix and report no reboot needed (patched), a third install
every fix but say a reboot is required (pending: not patched), the rest do nothing. On day 3 the
pending ones have rebooted, and one patched host regresses to its old packages. On day 5 it is
patched again, through the one-report path (`evaluate_host_now`).
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from math import ceil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from web_support import DATA, NOW, require_tool

from fleetpatch.advisories.index import AdvisoryIndex
from fleetpatch.advisories.match import match
from fleetpatch.app.evaluate import evaluate_fleet, evaluate_host_now
from fleetpatch.app.ingest import Source, ingest
from fleetpatch.app.queries import cve_report
from fleetpatch.app.time_to_patch import time_to_patch
from fleetpatch.app.upstream import import_advisories, import_catalog
from fleetpatch.exposure.facts import match_triple
from fleetpatch.exposure.host_states import reboot_status
from fleetpatch.inventory.records import HostReport, Package, RebootEvidence
from fleetpatch.policy.records import Policy
from fleetpatch.settings import Settings
from fleetpatch.simulate.fleet import fleet_to_ndjson, generate_fleet
from fleetpatch.store import ReportRepository, Store, open_store
from fleetpatch.store.advisories import AdvisoryRepository
from fleetpatch.store.patch_pairs import PatchPairRepository
from fleetpatch.versions import compare, scheme_for_ecosystem, sort_key
from fleetpatch.web.app import create_app

HOSTS = 45
DAY = timedelta(days=1)
Key = tuple[str, str]  # (advisory id, hostname)


def _affected(report: HostReport, index: AdvisoryIndex) -> dict[str, str | None]:
    """Advisory id -> lowest fixed version, straight from the report's packages: the newest
    installed version of each (name, arch) only, as the host will run after its next boot."""
    scheme = scheme_for_ecosystem(report.ecosystem)
    newest: dict[tuple[str, str], Package] = {}
    for p in report.packages:
        known = newest.get((p.name, p.arch))
        if known is None or compare(scheme, p.version, known.version) > 0:
            newest[(p.name, p.arch)] = p
    found: dict[str, str | None] = {}
    for p in newest.values():
        version = _Version(report.ecosystem, p)
        for finding in match(index, *match_triple(version)):
            found.setdefault(finding.advisory_id, finding.fixed_version)
    return found


@dataclass(frozen=True)
class _Version:
    """A report's package in the shape `match_triple` reads."""

    ecosystem: str
    package: Package

    @property
    def name(self) -> str:
        return self.package.name

    @property
    def version(self) -> str:
        return self.package.version

    @property
    def source(self) -> str:
        return self.package.source

    @property
    def source_version(self) -> str:
        return self.package.source_version


def _fixed(report: HostReport, index: AdvisoryIndex, at: datetime, *, reboot: bool) -> HostReport:
    """The host installed every fix: each affected package at its highest fixed version (one
    instance of an install-only package is kept)."""
    fixes: dict[str, str] = {}
    for p in report.packages:
        for finding in match(index, *match_triple(_Version(report.ecosystem, p))):
            if finding.fixed_version:
                known = fixes.get(p.name, finding.fixed_version)
                fixes[p.name] = max(known, finding.fixed_version, key=_key(report.ecosystem))
    packages: list[Package] = []
    done: set[tuple[str, str]] = set()
    for p in report.packages:
        if p.name not in fixes:
            packages.append(p)
        elif (p.name, p.arch) not in done:
            done.add((p.name, p.arch))
            version = fixes[p.name]
            packages.append(replace(p, version=version, source_version=version))
    evidence = RebootEvidence(True, since=at) if reboot else RebootEvidence(False)
    return replace(report, collected_at=at, packages=tuple(packages), reboot_required=evidence)


def _key(ecosystem: str) -> Callable[[str], Any]:
    scheme = scheme_for_ecosystem(ecosystem)
    return lambda version: sort_key(scheme, version)


def _rebooted(report: HostReport, at: datetime) -> HostReport:
    return replace(report, collected_at=at, boot_time=at - timedelta(hours=1),
                   reboot_required=RebootEvidence(False))  # fmt: skip


@dataclass
class History:
    store: Store
    path: Path
    evaluated: list[tuple[datetime, dict[str, HostReport]]]
    """Each evaluation's time and the report it saw for each host."""
    index: AdvisoryIndex
    patched: list[str]
    pending: list[str]
    regressed: str


def _ingest(store: Store, reports: list[HostReport], current: dict[str, HostReport]) -> None:
    with store.session(write=True) as session:
        ReportRepository(session).add_many(reports, received_at=reports[0].collected_at)
    current.update({r.hostname: r for r in reports})


def _running_kernel_current(report: HostReport) -> bool:
    return reboot_status(report).state != "pending_reboot"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory, policy: Policy) -> Iterator[History]:
    path = tmp_path_factory.mktemp("ttp") / "fleet.db"
    store = open_store(f"sqlite:///{path}")
    fleet = list(generate_fleet(HOSTS, seed=7, now=NOW))
    ingest(store, [Source.from_bytes("fleet", b"".join(fleet_to_ndjson(fleet)))], now=NOW)
    import_catalog(store, [str(DATA / "catalog/debian12/lists")], now=NOW)
    import_advisories(store, [DATA / "web/almalinux9-osv"], now=NOW)
    with store.session() as session:
        index = AdvisoryRepository(session).index()
    current = {r.hostname: r for r in fleet}
    evaluated: list[tuple[datetime, dict[str, HostReport]]] = []

    def evaluate(at: datetime) -> None:
        evaluate_fleet(store, policy, now=at)
        evaluated.append((at, dict(current)))

    evaluate(NOW)
    # Hosts affected on day 0 whose running kernel is current: their fate is ours to choose.
    affected = sorted(
        r.hostname for r in fleet if _affected(r, index) and _running_kernel_current(r)
    )
    assert len(affected) >= 6, "the generated fleet has too few affected AlmaLinux hosts"
    patched, pending = affected[0::3], affected[1::3]
    day1 = NOW + DAY
    _ingest(store, [_fixed(current[h], index, day1, reboot=False) for h in patched], current)
    _ingest(store, [_fixed(current[h], index, day1, reboot=True) for h in pending], current)
    evaluate(day1 + timedelta(hours=1))
    day3 = NOW + 3 * DAY
    _ingest(store, [_rebooted(current[h], day3) for h in pending], current)
    regressed = patched[0]
    old = next(r for r in fleet if r.hostname == regressed)
    _ingest(store, [replace(old, collected_at=day3)], current)
    evaluate(day3 + timedelta(hours=1))
    day5 = NOW + 5 * DAY
    _ingest(store, [_fixed(old, index, day5, reboot=False)], current)
    evaluate_host_now(store, policy, regressed, now=day5)
    evaluated.append((day5, dict(current)))  # the one-report path evaluated this host
    evaluate(day5 + timedelta(hours=1))
    yield History(store, path, evaluated, index, patched, pending, regressed)
    store.close()


def _recomputed(history: History) -> dict[Key, tuple[datetime, datetime | None]]:
    """(affected_since, patched_at) per pair, by a plain loop over the evaluated reports."""
    pairs: dict[Key, tuple[datetime, datetime | None]] = {}
    for _, reports in history.evaluated:
        for hostname, report in reports.items():
            now_affected = _affected(report, history.index)
            pending = reboot_status(report).state == "pending_reboot"
            for aid in now_affected:
                since, _ = pairs.get((aid, hostname), (report.collected_at, None))
                pairs[(aid, hostname)] = (since, None)  # a regression reopens: patched cleared
            for (aid, host), (since, done) in list(pairs.items()):
                if host == hostname and aid not in now_affected and done is None and not pending:
                    pairs[(aid, host)] = (since, report.collected_at)
    return pairs


def _nearest_rank(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return ordered[max(0, ceil(q * len(ordered)) - 1)] if ordered else None


def _published(history: History) -> Mapping[str, datetime | None]:
    return {
        e.advisory.id: e.advisory.published for es in history.index.entries.values() for e in es
    }


def test_stored_pairs_equal_a_loop_over_the_report_history(history: History) -> None:
    with history.store.session() as session:
        stored = {(p.advisory_id, p.hostname): p for p in PatchPairRepository(session).pairs()}
    expected = _recomputed(history)
    assert set(stored) == set(expected)
    got = {k: (p.affected_since, p.patched_at) for k, p in stored.items()}
    assert got == expected
    patched_hosts = {h for (_, h), (_, done) in expected.items() if done is not None}
    assert set(history.patched) <= patched_hosts  # the story happened: hosts were patched
    assert any(p.reopened for p in stored.values() if p.hostname == history.regressed)


def test_patched_but_pending_reboot_is_not_patched(history: History) -> None:
    """Day 1: fixes installed, reboot required. Patched only from the day-3 report (rebooted)."""
    with history.store.session() as session:
        pairs = PatchPairRepository(session).pairs()
    for hostname in history.pending:
        closed = {p.patched_at for p in pairs if p.hostname == hostname and p.patched_at}
        assert closed == {NOW + 3 * DAY}, hostname  # not day 1, when the fix was on disk
    for hostname in history.patched[1:]:
        closed = {p.patched_at for p in pairs if p.hostname == hostname and p.patched_at}
        assert closed == {NOW + DAY}, hostname
    # Pairs left open on these hosts are advisories with no fix to install.
    assert all(
        p.fix_available_at is None
        for p in pairs
        if p.open and p.hostname in {*history.pending, *history.patched}
    )


def test_figures_equal_the_recomputed_percentiles(history: History) -> None:
    figures = time_to_patch(history.store)
    end = history.evaluated[-1][0]
    assert figures.end == end
    published = _published(history)
    spans = {}
    for (aid, host), (_, done) in _recomputed(history).items():
        disclosed = published.get(aid)
        if done is not None and disclosed is not None:
            spans[(aid, host)] = max(0.0, (done - disclosed).total_seconds() / 86400)
    overall = figures.fleet[-1]
    assert overall.severity == "all"
    assert overall.patched == len(spans) > 0
    assert overall.p50_days == _nearest_rank(list(spans.values()), 0.5)
    assert overall.p90_days == _nearest_rank(list(spans.values()), 0.9)
    still_open = [k for k, (_, done) in _recomputed(history).items() if done is None]
    assert overall.open == len(still_open)
    ages = [(end - d).total_seconds() / 86400 for a, _ in still_open if (d := published.get(a))]
    assert overall.exposed_oldest_days == pytest.approx(max(ages))


def test_the_window_ends_at_the_newest_evaluation_not_the_clock(
    history: History, policy: Policy, tmp_path: Path
) -> None:
    """Evaluated 200 days on with no new reports, nothing was patched in the 90 days before:
    time to patch is empty, exposure has grown, and the window moved with the evaluation."""
    copy = tmp_path / "later.db"
    with closing(sqlite3.connect(history.path)) as source, closing(sqlite3.connect(copy)) as to:
        source.backup(to)  # the open store's newest pages may still be in its WAL file
    later = open_store(f"sqlite:///{copy}")
    try:
        at = NOW + timedelta(days=200)
        evaluate_fleet(later, policy, now=at)
        figures = time_to_patch(later)
        assert figures.end == at
        overall = figures.fleet[-1]
        assert overall.patched == 0
        assert overall.p50_days is None
        before = time_to_patch(history.store).fleet[-1]
        assert overall.open == before.open
        assert before.exposed_oldest_days is not None
        grown = before.exposed_oldest_days + 195 - 1 / 24  # 200 days on from day 5, 01:00
        assert overall.exposed_oldest_days == pytest.approx(grown)
        assert figures.trend[-1].day == at.date()
    finally:
        later.close()


@pytest.fixture
def client(history: History, policy: Policy) -> Iterator[TestClient]:
    app = create_app(Settings(), history.store, policy, lambda: NOW + 6 * DAY, auth=False)
    with TestClient(app, raise_server_exceptions=True) as c:
        yield c


def _scrape(client: TestClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    families = text_string_to_metric_families(client.get("/metrics").text)
    return {f.name: [(s.labels, s.value) for s in f.samples] for f in families}


def test_metrics_equal_the_figures(client: TestClient, history: History) -> None:
    from fleetpatch.app.time_to_patch import metric_figures

    _, groups = metric_figures(history.store)
    scraped = _scrape(client)
    p50 = {
        (lb["bucket"], lb["owner"], lb["severity"], lb["since"]): v
        for lb, v in scraped["fleetpatch_time_to_patch_p50_seconds"]
    }
    expected = {
        (b or "", o or "", f.severity, "disclosure"): f.p50_days * 86400
        for (b, o), rows in groups.items()
        for f in rows
        if f.severity != "all" and f.p50_days is not None
    }
    assert expected
    assert {k: v for k, v in p50.items() if k[3] == "disclosure"} == pytest.approx(expected)
    oldest = scraped["fleetpatch_exposure_oldest_seconds"]
    fleet_oldest = time_to_patch(history.store).fleet[-1].exposed_oldest_days
    assert fleet_oldest is not None
    assert max(v for _, v in oldest) == pytest.approx(fleet_oldest * 86400)


@pytest.mark.oracle
def test_promtool_is_clean_with_time_to_patch(client: TestClient) -> None:
    promtool = require_tool("promtool")
    body = client.get("/metrics").text
    assert "fleetpatch_time_to_patch_p90_seconds{" in body
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=body, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


def test_overview_and_api_show_time_to_patch(client: TestClient, history: History) -> None:
    figures = time_to_patch(history.store)
    body = client.get("/api/v1/overview").json()["time_to_patch"]
    assert body["fleet"][-1]["p90_days"] == figures.fleet[-1].p90_days
    assert {g["key"] for g in body["by_owner"]} == {g.key for g in figures.by_owner}
    html = client.get("/").text
    assert 'data-testid="ttp-owners"' in html
    assert 'data-testid="ttp-buckets"' in html
    bucket = next(g.key for g in figures.by_bucket if g.key)
    one = client.get(f"/api/v1/buckets/{bucket}").json()["time_to_patch"]
    assert (
        one["fleet"][-1]["patched"]
        == next(g for g in figures.by_bucket if g.key == bucket).overall.patched
    )


def test_cve_page_burn_down_counts_affected_hosts(
    client: TestClient, history: History, policy: Policy
) -> None:
    """An advisory the patched and pending hosts had: each day's count is the hosts first seen
    affected by then and not yet patched, from the same loop over the report history."""
    expected = _recomputed(history)
    aid = next(a for a, h in expected if h == history.pending[0])
    report = cve_report(history.store, policy, aid, now=NOW + 6 * DAY)
    assert report.patching is not None
    for day, count in report.patching.burn_down:
        moment = datetime.combine(day + DAY, datetime.min.time(), NOW.tzinfo)
        hosts = {
            h
            for (a, h), (since, done) in expected.items()
            if a == aid and since <= moment and (done is None or moment < done)
        }
        assert count == len(hosts), day
    html = client.get(f"/cve?q={aid}").text
    assert 'data-testid="cve-burn-down"' in html
    assert 'data-testid="cve-bucket-times"' in html
    days = {d.isoformat(): n for d, n in report.patching.burn_down}
    assert days[(NOW + 2 * DAY).date().isoformat()] >= 1  # the pending host, still not patched


def test_the_fleet_and_bucket_figures_from_one_read_equal_the_per_bucket_reads(
    history: History,
) -> None:
    from fleetpatch.app.time_to_patch import time_to_patch, time_to_patch_all

    store = history.store
    fleet, buckets = time_to_patch_all(store)
    assert fleet == time_to_patch(store)
    assert buckets
    for name, figures in buckets.items():
        assert figures == time_to_patch(store, bucket=name)
