"""The run state machine and rate decisions as tables: inputs in, decision out, no I/O."""

from __future__ import annotations

import pytest

from fleetpatch.policy.records import Bucket, Gate, Timeouts, Window
from fleetpatch.runs.machine import TransitionError, host_steps, transition
from fleetpatch.runs.rate import HostView, RunView, WindowView, decide

OPEN = WindowView(True, True)
CLOSED = WindowView(False, False, "outside the window")


@pytest.mark.parametrize(
    ("state", "event", "after"),
    [
        ("planned", "start", "running"),
        ("running", "halt", "halted"),
        ("halted", "unhalt", "running"),
        ("running", "stop", "stopped"),
        ("stopped", "resume", "running"),
        ("running", "finish", "finished"),
        ("stopped", "cancel", "cancelled"),
    ],
)
def test_transitions(state: str, event: str, after: str) -> None:
    assert transition(state, event) == after


def test_an_event_that_does_not_apply_is_one_clear_error() -> None:
    with pytest.raises(TransitionError, match=r"cannot resume a finished run; finished is final"):
        transition("finished", "resume")
    with pytest.raises(TransitionError, match=r"a running run can: cancel, finish, halt, stop"):
        transition("running", "resume")


def _hosts(*states: str, wave: int = 1) -> list[HostView]:
    return [HostView(f"h{i}", wave, s) for i, s in enumerate(states)]


@pytest.mark.parametrize(
    ("states", "limit", "start"),
    [
        (("queued",) * 5, 2, ("h0", "h1")),
        (("pre_check", "queued", "queued"), 2, ("h1",)),
        (("upgrading", "rebooting", "queued"), 2, ()),
        (("done", "done", "queued"), 1, ("h2",)),
    ],
)
def test_starts_never_exceed_the_concurrency_limit(
    states: tuple[str, ...], limit: int, start: tuple[str, ...]
) -> None:
    decision = decide(RunView("running", _hosts(*states), limit, 10), OPEN)
    assert decision.start == start


def test_a_later_wave_waits_for_the_earlier_one() -> None:
    hosts = [HostView("a", 1, "upgrading"), HostView("b", 2, "queued")]
    assert decide(RunView("running", hosts, 5, 0), OPEN).start == ()
    hosts = [HostView("a", 1, "done"), HostView("b", 2, "queued")]
    assert decide(RunView("running", hosts, 5, 0), OPEN).start == ("b",)


@pytest.mark.parametrize(
    ("failed", "allowed", "forgiven", "stops"),
    [(0, 0, 0, False), (1, 0, 0, True), (2, 2, 0, False), (3, 2, 0, True), (3, 2, 1, False)],
)
def test_the_error_budget_stops_at_error_max_errors_plus_one(
    failed: int, allowed: int, forgiven: int, stops: bool
) -> None:
    hosts = [HostView(f"f{i}", i + 1, "failed") for i in range(failed)]
    hosts.append(HostView("q", 99, "queued"))
    decision = decide(RunView("running", hosts, 1, allowed, forgiven), OPEN)
    assert (decision.event == "stop") is stops


def test_an_all_fail_wave_stops_even_with_budget_left_and_blocked_counts_as_failed() -> None:
    hosts = [HostView("a", 1, "failed"), HostView("b", 1, "blocked"), HostView("c", 2, "queued")]
    decision = decide(RunView("running", hosts, 2, 100), OPEN)
    assert (decision.event, decision.reason) == ("stop", "every host of wave 1 failed")


def test_a_failed_canary_alone_stops_the_run() -> None:
    hosts = [HostView("c", 1, "failed", canary=True), HostView("x", 2, "queued")]
    assert decide(RunView("running", hosts, 2, 5), OPEN).event == "stop"
    hosts = [HostView("c", 1, "failed"), HostView("x", 2, "queued")]  # a lone non-canary
    assert decide(RunView("running", hosts, 2, 5), OPEN).event is None


def test_a_stopping_run_lets_its_in_flight_hosts_finish() -> None:
    hosts = [HostView("a", 1, "failed"), HostView("b", 1, "rebooting"), HostView("c", 2, "queued")]
    decision = decide(RunView("running", hosts, 2, 0), OPEN)
    assert decision.event == "stop"
    assert decision.advance == ("b",)
    assert decision.start == ()


def test_closed_window_starts_nothing_but_in_flight_hosts_go_on() -> None:
    hosts = [HostView("a", 1, "upgrading"), HostView("b", 1, "queued")]
    decision = decide(RunView("running", hosts, 5, 0), CLOSED)
    assert (decision.start, decision.advance) == ((), ("a",))


def test_halt_and_unhalt() -> None:
    hosts = _hosts("upgrading", "queued")
    halted = decide(RunView("running", hosts, 5, 0, halted=True), OPEN)
    assert (halted.event, halted.start, halted.advance) == ("halt", (), ())
    lifted = decide(RunView("halted", hosts, 5, 0), OPEN)
    assert lifted.event == "unhalt"
    assert lifted.start == ("h1",)


def test_host_steps_follow_the_strategy_with_gates_and_verify() -> None:
    bucket = Bucket(
        "k8s",
        "platform",
        "rolling-reboot",
        windows=(Window("0 3 * * *", 60),),
        gates=(Gate("pdb-ok", ("true",), 45, "pre"),),
        reboot_timeout_seconds=600,
        timeouts=Timeouts(upgrade=900, verify=1800),
    )
    steps = host_steps(bucket, reboot=True)
    assert [(s.name, s.phase, s.timeout_seconds, s.disruptive) for s in steps] == [
        ("pdb-ok", "pre_check", 45, False),
        ("cordon", "upgrading", 900, False),
        ("drain", "upgrading", 900, True),
        ("upgrade", "upgrading", 900, False),
        ("reboot", "rebooting", 600, True),
        ("uncordon", "post_check", 900, False),
        ("verify", "verifying", 1800, False),
    ]
    assert "reboot" not in [s.name for s in host_steps(bucket, reboot=False)]
