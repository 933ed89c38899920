"""Shared constants and helpers of the web tests."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetpatch.inventory.schema import report_to_dict
from fleetpatch.simulate.fleet import generate_fleet

DATA = Path(__file__).resolve().parents[1] / "data"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
HOSTS = 60


@dataclass(frozen=True)
class Tokens:
    viewer: str
    reporter: str
    operator: str


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def report_json(hostname: str, *, seed: int = 11, hours: int = 1) -> dict[str, object]:
    """A real generated report (JSON-ready) renamed to `hostname`, collected after NOW."""
    base = next(iter(generate_fleet(1, seed=seed, now=NOW + timedelta(hours=hours))))
    data = report_to_dict(base)
    data["hostname"] = hostname
    return data


def require_tool(name: str) -> str:
    """The oracle tool's path; skip when it is absent, fail under FLEETPATCH_REQUIRE_ORACLES=1."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if os.environ.get("FLEETPATCH_REQUIRE_ORACLES") == "1":
            pytest.fail(f"{message} and FLEETPATCH_REQUIRE_ORACLES=1")
        pytest.skip(message)
    return path
