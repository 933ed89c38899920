"""The engine over the simulated executor: waves, rate control, the error budget, windows,
deadlines, blockers, the halt and leases — each a case an SRE would check before trusting it."""

from __future__ import annotations

import logging
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fleetpatch.policy.records import Blocker, Concurrency, ErrorBudget, Timeouts, Window
from fleetpatch.store.runs import RunRepository
from fleetpatch.store.tables_runs import RunStepRow


def test_a_run_walks_every_host_through_its_steps_in_wave_order(kit: Any) -> None:
    bucket = kit.bucket()
    kit.run(bucket, ["a", "b", "c"], waves=[["b"], ["a", "c"]])
    engine = kit.engine(kit.policy(bucket))
    engine.run_until_idle(max_ticks=20)
    assert kit.run_state() == "finished"
    assert set(kit.states().values()) == {"done"}
    begins = [(e["host"], e["step"]) for e in kit.journal.entries if e["event"] == "begin"]
    assert begins[:3] == [("b", "pre-check"), ("b", "upgrade"), ("b", "reboot")]
    assert {h for h, _ in begins[4:]} == {"a", "c"}  # wave 2 only after wave 1 finished
    with kit.store.session() as session:
        steps = RunRepository(session).steps("run-test", "a")
    assert [(s.name, s.outcome, s.attempt) for s in steps] == [
        ("pre-check", "ok", 1),
        ("upgrade", "ok", 1),
        ("reboot", "ok", 1),
        ("post-check", "ok", 1),
    ]
    assert steps[2].evidence["boot_id_changed"] is True
    assert [a.action for a in kit.audit("run.start")] == ["run.start"]
    assert [a.action for a in kit.audit("run.finish")] == ["run.finish"]


def test_max_concurrency_is_never_exceeded(kit: Any) -> None:
    bucket = kit.bucket(concurrency=Concurrency(percent=10))
    kit.run(bucket, 30)  # 10 % of 30 = 3 at once
    engine = kit.engine(kit.policy(bucket), sleep=0.002, parallel=8)
    engine.run_until_idle(max_ticks=200)
    assert set(kit.states().values()) == {"done"}
    assert kit.max_in_flight(kit.journal.entries, "pre-check", "post-check") == 3


def test_the_run_stops_at_error_max_errors_plus_one(kit: Any) -> None:
    bucket = kit.bucket(max_errors=ErrorBudget(count=2), concurrency=Concurrency(count=1))
    kit.run(bucket, 10)
    engine = kit.engine(kit.policy(bucket), failure_rate={"db": 1.0})
    engine.run_until_idle(max_ticks=50)
    states = kit.states()
    assert list(states.values()).count("failed") == 3  # error 3 = max_errors + 1 stops it
    assert list(states.values()).count("queued") == 7
    assert kit.run_state() == "stopped"
    assert "error budget spent: 3 failed host(s), max_errors 2" in kit.audit("run.stop")[0].reason


def test_max_errors_as_a_percentage_of_the_run(kit: Any) -> None:
    bucket = kit.bucket(max_errors=ErrorBudget(percent=20), concurrency=Concurrency(count=1))
    kit.run(bucket, 10)  # 20 % of 10: 2 allowed, the third failure stops it
    kit.engine(kit.policy(bucket), failure_rate={"db": 1.0}).run_until_idle(max_ticks=50)
    assert list(kit.states().values()).count("failed") == 3


def test_a_wave_in_which_every_host_fails_stops_the_run_whatever_the_budget(kit: Any) -> None:
    bucket = kit.bucket(max_errors=ErrorBudget(count=100))
    kit.run(bucket, ["a", "b", "c", "d"], waves=[["a", "b"], ["c", "d"]])
    kit.engine(kit.policy(bucket), failure_rate={"db": 1.0}).run_until_idle(max_ticks=20)
    assert kit.states() == {"a": "failed", "b": "failed", "c": "queued", "d": "queued"}
    assert kit.audit("run.stop")[0].reason == "every host of wave 1 failed"


def test_a_failed_pre_check_never_reaches_the_upgrade_and_pages(kit: Any) -> None:
    bucket = kit.bucket(max_errors=ErrorBudget(count=5))
    kit.run(bucket, ["a"])
    # The model picks each failing host's step from its seed: find a pre-check failure by name.
    from fleetpatch.simulate.hostmodel import SimulatedHostModel

    names = ("pre-check", "upgrade", "reboot", "post-check")
    model = SimulatedHostModel(seed=1, failure_rate={"db": 1.0})
    host = next(
        f"x{i}" for i in range(200) if model.failing_step("db", f"x{i}", names) == "pre-check"
    )
    kit.run(bucket, [host], run_id="run-pre")
    kit.engine(kit.policy(bucket), failure_rate={"db": 1.0}).run_until_idle(max_ticks=20)
    row = kit.hosts("run-pre")[host]
    assert (row.state, row.failed_phase) == ("failed", "pre_check")
    assert row.reason.startswith("pre-check: simulated failure")
    ran = [e["step"] for e in kit.journal.entries if e["host"] == host and e["event"] == "begin"]
    assert ran == ["pre-check"]
    pages = [a for a in kit.audit("page") if a.host == host]
    assert len(pages) == 1
    assert pages[0].detail["dedup_key"].startswith("fleetpatch-")


