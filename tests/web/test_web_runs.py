"""`/api/v1/runs` and the halt over HTTP: reads for viewers, actions for operators only, and the
audit log names the token that acted."""

from __future__ import annotations

from fastapi.testclient import TestClient
from web_support import Tokens

from fleetpatch.orchestrate.service import audit_entries
from fleetpatch.store import Store


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


START = {
    "bucket": "databases",
    "executor": "simulated",
    "override_window": True,
    "reason": "CVE-2026-0001, approved by the on-call lead",
}


def test_an_operator_starts_a_run_and_a_viewer_reads_it(
    auth_client: TestClient, tokens: Tokens, store: Store
) -> None:
    made = auth_client.post("/api/v1/runs", json=START, headers=_auth(tokens.operator))
    assert made.status_code == 201, made.text
    run_id = made.json()["id"]
    listed = auth_client.get("/api/v1/runs", headers=_auth(tokens.viewer))
    assert [r["id"] for r in listed.json()] == [run_id]
    shown = auth_client.get(f"/api/v1/runs/{run_id}", headers=_auth(tokens.viewer)).json()
    assert (shown["bucket"], shown["state"], shown["simulated"]) == ("databases", "planned", True)
    created = [a for a in audit_entries(store) if a["action"] == "run.create"]
    assert created[0]["actor"] == "token:test-operator"


def test_actions_need_an_operator_token(auth_client: TestClient, tokens: Tokens) -> None:
    assert auth_client.post("/api/v1/runs", json=START).status_code == 401
    denied = auth_client.post("/api/v1/runs", json=START, headers=_auth(tokens.viewer))
    assert denied.status_code == 403
    assert "this needs operator" in denied.json()["error"]
    denied = auth_client.post("/api/v1/halt", json={"reason": "x"}, headers=_auth(tokens.reporter))
    assert denied.status_code == 403


def test_halt_and_unhalt_over_http(auth_client: TestClient, tokens: Tokens, store: Store) -> None:
    op = _auth(tokens.operator)
    halted = auth_client.post("/api/v1/halt", json={"reason": "INC-9"}, headers=op)
    assert halted.json()["halted"] is True
    assert auth_client.get("/api/v1/halt", headers=_auth(tokens.viewer)).json()["reason"] == "INC-9"
    assert auth_client.delete("/api/v1/halt", headers=op).json() == {"halted": False}
    actions = [(a["action"], a["actor"]) for a in audit_entries(store)]
    assert ("halt", "token:test-operator") in actions
    assert ("unhalt", "token:test-operator") in actions


def test_an_unknown_run_is_a_json_404(auth_client: TestClient, tokens: Tokens) -> None:
    found = auth_client.get("/api/v1/runs/run-nope", headers=_auth(tokens.viewer))
    assert found.status_code == 404
    assert found.json()["error"].startswith("no run 'run-nope'")
    bad = auth_client.post(
        "/api/v1/runs", json={**START, "reason": ""}, headers=_auth(tokens.operator)
    )
    assert bad.status_code == 400
    assert "--override-window needs --reason" in bad.json()["error"]
