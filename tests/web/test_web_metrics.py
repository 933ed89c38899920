"""`/metrics`: Prometheus text computed at scrape time, bounded labels, figures equal to the
store's rollups, and a Grafana dashboard whose every query names an exported metric."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from web_support import HOSTS, NOW, Tokens, bearer, report_json, require_tool

from fleetpatch.exposure.rollups import Rollup
from fleetpatch.store import Store
from fleetpatch.store.evaluations import EvaluationRepository
from fleetpatch.web.metrics import METRICS

DASHBOARD = Path(__file__).resolve().parents[2] / "grafana" / "fleetpatch.json"
ALLOWED_LABELS = {"bucket", "owner", "state", "severity"}


def scrape(client: TestClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = text_string_to_metric_families(response.text)
    return {f.name: [(s.labels, s.value) for s in f.samples] for f in families}


def test_every_metric_is_exported_with_bounded_labels(client: TestClient) -> None:
    scraped = scrape(client)
    assert set(METRICS) <= set(scraped)
    for name, samples in scraped.items():
        assert name.startswith("fleetpatch_")
        for labels, _ in samples:
            assert set(labels) <= ALLOWED_LABELS, (name, labels)


def test_figures_equal_the_rollups(client: TestClient, store: Store) -> None:
    scraped = scrape(client)
    with store.session() as session:
        by_bucket = {r.key or "": r for r in EvaluationRepository(session).rollups("bucket")}
    hosts = {labels["bucket"]: value for labels, value in scraped["fleetpatch_hosts"]}
    assert hosts == {k: float(r.hosts) for k, r in by_bucket.items()}
    assert sum(hosts.values()) == HOSTS
    pending = {lb["bucket"]: v for lb, v in scraped["fleetpatch_hosts_pending_reboot"]}
    assert pending == {k: float(r.pending_reboot) for k, r in by_bucket.items()}
    owners = {lb["bucket"]: lb["owner"] for lb, _ in scraped["fleetpatch_hosts"]}
    assert owners["databases"] == "dba"
    assert owners.get("", "") == ""
    states = sum(v for _, v in scraped["fleetpatch_hosts_by_update_state"])
    assert states == HOSTS
    high = sum(v for lb, v in scraped["fleetpatch_hosts_affected"] if lb["severity"] == "high")
    assert high == sum(r.critical_or_high for r in by_bucket.values()) > 0
    (stamp,) = scraped["fleetpatch_last_evaluation_timestamp_seconds"]
    assert stamp[1] == NOW.timestamp()


def test_durations_are_the_rollups_days_in_seconds(client: TestClient, store: Store) -> None:
    scraped = scrape(client)
    with store.session() as session:
        by_bucket = {r.key or "": r for r in EvaluationRepository(session).rollups("bucket")}
    days: dict[str, Callable[[Rollup], float]] = {
        "fleetpatch_behind_mean_seconds": lambda r: r.days_behind_mean,
        "fleetpatch_behind_max_seconds": lambda r: r.days_behind_max,
        "fleetpatch_uptime_max_seconds": lambda r: r.max_uptime_days or 0.0,
    }
    for name, of in days.items():
        got = {labels["bucket"]: value for labels, value in scraped[name]}
        assert got == pytest.approx({k: of(r) * 86400 for k, r in by_bucket.items()}), name
        assert max(got.values()) > 86400, name  # a fleet weeks behind, not a fraction of a day


@pytest.mark.oracle
def test_promtool_finds_nothing_to_report(client: TestClient) -> None:
    """Prometheus's own linter (names, units, suffixes, help, format) over a real scrape."""
    promtool = require_tool("promtool")
    body = client.get("/metrics").text
    (hosts,) = (f for f in text_string_to_metric_families(body) if f.name == "fleetpatch_hosts")
    assert sum(s.value for s in hosts.samples) == HOSTS  # a non-empty, evaluated fleet
    checked = subprocess.run(
        [promtool, "check", "metrics"],
        input=body,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    findings = checked.stdout + checked.stderr
    assert (checked.returncode, findings) == (0, ""), findings


def test_scrape_reads_current_figures(client: TestClient, tokens: Tokens) -> None:
    before = sum(v for _, v in scrape(client)["fleetpatch_hosts"])
    posted = client.post(
        "/api/v1/reports", json=report_json("m-01"), headers=bearer(tokens.reporter)
    )
    assert posted.status_code == 201
    assert sum(v for _, v in scrape(client)["fleetpatch_hosts"]) == before + 1


def _queries(dashboard: dict[str, object]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    panels = list(dashboard["panels"])  # type: ignore[call-overload]
    while panels:
        panel = panels.pop()
        panels.extend(panel.get("panels", []))
        out += [(panel["title"], t["expr"]) for t in panel.get("targets", [])]
    return out


def test_grafana_panels_use_exactly_the_exported_metrics(client: TestClient) -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queries = _queries(dashboard)
    assert len(queries) >= len(dashboard["panels"])
    used: set[str] = set()
    for title, expr in queries:
        names = set(re.findall(r"\bfleetpatch_[a-z_]+\b", expr))
        assert names, f"panel {title!r} queries no fleetpatch metric: {expr}"
        assert names <= set(METRICS), (
            f"panel {title!r} names unknown metrics {names - set(METRICS)}"
        )
        used |= names
    assert used == set(METRICS)  # every exported metric has a panel
    assert used <= set(scrape(client))
