"""What a run may do next: rate control, waves, the error budget and the window (pure).

`decide(view)` looks at one run as the store holds it and says which hosts may start now, which
in-flight hosts may take their next step, and whether the run changes state. The engine carries
that out; because the counts come from the store, a limit holds across every worker.

- `max_concurrency` is never exceeded: hosts in flight (started, not finished) across all
  workers plus the ones started now are at most `limit`.
- Waves run in order: a host of wave N+1 starts only once every host of wave N has finished.
- The error budget: the run stops at failure number `allowed + 1` (failed and blocked hosts
  count; failures an operator forgave by resuming do not). A wave of two or more hosts, or a
  canary wave, in which every host failed stops the run whatever the budget.
- New hosts start only while the window is open and before its cutoff (or with an override).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fleetpatch.runs.records import ERROR_HOST_STATES, TERMINAL_HOST_STATES


@dataclass(frozen=True, slots=True)
class HostView:
    host: str
    wave: int
    state: str
    canary: bool = False

    @property
    def in_flight(self) -> bool:
        return self.state != "queued" and self.state not in TERMINAL_HOST_STATES

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_HOST_STATES


@dataclass(frozen=True, slots=True)
class WindowView:
    """Where the run stands against its bucket's windows at the time of the decision."""

    open_for_new: bool  # inside a window and before its cutoff (or overridden)
    in_window: bool  # inside a window at all
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RunView:
    state: str
    hosts: Sequence[HostView]
    limit: int
    allowed_errors: int
    forgiven_errors: int = 0
    halted: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    event: str | None  # a run event to apply first: start, halt, unhalt, stop, finish
    reason: str
    start: tuple[str, ...]  # queued hosts to start now
    advance: tuple[str, ...]  # in-flight hosts that may take their next step


NOTHING = Decision(None, "", (), ())


def decide(run: RunView, window: WindowView) -> Decision:
    if run.state in ("finished", "cancelled"):
        return NOTHING
    if run.halted:
        if run.state in ("running", "planned"):
            return Decision("halt", "the fleet is halted", (), ())
        return NOTHING
    state, event, reason = run.state, None, ""
    if state == "halted":
        state, event, reason = "running", "unhalt", "the halt was lifted"
    elif state == "planned":
        state, event, reason = "running", "start", "run started"
    in_flight = [h for h in run.hosts if h.in_flight]
    advance = tuple(sorted(h.host for h in in_flight))
    if state == "running":
        stop = stop_reason(run)
        if stop:
            return Decision("stop", stop, (), advance)
        if all(h.terminal for h in run.hosts):
            return Decision("finish", "every host finished", (), ())
    if state != "running" or not window.open_for_new:
        return Decision(event, reason, (), advance)
    return Decision(event, reason, _starts(run, len(in_flight)), advance)


def stop_reason(run: RunView) -> str:
    errors = sum(1 for h in run.hosts if h.state in ERROR_HOST_STATES) - run.forgiven_errors
    if errors > run.allowed_errors:
        return f"error budget spent: {errors} failed host(s), max_errors {run.allowed_errors}"
    for wave in sorted({h.wave for h in run.hosts}):
        hosts = [h for h in run.hosts if h.wave == wave]
        sized = len(hosts) >= 2 or any(h.canary for h in hosts)
        if sized and all(h.state in ERROR_HOST_STATES for h in hosts):
            return f"every host of wave {wave} failed"
    return ""


def _starts(run: RunView, in_flight: int) -> tuple[str, ...]:
    room = run.limit - in_flight
    open_waves = [h.wave for h in run.hosts if not h.terminal]
    if room <= 0 or not open_waves:
        return ()
    wave = min(open_waves)
    queued = sorted(h.host for h in run.hosts if h.wave == wave and h.state == "queued")
    return tuple(queued[:room])


def error_budget_text(allowed: int) -> str:
    return f"stops at failure {allowed + 1}"
