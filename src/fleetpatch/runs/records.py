"""What a run is made of: its states, its hosts' states and the record of every step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

RunState = Literal["planned", "running", "stopped", "halted", "finished", "cancelled"]
RUN_STATES: tuple[RunState, ...] = (
    "planned",
    "running",
    "stopped",
    "halted",
    "finished",
    "cancelled",
)
# A run in one of these may still take steps (halted ones once the halt is lifted).
LIVE_RUN_STATES: frozenset[str] = frozenset({"planned", "running", "halted"})

HostState = Literal[
    "queued",
    "pre_check",
    "upgrading",
    "rebooting",
    "post_check",
    "verifying",
    "done",
    "failed",
    "blocked",
    "replaced",
    "skipped",
]
HOST_STATES: tuple[HostState, ...] = get_args(HostState)
TERMINAL_HOST_STATES: frozenset[str] = frozenset(
    {"done", "failed", "blocked", "replaced", "skipped"}
)
# Terminal states that count against a run's error budget.
ERROR_HOST_STATES: frozenset[str] = frozenset({"failed", "blocked"})

StepKind = Literal["gate", "step", "verify"]
# `running`: started and not yet recorded as ended (a crash leaves it so; the resume marks it
# `interrupted` and runs the step again as the next attempt).
StepOutcome = Literal["running", "ok", "failed", "timeout", "interrupted", "skipped"]


@dataclass(frozen=True, slots=True)
class StepSpec:
    """One step of a host's plan, frozen into the run at creation.

    `phase` is the host's state while the step runs; `disruptive` steps (drain, reboot, retire)
    are the ones blockers and the window's end are checked against right before they start.
    """

    name: str
    kind: StepKind
    phase: HostState
    timeout_seconds: int
    argv: tuple[str, ...] = ()
    disruptive: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "phase": self.phase,
            "timeout_seconds": self.timeout_seconds,
            "argv": list(self.argv),
            "disruptive": self.disruptive,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StepSpec:
        return cls(
            name=str(data["name"]),
            kind=data["kind"],
            phase=data["phase"],
            timeout_seconds=int(data["timeout_seconds"]),
            argv=tuple(str(a) for a in data.get("argv", ())),
            disruptive=bool(data.get("disruptive", False)),
        )


@dataclass(frozen=True, slots=True)
class StepRecord:
    name: str
    outcome: StepOutcome
    attempt: int
    started_at: datetime
    finished_at: datetime | None
    message: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)
