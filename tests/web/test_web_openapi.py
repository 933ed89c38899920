"""The OpenAPI document tells the truth, checked two ways: its declarations directly, and
schemathesis (from PyPI) calling a real `uvicorn` server with cases generated from the document
itself, checking that every answer is declared, matches its schema, and is never a 5xx.

The schemathesis run is bounded (a fixed number of examples per operation, derandomised so a
failure reproduces) and runs with auth on and an operator token, so every operation, writes
included, is reachable.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance
from web_support import NOW, Tokens, bearer

from fleetpatch.app.tokens import create_token
from fleetpatch.inventory.schema import report_json_schema
from fleetpatch.policy.records import Policy
from fleetpatch.settings import Settings
from fleetpatch.store import open_store
from fleetpatch.versions import KNOWN_ECOSYSTEMS
from fleetpatch.web.app import create_app

EXAMPLES = 30
CROSS_FIELD_RULES = frozenset({"GET /api/v1/hosts", "POST /api/v1/reports"})


def test_openapi_needs_a_reader_when_auth_is_on(auth_client: TestClient, tokens: Tokens) -> None:
    assert auth_client.get("/openapi.json").status_code == 401
    assert auth_client.get("/openapi.json", headers=bearer(tokens.reporter)).status_code == 403
    spec = auth_client.get("/openapi.json", headers=bearer(tokens.viewer))
    assert spec.status_code == 200
    assert spec.json()["openapi"].startswith("3.")


def test_openapi_declares_bodies_statuses_and_bearer(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearer"]["description"],
    }
    post = spec["paths"]["/api/v1/reports"]["post"]
    assert {"200", "201", "400", "401", "403", "413", "422"} <= set(post["responses"])
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/HostReport"} in body["oneOf"]
    report = spec["components"]["schemas"]["HostReport"]
    assert "hostname" in report["required"]
    assert post["security"] == [{"bearer": []}]  # a write is never anonymous
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "get":
                assert {"400", "401", "403", "404"} <= set(operation["responses"]), path
                assert operation["security"] == [{}, {"bearer": []}], path  # auth off: open
            for status, answer in operation["responses"].items():
                if path == "/api/v1/reports" and status == "422":
                    continue  # every report rejected: the ingest answer, with the reasons
                if status.startswith(("4", "5")):
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (path, status)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    rejected = post["responses"]["422"]["content"]["application/json"]["schema"]
    assert rejected == {"$ref": "#/components/schemas/IngestOut"}


def test_a_validation_error_answers_the_declared_shape(client: TestClient) -> None:
    answer = client.get("/api/v1/hosts", params={"limit": "many"})
    assert answer.status_code == 422
    assert set(answer.json()) == {"error", "status"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live(
    evaluated_db: Path, policy: Policy, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(base URL, operator token) of a real server, auth on, over a copy of the test store."""
    import uvicorn

    copy = tmp_path_factory.mktemp("openapi") / "fleet.db"
    shutil.copyfile(evaluated_db, copy)
    url = f"sqlite:///{copy}"
    store = open_store(url)
    _, operator = create_token(store, "schemathesis", "operator", now=NOW)
    app = create_app(Settings(db_url=url), store, policy, lambda: NOW, auth=True)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-openapi", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", operator
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


@pytest.fixture(scope="module")
def api_schema(live: tuple[str, str]) -> Any:
    base, operator = live
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json", headers=bearer(operator))
    schema.config.update(base_url=base)
    return schema


def test_the_api_does_what_its_document_says(api_schema: Any, live: tuple[str, str]) -> None:
    """Every operation, EXAMPLES generated cases each; the failures of all of them at once."""
    _, operator = live
    failures: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # Two rules no JSON Schema can state: the hosts filter takes package, version and
        # ecosystem together (else 400), and a report's versions must be valid under its
        # ecosystem's scheme (else 422, naming the field). Schema-valid requests that break them
        # are answered as declared; only the "schema-valid means accepted" heuristic is off.
        excluded = [positive_data_acceptance] if operation.label in CROSS_FIELD_RULES else []

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(
                headers=bearer(operator),
                timeout=60,
                excluded_checks=excluded,  # noqa: B023 (called before the loop moves on)
            )

        try:
            check()
        except (Exception, FailureGroup) as exc:  # collected: every operation is reported
            failures.append(f"{operation.label}: {str(exc)[:2000]}")
    assert operations >= 16
    assert failures == []


def test_the_published_ecosystem_pattern_is_the_known_list() -> None:
    pattern = report_json_schema()["properties"]["ecosystem"]["pattern"]
    assert all(re.fullmatch(r"[A-Za-z ]+", name) for name in KNOWN_ECOSYSTEMS)  # no escaping
    assert re.fullmatch(pattern, "Debian:12")
    assert re.fullmatch(pattern, "Rocky Linux")
    assert not re.fullmatch(pattern, "Debianish")
    assert not re.fullmatch(pattern, "0")
