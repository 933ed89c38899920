"""`/metrics`: Prometheus text computed at scrape time, bounded labels, figures equal to the
store's rollups, and a Grafana dashboard whose every query names an exported metric."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from web_support import HOSTS, NOW, Tokens, bearer, report_json, require_tool

from fleetpatch.exposure.rollups import Rollup
from fleetpatch.orchestrate import service
from fleetpatch.store import Store
from fleetpatch.store.evaluations import EvaluationRepository
from fleetpatch.store.runs import RunRepository
from fleetpatch.web.metrics import METRICS

DASHBOARD = Path(__file__).resolve().parents[2] / "grafana" / "fleetpatch.json"
ALLOWED_LABELS = {"bucket", "owner", "state", "severity", "since", "step", "outcome", "le"}


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
    status, findings = _promtool_check(promtool, body)
    assert (status, findings) == (0, ""), findings


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


# Enough of PromQL to find the metric names in an expression: strings, label matchers and
# grouping label lists are dropped, functions are names followed by "(", and a name glued to a
# digit, "$" or "." is a duration, a number or a Grafana variable, not a metric.
_STRING = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`""")
_NAME_MATCHER = re.compile(r"""__name__\s*=\s*("(?:[^"\\]|\\.)*")""")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w:.$])[a-zA-Z_:][\w:]*(?![\w:]|\s*\()")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"}
_SERIES_SUFFIXES = ("_bucket", "_sum", "_count")
_FAMILY_SUFFIXES = {
    "histogram": _SERIES_SUFFIXES,
    "summary": _SERIES_SUFFIXES,
    "counter": ("_total",),
}