def test_no_host_starts_outside_the_window_or_in_its_cutoff(kit: Any) -> None:
    bucket = kit.bucket(windows=(Window("0 3 * * *", 60, cutoff_minutes=15),))
    kit.run(bucket, ["a"])
    engine = kit.engine(kit.policy(bucket))
    kit.clock.now = datetime(2026, 12, 3, 2, 59, tzinfo=UTC)
    engine.tick()
    assert kit.states() == {"a": "queued"}
    kit.clock.now = datetime(2026, 12, 3, 3, 46, tzinfo=UTC)  # inside, but in the last 15 min
    engine.tick()
    assert kit.states() == {"a": "queued"}
    kit.clock.now = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)  # the next day's window
    engine.run_until_idle(max_ticks=10)
    assert kit.states() == {"a": "done"}


def test_the_window_follows_its_time_zone_across_dst(kit: Any) -> None:
    window = Window("0 4 * * *", 120, "Europe/Paris")
    bucket = kit.bucket(windows=(window,))
    kit.run(bucket, ["a"])
    engine = kit.engine(kit.policy(bucket))
    # 2026-03-29: Paris moves to CEST; 04:00 local is 02:00 UTC, not 03:00.
    kit.clock.now = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    engine.tick()
    assert kit.states() == {"a": "queued"}
    kit.clock.now = datetime(2026, 3, 29, 2, 5, tzinfo=UTC)
    engine.run_until_idle(max_ticks=10)
    assert kit.states() == {"a": "done"}


def test_abort_in_flight_stops_before_the_disruptive_step_at_the_window_end(kit: Any) -> None:
    bucket = kit.bucket(on_window_end="abort_in_flight")
    kit.run(bucket, ["a"])
    engine = kit.engine(kit.policy(bucket))
    engine.tick()
    # Put the host back before its reboot, as if the window ended while it upgraded.
    with kit.store.session(write=True) as session:
        row = RunRepository(session).host("run-test", "a")
        assert row is not None
        row.state, row.step_index = "upgrading", 2
    kit.clock.now = datetime(2026, 12, 3, 4, 30, tzinfo=UTC)  # after the window
    engine.tick()
    row = kit.hosts()["a"]
    assert row.state == "upgrading"
    assert row.waiting_for.startswith("window: closed before a disruptive step (reboot)")
    kit.clock.now = datetime(2026, 12, 4, 3, 1, tzinfo=UTC)  # next window: it goes on
    engine.run_until_idle(max_ticks=10)
    assert kit.states() == {"a": "done"}


def test_finish_in_flight_lets_the_host_finish_after_the_window_end(kit: Any) -> None:
    bucket = kit.bucket(on_window_end="finish_in_flight")
    kit.run(bucket, ["a"])
    engine = kit.engine(kit.policy(bucket))
    with kit.store.session(write=True) as session:
        row = RunRepository(session).host("run-test", "a")
        assert row is not None
        row.state, row.step_index = "upgrading", 2
        run = RunRepository(session).get("run-test")
        assert run is not None
        run.state = "running"
    kit.clock.now = datetime(2026, 12, 3, 4, 30, tzinfo=UTC)
    engine.run_until_idle(max_ticks=10)
    assert kit.states() == {"a": "done"}


def test_a_hung_step_meets_its_deadline_and_on_timeout_decides(kit: Any) -> None:
    bucket = kit.bucket(max_errors=ErrorBudget(count=10))
    kit.run(bucket, ["a"], on_timeout="page")
    kit.run(bucket, ["b"], on_timeout="skip", run_id="run-skip")
    kit.engine(kit.policy(bucket), hang_rate=1.0).run_until_idle(max_ticks=20)
    a, b = kit.hosts()["a"], kit.hosts("run-skip")["b"]
    assert (a.state, a.failed_phase) == ("blocked", "pre_check")
    assert "no end after 60s" in a.reason
    assert (b.state, b.failed_phase) == ("skipped", "pre_check")
    assert [p.host for p in kit.audit("page")] == ["a"]  # skip does not page


def test_blockers_are_checked_again_right_before_the_reboot(kit: Any, tmp_path: Path) -> None:
    flag = tmp_path / "alert-firing"
    script = tmp_path / "blocker.sh"
    script.write_text(
        f'#!/bin/sh\nif [ -e {flag} ]; then echo "alert firing"; exit 1; fi\ntouch {flag}\n'
    )  # clear the first time, firing from then on
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    bucket = kit.bucket(
        blockers=(Blocker("command", (str(script),)),), timeouts=Timeouts(blocked=600)
    )
    kit.run(bucket, ["a"])
    engine = kit.engine(kit.policy(bucket))
    engine.tick()
    row = kit.hosts()["a"]
    assert row.step_index == 2  # pre-check and upgrade done, the reboot not started
    assert row.waiting_for == "blocker: " + f"{script} exited 1: alert firing"
    ran = [e["step"] for e in kit.journal.entries if e["event"] == "begin"]
    assert "reboot" not in ran
    kit.clock.advance(601)  # the wait has a deadline too
    engine.tick()
    row = kit.hosts()["a"]
    assert row.state == "blocked"
    assert "waited 600s" in row.reason


