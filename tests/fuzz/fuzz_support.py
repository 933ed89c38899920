"""What the fuzz tests share: one bounded Hypothesis profile, and the served app's handle.

The profile is bounded and derandomized, so a run here and a run in CI draw the same cases and
the whole suite takes seconds; for a longer hunt, `FLEETPATCH_FUZZ_EXAMPLES=500` raises the count
and `FLEETPATCH_FUZZ_PROFILE=fuzz-hunt` draws new cases each run (`--hypothesis-seed` to replay).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from fleetpatch.policy.records import Policy
from fleetpatch.store import Store

settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FLEETPATCH_FUZZ_EXAMPLES", "20")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the shared store is the point
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
settings.register_profile("fuzz-hunt", settings.get_profile("fuzz"), derandomize=False)
FUZZ = settings.get_profile(os.environ.get("FLEETPATCH_FUZZ_PROFILE", "fuzz"))


class ErrorLog(logging.Handler):
    """Keeps the server's logged exceptions, so a 5xx names the traceback behind it."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter().format(record))


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@dataclass
class Served:
    store: Store
    policy: Policy
    client: TestClient
    reporter: str
    errors: ErrorLog