def metric_names(expr: str) -> set[str]:
    """Every metric an expression selects, by name."""
    named = {json.loads(m) for m in _NAME_MATCHER.findall(expr)}
    bare = _GROUPING.sub(" ", re.sub(r"\{[^}]*\}", " ", _STRING.sub('""', expr)))
    return named | {n for n in _IDENTIFIER.findall(bare) if n.lower() not in _KEYWORDS}


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("fleetpatch_hosts", {"fleetpatch_hosts"}),
        ('sum(fleetpatch_hosts{bucket=""}) or vector(0)', {"fleetpatch_hosts"}),
        (
            "100 * sum by (bucket) (fleetpatch_hosts_patched) / clamp_min(sum by (bucket) "
            "(fleetpatch_hosts), 1)",
            {"fleetpatch_hosts_patched", "fleetpatch_hosts"},
        ),
        (
            'histogram_quantile(0.9, sum by (le) (rate(fleetpatch_x_bucket{le!="+Inf"}[5m])))'
            " / on (bucket) group_left (owner) fleetpatch_y2 offset 1h > bool 1e3",
            {"fleetpatch_x_bucket", "fleetpatch_y2"},
        ),
        ('rate(up[$__rate_interval]) and {__name__="fleetpatch_z"}', {"up", "fleetpatch_z"}),
        ('label_replace(a:b:rate5m, "dst", "$1", "src", "(fleetpatch_.*)")', {"a:b:rate5m"}),
    ],
)
def test_metric_names_reads_promql(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def exported_families(client: TestClient) -> tuple[dict[str, str], set[str]]:
    """The scrape's families (name → type) and every sample name in it."""
    response = client.get("/metrics")
    assert response.status_code == 200
    families = list(text_string_to_metric_families(response.text))
    return {f.name: f.type for f in families}, {s.name for f in families for s in f.samples}


def series_base(name: str, families: dict[str, str]) -> str:
    """A histogram's or summary's `_bucket`/`_sum`/`_count` series, and a counter's `_total`,
    count as their family."""
    for kind in ("histogram", "summary", "gaugehistogram", "counter"):
        for suffix in _FAMILY_SUFFIXES.get(kind, _SERIES_SUFFIXES):
            base = name.removesuffix(suffix)
            if base != name and families.get(base) == kind:
                return base
    return name


def test_histogram_and_summary_series_count_as_their_family() -> None:
    families = {
        "fleetpatch_x": "histogram",
        "fleetpatch_y": "summary",
        "fleetpatch_z": "gauge",
        "fleetpatch_c": "counter",
    }
    assert series_base("fleetpatch_x_bucket", families) == "fleetpatch_x"
    assert series_base("fleetpatch_c_total", families) == "fleetpatch_c"
    assert series_base("fleetpatch_x_total", families) == "fleetpatch_x_total"  # not a counter
    assert series_base("fleetpatch_y_count", families) == "fleetpatch_y"
    assert series_base("fleetpatch_y_sum", families) == "fleetpatch_y"
    assert series_base("fleetpatch_z_count", families) == "fleetpatch_z_count"  # not a series


def test_grafana_panels_use_exactly_the_exported_metrics(client: TestClient) -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queries = _queries(dashboard)
    assert len(queries) >= len(dashboard["panels"])
    families, samples = exported_families(client)
    used: set[str] = set()
    for title, expr in queries:
        names = {series_base(n, families) for n in metric_names(expr)}
        assert names, f"panel {title!r} queries no metric: {expr}"
        foreign = {n for n in names if not n.startswith("fleetpatch_")}
        assert not foreign, f"panel {title!r} reads metrics fleetpatch does not export: {foreign}"
        unknown = names - set(families) - samples
        assert not unknown, f"panel {title!r} names metrics /metrics does not export: {unknown}"
        used |= names
    assert used == set(METRICS)  # every exported metric has a panel


# -- runs ----------------------------------------------------------------------------------


def test_run_series_equal_the_store(runs_client: TestClient, runs_store: Store) -> None:
    """Over the demo's three engine-made runs: runs by state, hosts in flight, step outcomes
    and durations match what the store recorded, labels bounded (never a host or a run)."""
    scraped = scrape(runs_client)
    for name, samples in scraped.items():
        for labels, _ in samples:
            assert set(labels) <= ALLOWED_LABELS, (name, labels)
    by_state = {lb["state"]: v for lb, v in scraped["fleetpatch_runs"]}
    assert by_state == {
        "planned": 0,
        "running": 1,
        "stopped": 1,
        "halted": 0,
        "finished": 1,
        "cancelled": 0,
    }
    with runs_store.session() as session:
        repo = RunRepository(session)
        runs = {r.id: r for r in repo.listing()}
        hosts = [h for run_id in runs for h in repo.hosts(run_id)]
        steps = [s for run_id in runs for s in repo.steps(run_id)]
    flying = [h for h in hosts if h.state not in ("queued", "done", "failed", "blocked")]
    in_flight = {lb["bucket"]: v for lb, v in scraped["fleetpatch_run_hosts_in_flight"]}
    assert in_flight == {"k8s-nodes": len(flying)} != {"k8s-nodes": 0}
    outcomes = {
        (lb["bucket"], lb["step"], lb["outcome"]): v
        for lb, v in scraped["fleetpatch_run_step_outcomes"]
    }
    expected: dict[tuple[str, str, str], float] = {}
    for s in steps:
        key = (runs[s.run_id].bucket, s.name, s.outcome)
        expected[key] = expected.get(key, 0) + 1
    assert outcomes == expected
    assert (
        outcomes[("databases", "post-check", "failed")]
        + outcomes.get(("databases", "pre-check", "failed"), 0)
        == 1
    )
    histogram = scraped["fleetpatch_run_step_duration_seconds"]
    upgrade = [s for s in steps if s.name == "upgrade" and runs[s.run_id].bucket == "k8s-nodes"]
    seconds = [(s.finished_at - s.started_at).total_seconds() for s in upgrade if s.finished_at]
    count = {
        lb["le"]: v
        for lb, v in histogram
        if lb.get("bucket") == "k8s-nodes" and lb.get("step") == "upgrade" and "le" in lb
    }
    assert count["+Inf"] == len(seconds) > 0
    assert count["600.0"] == sum(1 for s in seconds if s <= 600)
    assert count["120.0"] == sum(1 for s in seconds if s <= 120) < len(seconds)  # minutes, not 0


def test_halted_and_lease_age_follow_the_store(runs_client: TestClient, runs_store: Store) -> None:
    scraped = scrape(runs_client)
    assert scraped["fleetpatch_halted"] == [({}, 0.0)]
    assert scraped["fleetpatch_run_lease_age_seconds"] == [({}, 0.0)]  # no lease held
    service.halt(runs_store, now=NOW, actor="test", reason="INC-1")
    with runs_store.session(write=True) as session:
        repo = RunRepository(session)
        (run_id,) = [r.id for r in repo.listing() if r.state == "running"]
        host = next(h for h in repo.hosts(run_id) if h.state == "queued")
        assert repo.claim(run_id, host.host, "w9:1:1", NOW - timedelta(seconds=90), ttl=60)
    scraped = scrape(runs_client)
    assert scraped["fleetpatch_halted"] == [({}, 1.0)]
    assert scraped["fleetpatch_run_lease_age_seconds"] == [({}, 90.0)]  # a worker gone quiet


@pytest.mark.oracle
def test_promtool_finds_nothing_to_report_in_the_run_series(runs_client: TestClient) -> None:
    promtool = require_tool("promtool")
    body = runs_client.get("/metrics").text
    assert "fleetpatch_run_step_duration_seconds_bucket{" in body  # the runs are there
    assert "fleetpatch_run_step_outcomes_total{" in body
    status, findings = _promtool_check(promtool, body)
    assert (status, findings) == (0, ""), findings


def _promtool_check(promtool: str, body: str) -> tuple[int, str]:
    """`promtool check metrics` over a scrape: its exit status and everything it printed."""
    checked = subprocess.run(
        [promtool, "check", "metrics"],
        input=body,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return checked.returncode, checked.stdout + checked.stderr
