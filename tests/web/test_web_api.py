"""The JSON API in-process: figures agree with the store, errors are JSON with the right status,
pagination is total, and a posted report moves its host's row at once."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from web_support import HOSTS, NOW, Tokens, bearer, report_json

from fleetpatch.store import Store
from fleetpatch.store.evaluations import EvaluationRepository


def test_overview_matches_the_store_rollups(client: TestClient, store: Store) -> None:
    body = client.get("/api/v1/overview").json()
    with store.session() as session:
        fleet = EvaluationRepository(session).rollups("fleet")[0]
    assert body["fleet"]["hosts"] == HOSTS == fleet.hosts
    assert body["fleet"]["pending_reboot"] == fleet.pending_reboot
    assert body["fleet"]["critical_or_high"] == fleet.critical_or_high > 0
    assert sum(b["hosts"] for b in body["buckets"]) == HOSTS
    names = [b["key"] for b in body["buckets"]]
    assert {"k8s-nodes", "databases", "stateless", "bare-metal"} <= set(names)
    assert body["evaluation"]["hosts"] == HOSTS
    assert [p["day"] for p in body["trend"]] == [NOW.date().isoformat()]


def test_buckets_carry_their_owner_and_next_window(client: TestClient) -> None:
    buckets = {b["key"]: b for b in client.get("/api/v1/overview").json()["buckets"]}
    k8s = buckets["k8s-nodes"]
    assert k8s["owner"] == "platform"
    assert k8s["next_window"]["start"] > NOW.isoformat().replace("+00:00", "Z")[:10]


def test_bucket_detail(client: TestClient) -> None:
    body = client.get("/api/v1/buckets/databases").json()
    assert body["owner"] == "dba"
    assert body["contacts"]["chat"] == "#dba"
    assert body["strategy"] == "in-place-gated"
    assert sum(body["by_update_state"].values()) == body["rollup"]["hosts"] > 0
    assert len(body["next_windows"]) == 3
    assert body["forecast"] is None  # planning costs seconds: only on request


def test_bucket_forecast_on_request(client: TestClient) -> None:
    body = client.get("/api/v1/buckets/databases?forecast=true").json()
    forecast = body["forecast"]
    assert 0 < forecast["hosts"] <= body["rollup"]["hosts"]
    assert forecast["waves"] >= 1
    assert forecast["fully_patched_by"] is None or forecast["fully_patched_by"] > "2026-11-27"


def test_every_host_appears_on_exactly_one_page(client: TestClient) -> None:
    seen: list[str] = []
    url: str | None = "/api/v1/hosts?limit=7&sort=uptime"
    while url:
        page = client.get(url).json()
        assert page["total"] == HOSTS
        seen += [h["hostname"] for h in page["hosts"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == HOSTS


def test_sorts_put_the_worst_first(client: TestClient) -> None:
    hosts = client.get("/api/v1/hosts?sort=days_behind&limit=500").json()["hosts"]
    days = [h["days_behind"] for h in hosts]  # each host: its oldest missing update
    assert days == sorted(days, reverse=True)
    uptimes = [h["uptime_days"] for h in client.get("/api/v1/hosts?sort=uptime").json()["hosts"]]
    assert uptimes[0] == max(u for u in uptimes if u is not None)
    worst = client.get("/api/v1/hosts?sort=severity&limit=1").json()["hosts"][0]
    assert worst["worst_severity"] in ("critical", "high")


def test_filters_combine(client: TestClient) -> None:
    page = client.get("/api/v1/hosts?bucket=k8s-nodes&state=pending_reboot&limit=500").json()
    assert page["total"] == len(page["hosts"]) > 0
    assert all(
        h["bucket"] == "k8s-nodes" and h["reboot"] == "pending_reboot" for h in page["hosts"]
    )
    unclassified = client.get("/api/v1/hosts?bucket=(none)").json()
    assert all(h["bucket"] is None for h in unclassified["hosts"])


def test_free_text_is_literal(client: TestClient) -> None:
    assert client.get("/api/v1/hosts?q=db-").json()["total"] > 0
    assert client.get("/api/v1/hosts?q=%25").json()["total"] == 0  # '%' is not a wildcard
    assert client.get("/api/v1/hosts?q=_").json()["total"] == 0


def test_host_detail_lists_packages_advisories_and_history(client: TestClient) -> None:
    worst = client.get("/api/v1/hosts?sort=severity&limit=1").json()["hosts"][0]["hostname"]
    body = client.get(f"/api/v1/hosts/{worst}").json()
    assert body["status"]["worst_severity"] in ("critical", "high")
    assert body["vulnerable"]
    finding = body["vulnerable"][0]["findings"][0]
    assert finding["advisory_id"].startswith("ALSA-")
    assert finding["fixed_version"]
    assert len(body["history"]) == 1
    debian = client.get("/api/v1/hosts?ecosystem=Debian:12&sort=days_behind&limit=1").json()
    detail = client.get(f"/api/v1/hosts/{debian['hosts'][0]['hostname']}").json()
    assert detail["outdated"]
    assert detail["outdated"][0]["candidate"]
    assert detail["outdated"][0]["days_behind"] >= detail["outdated"][-1]["days_behind"]


def test_errors_are_json_with_the_right_status(client: TestClient) -> None:
    missing = client.get("/api/v1/hosts/no-such-host")
    assert missing.status_code == 404
    assert missing.json() == {"error": "no host 'no-such-host'", "status": 404}
    bad_sort = client.get("/api/v1/hosts?sort=color")
    assert bad_sort.status_code == 400
    assert "sort" in bad_sort.json()["error"]
    bad_state = client.get("/api/v1/hosts?state=sleepy")
    assert bad_state.status_code == 400
    assert "state" in bad_state.json()["error"]
    bad_limit = client.get("/api/v1/hosts?limit=0")
    assert bad_limit.status_code == 422
    assert "limit" in bad_limit.json()["error"]
    assert client.get("/api/v1/buckets/nope").status_code == 404


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/api/v1/overview", "/api/v1/hosts", "/api/v1/hosts/{hostname}"} <= paths
    assert "post" in spec["paths"]["/api/v1/reports"]
    assert "/" not in paths  # pages are not API


def test_posted_report_moves_the_host_at_once(client: TestClient, tokens: Tokens) -> None:
    before = client.get("/api/v1/overview").json()["fleet"]["hosts"]
    posted = client.post(
        "/api/v1/reports", json=report_json("new-01"), headers=bearer(tokens.reporter)
    )
    assert posted.status_code == 201, posted.text
    assert posted.json() == {"stored": 1, "duplicates": 0, "rejected": [], "hosts": ["new-01"]}
    assert client.get("/api/v1/overview").json()["fleet"]["hosts"] == before + 1
    assert client.get("/api/v1/hosts/new-01").json()["status"]["hostname"] == "new-01"
    again = client.post(
        "/api/v1/reports", json=report_json("new-01"), headers=bearer(tokens.reporter)
    )
    assert again.status_code == 200
    assert again.json()["duplicates"] == 1


def test_rejected_report_says_why(client: TestClient, tokens: Tokens) -> None:
    bad = report_json("bad-01")
    del bad["packages"]
    response = client.post(
        "/api/v1/reports", content=json.dumps(bad), headers=bearer(tokens.operator)
    )
    assert response.status_code == 422
    assert "packages" in response.json()["rejected"][0]
    assert client.get("/api/v1/hosts/bad-01").status_code == 404


def test_oversized_body_is_refused(client: TestClient, tokens: Tokens) -> None:
    client.app.state.fleetpatch.max_report_bytes = 1000  # type: ignore[attr-defined]
    response = client.post(
        "/api/v1/reports", json=report_json("big-01"), headers=bearer(tokens.reporter)
    )
    assert response.status_code == 413


def test_a_store_failure_is_a_json_503_not_a_dropped_connection(
    client: TestClient, store: Store
) -> None:
    from sqlalchemy import text

    with store.session(write=True) as session:
        session.execute(text("DROP TABLE history_points"))
    response = client.get("/api/v1/trends/fleet")
    assert response.status_code == 503
    assert response.json()["error"].startswith("store error: ")
    assert "history_points" in response.json()["error"]


def test_a_posted_empty_array_is_400_and_stores_nothing(client: TestClient, tokens: Tokens) -> None:
    before = client.get("/api/v1/overview").json()["fleet"]["hosts"]
    posted = client.post("/api/v1/reports", content=b"[]", headers=bearer(tokens.reporter))
    assert posted.status_code == 400
    assert posted.json() == {"error": "no reports in request", "status": 400}
    assert client.get("/api/v1/overview").json()["fleet"]["hosts"] == before
