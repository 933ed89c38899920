"""Shared fixtures for the advisories tests: paths to real data and a small record builder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fleetpatch.advisories import AdvisoryIndex, build_index, load_advisories

DATA = Path(__file__).resolve().parents[1] / "data" / "advisories"
ALMA_ZIP = DATA / "AlmaLinux-osv-database.zip"


def make_osv(
    ident: str, ecosystem: str, package: str, *events: dict[str, str], **extra: Any
) -> dict[str, Any]:
    """A minimal OSV record with one affected entry and one ECOSYSTEM range."""
    versions = extra.pop("versions", None)
    entry: dict[str, Any] = {
        "package": {"ecosystem": ecosystem, "name": package},
        "ranges": [{"type": "ECOSYSTEM", "events": list(events)}],
    }
    if versions is not None:
        entry["versions"] = versions
    return {"id": ident, "modified": "2026-01-01T00:00:00Z", "affected": [entry], **extra}


@pytest.fixture
def osv() -> Callable[..., dict[str, Any]]:
    """The `make_osv` builder, as a fixture so test modules need no imports from conftest."""
    return make_osv


@pytest.fixture(scope="session")
def alma_index() -> AdvisoryIndex:
    result = load_advisories([ALMA_ZIP])
    return build_index(result.records)


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[str, object], Path]:
    import json

    def write(name: str, data: object) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))
        return path

    return write