def test_halt_stops_every_new_step_within_one_tick(kit: Any) -> None:
    from fleetpatch.orchestrate.service import halt, unhalt

    bucket = kit.bucket(concurrency=Concurrency(count=1))
    kit.run(bucket, ["a", "b"])
    engine = kit.engine(kit.policy(bucket))
    engine.tick()
    assert kit.states() == {"a": "done", "b": "queued"}
    halt(kit.store, now=kit.clock(), actor="os:sre", reason="incident INC-7")
    before = len(kit.journal.entries)
    engine.tick()
    assert len(kit.journal.entries) == before
    assert kit.run_state() == "halted"
    unhalt(kit.store, now=kit.clock(), actor="os:sre", reason="resolved")
    engine.run_until_idle(max_ticks=10)
    assert kit.states() == {"a": "done", "b": "done"}
    assert [a.action for a in kit.audit() if a.action in ("halt", "unhalt")] == ["halt", "unhalt"]
    assert kit.audit("halt")[0].actor == "os:sre"


def _leave_running(kit: Any, holder: str, expires: datetime) -> None:
    """Make `a` look like a worker `holder` died in its upgrade: lease, `running` attempt."""
    with kit.store.session(write=True) as session:
        repo = RunRepository(session)
        run = repo.get("run-test")
        row = repo.host("run-test", "a")
        assert run is not None
        assert row is not None
        run.state = "running"
        row.state, row.step_index = "upgrading", 1
        row.lease_holder, row.lease_expires_at = holder, expires
        session.add(
            RunStepRow(
                run_id="run-test",
                host="a",
                name="upgrade",
                attempt=1,
                outcome="running",
                holder=holder,
                started_at=kit.clock(),
                finished_at=None,
                message="",
                evidence={},
                pgid=None,
            )
        )


def test_a_lease_is_never_taken_over_while_it_is_valid(kit: Any) -> None:
    bucket = kit.bucket()
    kit.run(bucket, ["a"])
    _leave_running(kit, "other:1:1", kit.clock() + timedelta(seconds=60))
    engine = kit.engine(kit.policy(bucket))
    engine.tick()
    assert kit.hosts()["a"].lease_holder == "other:1:1"
    assert kit.journal.entries == []


def test_a_dead_workers_host_is_resumed_from_its_last_step(kit: Any) -> None:
    bucket = kit.bucket()
    kit.run(bucket, ["a"])
    _leave_running(kit, "dead:1:1", kit.clock() - timedelta(seconds=1))
    kit.engine(kit.policy(bucket)).run_until_idle(max_ticks=10)
    assert kit.states() == {"a": "done"}
    with kit.store.session() as session:
        steps = RunRepository(session).steps("run-test", "a")
    assert [(s.name, s.outcome, s.attempt) for s in steps] == [
        ("upgrade", "interrupted", 1),
        ("upgrade", "ok", 2),
        ("reboot", "ok", 1),
        ("post-check", "ok", 1),
    ]
    assert "dead:1:1 stopped before recording the end" in steps[0].message
    ran = [e["step"] for e in kit.journal.entries if e["event"] == "begin"]
    assert ran == ["upgrade", "reboot", "post-check"]  # pre-check, done before, never again
    resumed = kit.audit("host.resume")
    assert resumed
    assert "lease of dead:1:1 expired" in resumed[0].reason


def test_cancel_skips_queued_hosts_and_blocks_the_ones_in_flight(kit: Any) -> None:
    from fleetpatch.orchestrate.service import cancel_run

    bucket = kit.bucket()
    kit.run(bucket, ["a", "b"], waves=[["a"], ["b"]])
    _leave_running(kit, "other:1:1", kit.clock() + timedelta(seconds=60))
    cancel_run(kit.store, "run-test", now=kit.clock(), actor="os:sre", reason="wrong bucket")
    assert kit.run_state() == "cancelled"
    assert kit.states() == {"a": "blocked", "b": "skipped"}
    kit.engine(kit.policy(bucket)).run_until_idle(max_ticks=5)
    assert kit.journal.entries == []


def test_the_page_log_names_its_run_host_and_step_as_fields(
    kit: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bucket = kit.bucket(max_errors=ErrorBudget(count=5))
    kit.run(bucket, ["a"], run_id="run-log")
    with caplog.at_level(logging.WARNING, logger="fleetpatch.orchestrate.engine"):
        kit.engine(kit.policy(bucket), failure_rate={"db": 1.0}).run_until_idle(max_ticks=20)
    pages = [r for r in caplog.records if r.getMessage().startswith("page: run run-log host a")]
    assert len(pages) == 1
    failed = kit.hosts("run-log")["a"].reason.split(":")[0]  # "pre-check: simulated failure"
    fields = vars(pages[0])  # what `extra=` set, and what a JSON log line carries
    assert (fields["run"], fields["host"], fields["step"]) == ("run-log", "a", failed)
