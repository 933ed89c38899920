"""How fresh the cached fleet figures are: writes through the server and new evaluations show at
once; writes by another process show once the TTL has passed and a background scan has run."""

from __future__ import annotations

import time

import orjson
from fastapi.testclient import TestClient
from web_support import NOW, Tokens, bearer, report_json

from fleetpatch.app.evaluate import evaluate_fleet, evaluate_host_now
from fleetpatch.app.ingest import Source, ingest
from fleetpatch.policy.records import Policy
from fleetpatch.store import Store


def hosts(client: TestClient) -> int:
    return int(client.get("/api/v1/overview").json()["fleet"]["hosts"])


def test_a_report_posted_here_shows_at_once(client: TestClient, tokens: Tokens) -> None:
    before = hosts(client)
    headers = bearer(tokens.reporter)
    assert (
        client.post("/api/v1/reports", json=report_json("f-01"), headers=headers).status_code == 201
    )
    assert hosts(client) == before + 1


def test_a_new_evaluation_shows_at_once(client: TestClient, store: Store, policy: Policy) -> None:
    before = hosts(client)
    body = orjson.dumps(report_json("f-02"))
    ingest(store, [Source.from_bytes("elsewhere", body)], now=NOW)  # another process, in effect
    assert hosts(client) == before  # cached: the server did not see this write
    evaluate_fleet(store, policy, now=NOW)
    assert hosts(client) == before + 1


def test_other_writers_show_after_the_ttl(client: TestClient, store: Store) -> None:
    context = client.app.state.fleetpatch  # type: ignore[attr-defined]
    before = hosts(client)
    ingest(store, [Source.from_bytes("elsewhere", orjson.dumps(report_json("f-03")))], now=NOW)
    evaluate_host_now(store, context.policy, "f-03", now=NOW)
    assert hosts(client) == before
    context.figures_ttl = 0.0
    # Past the TTL the old figures are served while one background scan refreshes them.
    deadline = time.monotonic() + 10
    while hosts(client) != before + 1:
        assert time.monotonic() < deadline, "the figures never caught up"
        time.sleep(0.05)
