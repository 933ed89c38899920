"""The server over each store backend (SQLite; PostgreSQL when FLEETPATCH_TEST_PG is set): the
pages, the API, /metrics and ingest answer the same way."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_support import NOW, bearer, report_json

from fleetpatch.app.evaluate import evaluate_fleet
from fleetpatch.app.ingest import Source, ingest
from fleetpatch.app.tokens import create_token
from fleetpatch.policy.records import Policy
from fleetpatch.settings import Settings
from fleetpatch.simulate.fleet import fleet_to_ndjson, generate_fleet
from fleetpatch.store import Store, open_store
from fleetpatch.web.app import create_app

HOSTS = 12


@pytest.fixture
def backend_store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.close()


def test_the_server_on_every_backend(backend_store: Store, policy: Policy) -> None:
    body = b"".join(fleet_to_ndjson(generate_fleet(HOSTS, seed=21, now=NOW)))
    ingest(backend_store, [Source.from_bytes("fleet", body)], now=NOW)
    evaluate_fleet(backend_store, policy, now=NOW)
    _, secret = create_token(backend_store, "ci", "reporter", now=NOW)
    app = create_app(Settings(), backend_store, policy, lambda: NOW)
    with TestClient(app) as client:
        assert client.get("/api/v1/overview").json()["fleet"]["hosts"] == HOSTS
        assert re.search(rf'data-testid="hosts-total">{HOSTS}<', client.get("/hosts").text)
        page = client.get("/api/v1/hosts?q=-0&sort=uptime&limit=5").json()
        assert all("-0" in h["hostname"] for h in page["hosts"])
        name = page["hosts"][0]["hostname"]
        assert client.get(f"/hosts/{name}").status_code == 200
        metrics = client.get("/metrics").text
        assert re.search(r"^fleetpatch_hosts\{", metrics, re.M)
        posted = client.post("/api/v1/reports", json=report_json("pg-01"), headers=bearer(secret))
        assert posted.status_code == 201, posted.text
        assert client.get("/api/v1/overview").json()["fleet"]["hosts"] == HOSTS + 1
