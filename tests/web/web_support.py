"""Shared constants and helpers of the web tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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
