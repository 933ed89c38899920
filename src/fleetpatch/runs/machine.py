"""The run state machine and a host's step plan (pure).

`transition(state, event)` is the only way a run changes state; an event that does not apply to
the state raises `TransitionError` (a user asking to resume a finished run gets one line, exit 2).

`host_steps(bucket, reboot=...)` freezes what a host will go through: the pre gates, the
strategy's steps, the post gates, then `verify`. Each step carries its deadline, so nothing a run
waits for can wait forever.
"""

from __future__ import annotations

from collections.abc import Mapping

from fleetpatch.errors import InputError
from fleetpatch.policy.records import STRATEGY_STEPS, Bucket
from fleetpatch.runs.records import HostState, RunState, StepSpec

RunEvent = str

# (state, event) -> new state.
RUN_TRANSITIONS: Mapping[tuple[str, str], RunState] = {
    ("planned", "start"): "running",
    ("planned", "halt"): "halted",
    ("running", "halt"): "halted",
    ("halted", "unhalt"): "running",
    ("running", "stop"): "stopped",
    ("running", "finish"): "finished",
    ("stopped", "resume"): "running",
    ("planned", "cancel"): "cancelled",
    ("running", "cancel"): "cancelled",
    ("halted", "cancel"): "cancelled",
    ("stopped", "cancel"): "cancelled",
}

# The host's state while a strategy step runs.
STEP_PHASES: Mapping[str, HostState] = {
    "cordon": "upgrading",
    "drain": "upgrading",
    "upgrade": "upgrading",
    "launch": "upgrading",
    "manual": "upgrading",
    "reboot": "rebooting",
    "health-check": "post_check",
    "uncordon": "post_check",
    "retire": "post_check",
}
# Steps that disrupt service: blockers and the window's end are checked right before them.
DISRUPTIVE_STEPS = frozenset({"drain", "reboot", "retire"})
VERIFY_STEP = "verify"


class TransitionError(InputError):
    """An event that does not apply to the run's state (resume a finished run, say)."""


def transition(state: str, event: RunEvent) -> RunState:
    try:
        return RUN_TRANSITIONS[(state, event)]
    except KeyError:
        allowed = sorted(e for (s, e) in RUN_TRANSITIONS if s == state)
        can = f"; a {state} run can: {', '.join(allowed)}" if allowed else f"; {state} is final"
        raise TransitionError(f"cannot {event} a {state} run{can}") from None


def host_steps(bucket: Bucket, *, reboot: bool, verify: bool | None = None) -> tuple[StepSpec, ...]:
    """The steps of one host of `bucket`, in order, with their deadlines and commands."""
    steps = [
        StepSpec(g.name, "gate", "pre_check", g.timeout_seconds, g.command)
        for g in bucket.gates
        if g.phase == "pre"
    ]
    for name in STRATEGY_STEPS[bucket.strategy]:
        if name == "reboot" and not reboot:
            continue
        steps.append(
            StepSpec(
                name,
                "step",
                STEP_PHASES[name],
                step_timeout(bucket, name),
                bucket.steps.get(name, ()),
                name in DISRUPTIVE_STEPS,
            )
        )
    steps += [
        StepSpec(g.name, "gate", "post_check", g.timeout_seconds, g.command)
        for g in bucket.gates
        if g.phase == "post"
    ]
    if bucket.verify == "report" if verify is None else verify:
        steps.append(StepSpec(VERIFY_STEP, "verify", "verifying", bucket.timeouts.verify))
    return tuple(steps)


def step_timeout(bucket: Bucket, name: str) -> int:
    if name == "reboot":
        return bucket.reboot_timeout_seconds
    if name == "health-check":
        return bucket.timeouts.health
    return bucket.timeouts.upgrade
