"""The simulated executor's host model: how long each step takes and how it ends (a named fake).

Deterministic from (seed, run, host, step, attempt), so a test or the demo can replay a run and
an interrupted run ends where an uninterrupted one does. A host fails one of its steps with the
bucket's `failure_rate`; with `hang_rate` a step never ends (the engine's deadline must catch it);
a reboot that never comes back is a hang of the `reboot` step. Nothing here touches a real host.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Ending = Literal["ok", "fail", "hang"]

# Typical seconds per step (virtual time), varied ±50 % per host.
TYPICAL_SECONDS: Mapping[str, float] = {
    "cordon": 5,
    "drain": 240,
    "upgrade": 420,
    "reboot": 150,
    "uncordon": 5,
    "launch": 240,
    "health-check": 90,
    "retire": 60,
    "manual": 1800,
    "verify": 30,
}
GATE_SECONDS = 20.0


@dataclass(frozen=True, slots=True)
class SimulatedHostModel:
    seed: int = 0
    failure_rate: Mapping[str, float] = field(default_factory=dict)  # per bucket, 0..1
    hang_rate: float = 0.0

    def _unit(self, *parts: object) -> float:
        digest = hashlib.sha256("\x1f".join(map(str, (self.seed, *parts))).encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def failing_step(self, bucket: str, host: str, steps: tuple[str, ...]) -> str | None:
        """The step at which this host fails (or None): one draw per host, not per step."""
        if not steps or self._unit("fail", bucket, host) >= self.failure_rate.get(bucket, 0.0):
            return None
        return steps[int(self._unit("which", bucket, host) * len(steps)) % len(steps)]

    def seconds(self, host: str, step: str, attempt: int) -> float:
        base = TYPICAL_SECONDS.get(step, GATE_SECONDS)
        return round(base * (0.5 + self._unit("time", host, step, attempt)), 1)

    def ending(
        self, bucket: str, host: str, step: str, attempt: int, steps: tuple[str, ...]
    ) -> Ending:
        if self.hang_rate and self._unit("hang", host, step, attempt) < self.hang_rate:
            return "hang"
        return "fail" if self.failing_step(bucket, host, steps) == step else "ok"
