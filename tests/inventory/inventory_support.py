"""Shared helpers for the inventory tests: fixture paths and the oracle-tool rule.

A test that needs a real tool (dpkg-query, rpm) skips when the tool is missing, unless
FLEETPATCH_REQUIRE_ORACLES=1 (CI), where a missing tool is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

HOSTS = Path(__file__).resolve().parents[1] / "data" / "hosts"
GOLDEN = HOSTS / "golden"


def require_tool(name: str) -> str:
    """The tool's path; skip (or fail under FLEETPATCH_REQUIRE_ORACLES=1) when it is absent."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if os.environ.get("FLEETPATCH_REQUIRE_ORACLES") == "1":
            pytest.fail(f"{message} and FLEETPATCH_REQUIRE_ORACLES=1")
        pytest.skip(message)
    return path
