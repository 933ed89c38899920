"""Failures nobody planned for: the documented JSON error, never a plain-text 500, and never a
failure reported for a report that was stored."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_support import NOW, Tokens, bearer, report_json

from fleetpatch.app import dashboard
from fleetpatch.policy.records import Policy
from fleetpatch.settings import Settings
from fleetpatch.store import HostRepository, Store
from fleetpatch.web import ingest
from fleetpatch.web.app import create_app


@pytest.fixture
def lenient(store: Store, policy: Policy) -> Iterator[TestClient]:
    """A client that gets the server's answer to an exception instead of the exception itself."""
    app = create_app(Settings(), store, policy, lambda: NOW, auth=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _boom(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("a bug nobody planned for")


def test_an_unexpected_exception_answers_the_documented_json_error(
    lenient: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(dashboard, "overview", _boom)
    with caplog.at_level(logging.ERROR, logger="fleetpatch.web.errors"):
        response = lenient.get("/api/v1/overview")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "error": "internal error; the server log has the details",
        "status": 500,
    }
    assert "a bug nobody planned for" not in response.text  # details stay in the log
    assert any("a bug nobody planned for" in (r.exc_text or "") for r in caplog.records)


def test_a_page_that_fails_unexpectedly_answers_the_error_page(
    lenient: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard, "overview", _boom)
    response = lenient.get("/")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "internal error" in response.text


def test_a_stored_report_is_201_even_when_its_reevaluation_fails(
    lenient: TestClient, store: Store, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "evaluate_host_now", _boom)
    posted = lenient.post(
        "/api/v1/reports", json=report_json("late-01"), headers=bearer(tokens.reporter)
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["hosts"] == ["late-01"]
    with store.session() as session:
        assert "late-01" in HostRepository(session).names()
