"""The bucket page's forecast is computed once per evaluation (and hour), not per request, and
with the server's loaded catalog and advisory indexes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from fleetpatch.app.evaluate import evaluate_fleet
from fleetpatch.policy.records import Policy
from fleetpatch.store import Store
from fleetpatch.web import context as context_module


def test_the_forecast_is_computed_once_per_evaluation(
    client: TestClient, store: Store, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = context_module.bucket_forecast
    calls: list[tuple[str, bool]] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append((args[2], kwargs.get("upstream") is not None))
        return real(*args, **kwargs)

    monkeypatch.setattr(context_module, "bucket_forecast", counting)
    name = policy.buckets[0].name
    first = client.get(f"/buckets/{name}").text
    for _ in range(3):
        assert client.get(f"/buckets/{name}").text == first
    assert client.get(f"/api/v1/buckets/{name}?forecast=true").json()["forecast"] is not None
    assert calls == [(name, True)]  # once, with the loaded indexes
    context = client.app.state.fleetpatch  # type: ignore[attr-defined]
    evaluate_fleet(store, policy, now=context.clock())  # a new evaluation: a new forecast
    client.get(f"/buckets/{name}")
    assert calls == [(name, True), (name, True)]
