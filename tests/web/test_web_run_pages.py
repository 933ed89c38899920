"""The run pages over runs the engine really worked (the demo's three, simulated executor on a
virtual clock): the list with each wave's progress, one run host by host with its failed gate and
page, a host's and a bucket's runs, the andon banner on every page, and hostile text escaped."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from web_support import NOW

from fleetpatch.orchestrate import service
from fleetpatch.orchestrate.demo_runs import DemoRun, DemoRuns, build_demo_runs
from fleetpatch.policy.records import Policy
from fleetpatch.store import Store, open_store
from fleetpatch.store.runs import RunRepository

HOSTILE = "<script>alert('halt')</script> & \"quotes\""


def demo(store: Store) -> dict[str, DemoRun]:
    """The stored runs by bucket (the demo has one per bucket it patched)."""
    with store.session() as session:
        repo = RunRepository(session)
        found = {}
        for run in repo.listing():
            counts = repo.host_counts([run.id]).get(run.id, {})
            pages = sum(1 for a in repo.audit_log(run_id=run.id) if a.action == "page")
            found[run.bucket] = DemoRun(run.id, run.bucket, run.state, counts, pages)
        return found


def rows(page: str, testid: str) -> list[str]:
    """Each `<tr data-testid=…>` to its own `</tr>` (a host's row holds a table of steps)."""
    found = []
    for start in re.finditer(rf'<tr data-testid="{testid}"', page):
        depth = 0
        for tag in re.finditer(r"<tr\b|</tr>", page[start.start() :]):
            depth += 1 if tag.group() == "<tr" else -1
            if depth == 0:
                found.append(page[start.start() : start.start() + tag.end()])
                break
    return found


def text(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()


def by_testid(page: str, name: str) -> list[str]:
    return [text(m) for m in re.findall(rf'data-testid="{name}"[^>]*>(.*?)</', page, re.S)]


def test_the_demo_makes_one_finished_one_stopped_and_one_live_run(runs_store: Store) -> None:
    runs = demo(runs_store)
    assert {b: r.state for b, r in runs.items()} == {
        "stateless": "finished",
        "databases": "stopped",
        "k8s-nodes": "running",
    }
    assert runs["databases"].pages == 1
    assert runs["databases"].hosts_by_state["failed"] == 1
    live = runs["k8s-nodes"].hosts_by_state
    assert live.get("done", 0) > 0
    assert sum(live.values()) > live.get("done", 0)  # some hosts still in flight or queued


def test_the_demo_runs_are_the_same_every_time(
    evaluated_db: Path, tmp_path: Path, policy: Policy, runs_store: Store
) -> None:
    copy = tmp_path / "again.db"
    shutil.copyfile(evaluated_db, copy)
    store = open_store(f"sqlite:///{copy}")
    try:
        again: DemoRuns = build_demo_runs(store, policy, now=NOW, seed=7)

        def steps(of: Store) -> list[tuple[object, ...]]:
            with of.session() as session:
                repo = RunRepository(session)
                return [
                    (s.run_id, s.host, s.name, s.outcome, s.attempt, s.started_at, s.finished_at)
                    for run_id in sorted(repo.ids())
                    for s in repo.steps(run_id)
                ]

        assert steps(store) == steps(runs_store)
        assert again.seconds < 10  # measured about 1.5 s on the 2-core machine
    finally:
        store.close()


def test_the_runs_page_lists_runs_with_wave_progress(
    runs_client: TestClient, runs_store: Store
) -> None:
    runs = demo(runs_store)
    page = runs_client.get("/runs")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert '<meta http-equiv="refresh" content="15">' in page.text  # a run is live
    listed = rows(page.text, "run-row")
    assert len(listed) == 3
    by_id = {re.search(r'data-run="([^"]+)"', r).group(1): r for r in listed}  # type: ignore[union-attr]
    stopped = by_id[runs["databases"].id]
    assert by_testid(stopped, "run-state")[0].startswith("stopped")
    assert "error budget spent" in text(stopped)
    assert by_testid(stopped, "run-failed") == ["1"]
    assert by_testid(stopped, "run-paged") == ["1"]
    assert all(by_testid(r, "run-simulated") == ["simulated"] for r in listed)
    finished = by_id[runs["stateless"].id]
    waves = by_testid(finished, "run-wave")
    assert all(re.fullmatch(r"wave \d+: (\d+)/\1 done", w) for w in waves), waves
    done = sum(int(w.split(": ")[1].split("/")[0]) for w in waves)
    assert done == runs["stateless"].hosts_by_state["done"]
    live = by_id[runs["k8s-nodes"].id]
    assert any("in flight" in w for w in by_testid(live, "run-wave"))


def test_the_runs_page_filters_by_bucket_and_stops_refreshing_without_live_runs(
    runs_client: TestClient,
) -> None:
    page = runs_client.get("/runs?bucket=databases").text
    assert len(rows(page, "run-row")) == 1
    assert "http-equiv" not in page  # the only run shown is stopped: nothing to watch


def test_the_run_page_shows_the_failed_gate_its_reason_and_the_page(
    runs_client: TestClient, runs_store: Store
) -> None:
    run = demo(runs_store)["databases"]
    page = runs_client.get(f"/runs/{run.id}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    body = page.text
    assert by_testid(body, "run-simulated-note")[0].startswith("Simulated")
    assert "http-equiv" not in body  # a stopped run does not change by itself
    hosts = rows(body, "run-host")
    failed = [h for h in hosts if 'data-state="failed"' in h]
    assert len(failed) == 1
    (gate,) = re.findall(r'data-testid="failed-gate" data-gate="([^"]+)"', failed[0])
    assert gate in {"pre-check", "post-check"}
    assert "simulated failure of " + gate in text(failed[0])
    assert by_testid(failed[0], "run-host-paged") == ["paged"]
    steps = rows(failed[0], "step-row")
    assert steps[-1].count(f'data-step="{gate}" data-outcome="failed"') == 1
    assert 'data-step="upgrade"' not in "".join(steps) or gate == "post-check"  # pre: no upgrade
    passed = [h for h in hosts if 'data-state="done"' in h]
    assert passed  # the gate failed on a later host, after one that passed
    took = by_testid(passed[0], "step-took")
    assert any(t.endswith(" s") and t != "0 s" for t in took)
    assert "<code>simulated_seconds=" in passed[0]  # the evidence, key by key
    actions = re.findall(r'data-testid="audit-row" data-action="([^"]+)"', body)
    assert {"run.create", "run.start", "page", "run.stop"} <= set(actions)


def test_the_live_run_page_refreshes_and_shows_current_steps(
    runs_client: TestClient, runs_store: Store
) -> None:
    run = demo(runs_store)["k8s-nodes"]
    body = runs_client.get(f"/runs/{run.id}").text
    assert '<meta http-equiv="refresh" content="15">' in body
    in_flight = [h for h in rows(body, "run-host") if 'data-state="upgrading"' in h]
    assert in_flight
    for host in in_flight:
        current = by_testid(host, "run-host-current")[0]
        passed = re.findall(r'data-step="([^"]+)" data-outcome="ok"', host)
        assert passed
        assert current not in (*passed, "—")


def test_the_host_page_lists_its_runs_with_their_steps(
    runs_client: TestClient, runs_store: Store
) -> None:
    run = demo(runs_store)["databases"]
    with runs_store.session() as session:
        host = next(h.host for h in RunRepository(session).hosts(run.id) if h.state == "failed")
    page = runs_client.get(f"/hosts/{host}").text
    (row,) = rows(page, "host-run")
    assert f'data-run="{run.id}"' in row
    assert by_testid(row, "host-run-state")[0].startswith("failed")
    assert "paged" in text(row)
    assert rows(row, "step-row")


def test_a_host_without_runs_says_so(runs_client: TestClient) -> None:
    page = runs_client.get("/hosts/metal-01")
    if page.status_code == 404:  # not in this small fleet: any host outside the runs will do
        listed = runs_client.get("/api/v1/hosts?bucket=bare-metal").json()
        page = runs_client.get(f"/hosts/{listed['hosts'][0]['hostname']}")
    assert by_testid(page.text, "host-runs-none") == ["No run has included this host."]


def test_the_bucket_page_shows_its_recent_runs(runs_client: TestClient, runs_store: Store) -> None:
    run = demo(runs_store)["stateless"]
    page = runs_client.get("/buckets/stateless").text
    listed = rows(page, "run-row")
    assert len(listed) == 1
    assert f'data-run="{run.id}"' in listed[0]
    assert 'href="/runs?bucket=stateless"' in page
    other = runs_client.get("/buckets/bare-metal").text
    assert by_testid(other, "runs-none") == ["No runs yet."]


PAGES = ["/", "/hosts", "/runs", "/buckets/databases", "/packages", "/cve"]


def test_the_andon_banner_is_on_every_page_while_halted(
    runs_client: TestClient, runs_store: Store
) -> None:
    for path in PAGES:
        assert 'data-testid="andon"' not in runs_client.get(path).text, path
    service.halt(runs_store, now=NOW, actor="token:oncall", reason="INC-42: bad kernel")
    run = demo(runs_store)["databases"]
    for path in [*PAGES, f"/runs/{run.id}"]:
        page = runs_client.get(path)
        assert page.status_code == 200, path
        assert by_testid(page.text, "andon-reason") == ["INC-42: bad kernel"], path
        assert by_testid(page.text, "andon-actor") == ["token:oncall"], path
        assert by_testid(page.text, "andon-at") == ["2026-11-27 10:00 UTC"], path
    assert 'data-testid="andon"' not in runs_client.get("/login").text  # no reason for anyone
    service.unhalt(runs_store, now=NOW, actor="token:oncall")
    assert 'data-testid="andon"' not in runs_client.get("/runs").text


def test_hostile_text_is_escaped_everywhere_it_is_shown(
    runs_client: TestClient, runs_store: Store
) -> None:
    service.halt(runs_store, now=NOW, actor="token:<b>x</b>", reason=HOSTILE)
    run = demo(runs_store)["k8s-nodes"]
    service.cancel_run(runs_store, run.id, now=NOW, actor="token:oncall", reason=HOSTILE)
    for path in ["/", "/runs", f"/runs/{run.id}", "/buckets/k8s-nodes"]:
        body = runs_client.get(path).text
        assert "<script>" not in body, path
        assert "<b>x</b>" not in body, path
        assert "&lt;script&gt;alert(&#39;halt&#39;)&lt;/script&gt; &amp; &#34;quotes&#34;" in body
    assert by_testid(runs_client.get("/runs").text, "andon-reason") == [HOSTILE]


def test_an_unknown_run_is_a_404_page_that_suggests(
    runs_client: TestClient, runs_store: Store
) -> None:
    run = demo(runs_store)["databases"]
    page = runs_client.get(f"/runs/{run.id[:-1]}")
    assert page.status_code == 404
    assert f"did you mean {run.id!r}" in html.unescape(page.text)
