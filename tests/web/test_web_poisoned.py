"""A store holding reports from before ingest checked versions: one poisoned host never stops the
evaluation, the drift report or any page for the rest of the fleet."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from web_support import NOW

from fleetpatch.app.dashboard import overview
from fleetpatch.app.evaluate import evaluate_fleet, evaluate_host_now
from fleetpatch.app.queries import drift_report
from fleetpatch.inventory.records import Package
from fleetpatch.inventory.schema import parse_report
from fleetpatch.policy.records import Policy
from fleetpatch.store import ReportRepository, Store
from fleetpatch.store.evaluations import EvaluationRepository

BASE = {
    "schema": "fleetpatch.report/v1",
    "collected_at": "2026-11-27T10:00:00Z",
    "os": {"id": "debian", "version_id": "12", "codename": "bookworm"},
    "ecosystem": "Debian:12",
    "arch": "amd64",
    "packages": [{"name": "libc6", "version": "2.36-9+deb12u8", "arch": "amd64",
                  "source": "glibc", "source_version": "2.36-9+deb12u8"}],
}  # fmt: skip


def _store_poison(store: Store) -> None:
    """What a store written before ingest validated versions may hold: written around the
    validation, straight through the repository."""
    good = parse_report({**BASE, "hostname": "poisoned-01"})
    bad_version = replace(
        good, packages=(*good.packages, Package("curl", "9" * 5000, "amd64", "curl", "9" * 5000))
    )
    odd = replace(good, hostname="poisoned-02", packages=(Package("zlib", "1.0 beta", "amd64"),))
    with store.session(write=True) as session:
        ReportRepository(session).add_many([bad_version, odd], received_at=NOW)


def _states(store: Store) -> dict[str, tuple[object, ...]]:
    with store.session() as session:
        return {
            s.hostname: (s.update, s.security, s.reboot, s.patched, s.summary)
            for s in EvaluationRepository(session).statuses()
        }


def test_one_poisoned_host_leaves_every_other_host_evaluated(
    store: Store, policy: Policy, caplog: pytest.LogCaptureFixture
) -> None:
    before = _states(store)
    _store_poison(store)
    with caplog.at_level(logging.WARNING, logger="fleetpatch.app.evaluate"):
        summary = evaluate_fleet(store, policy, now=NOW)
    after = _states(store)
    assert summary.info.hosts == len(before) + 2
    assert {h: after[h] for h in before} == before  # the rest of the fleet is untouched
    with store.session() as session:
        repo = EvaluationRepository(session)
        poisoned, odd = repo.status("poisoned-01"), repo.status("poisoned-02")
        count, first = repo.problems()
    assert poisoned is not None
    assert odd is not None
    assert poisoned.update == "unknown"
    assert not poisoned.patched
    assert poisoned.problem.startswith("package curl: invalid dpkg version '9999")
    assert "a numeric part" in poisoned.problem or "longer than" in poisoned.problem
    assert poisoned.summary.packages == 2  # the good package is still counted
    assert odd.problem == (
        "package zlib: invalid dpkg version '1.0 beta': version string has embedded spaces"
    )
    assert count == 2
    assert [name for name, _ in first] == ["poisoned-01", "poisoned-02"]
    warnings = [r for r in caplog.records if "could not be wholly evaluated" in r.getMessage()]
    assert len(warnings) == 1  # logged once per evaluation, not once per host
    again = evaluate_host_now(store, policy, "poisoned-02", now=NOW)
    assert again.update == "unknown"
    assert again.problem == odd.problem


def test_drift_and_the_overview_work_around_the_poison(store: Store, policy: Policy) -> None:
    _store_poison(store)
    evaluate_fleet(store, policy, now=NOW)
    rows = drift_report(store, policy, now=NOW)
    assert all("9" * 100 not in v.version for r in rows for v in r.versions)
    zlib = drift_report(store, policy, now=NOW, package="zlib")
    assert zlib  # the fleet's other zlib versions are still reported
    assert all(v.version != "1.0 beta" for r in zlib for v in r.versions)
    view = overview(store, policy, now=NOW)
    assert view.unevaluable == 2


def test_every_page_and_endpoint_answers_with_a_poisoned_host(
    client: TestClient, store: Store, policy: Policy
) -> None:
    _store_poison(store)
    evaluate_fleet(store, policy, now=NOW)
    for path in (
        "/",
        "/hosts",
        "/hosts/poisoned-01",
        "/hosts/poisoned-02",
        "/packages",
        "/api/v1/drift",
        "/api/v1/hosts",
        "/api/v1/hosts/poisoned-01",
        "/api/v1/overview",
        "/metrics",
        f"/buckets/{policy.buckets[0].name}",
        f"/api/v1/buckets/{policy.buckets[0].name}",
    ):
        assert client.get(path).status_code == 200, path
    page = client.get("/").text
    assert 'data-testid="unevaluable-count">2<' in page
    assert 'href="/hosts/poisoned-01"' in page
    host = client.get("/hosts/poisoned-02").text
    assert "version string has embedded spaces" in host
    api = client.get("/api/v1/hosts/poisoned-02").json()
    assert api["status"]["update"] == "unknown"
    assert api["status"]["problem"].startswith("package zlib: invalid dpkg version")
