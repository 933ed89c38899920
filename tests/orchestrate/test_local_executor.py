"""The local executor runs a team's own script with gates: real processes, real exit codes."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from fleetpatch.orchestrate.executors import LocalExecutor, StepContext, StepTimedOut
from fleetpatch.policy.records import ErrorBudget, Gate
from fleetpatch.runs.records import StepSpec
from fleetpatch.store.runs import RunRepository

SCRIPT = """#!/bin/sh
# patch-host.sh as a team has it: one action per flag, every call logged.
echo "$1 host=$FLEETPATCH_HOST run=$FLEETPATCH_RUN step=$FLEETPATCH_STEP arg=$2" >> {log}
case "$1" in
  --pre-check) [ -e {healthy} ] || {{ echo "replication lag 900s" >&2; exit 3; }} ;;
  --upgrade) echo "$FLEETPATCH_TARGET" > {target} ;;
esac
exit 0
"""


def _script(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    log, healthy, target = tmp_path / "calls.log", tmp_path / "healthy", tmp_path / "target.json"
    script = tmp_path / "patch-host.sh"
    script.write_text(SCRIPT.format(log=log, healthy=healthy, target=target))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, log, healthy, target


def _bucket(kit: Any, script: Path) -> Any:
    s = str(script)
    return kit.bucket(
        executor="local",
        gates=(
            Gate("pre-check", (s, "--pre-check", "--host={host}"), 30, "pre"),
            Gate("post-check", (s, "--post-check", "{host}"), 30, "post"),
        ),
        steps={"upgrade": (s, "--upgrade", "{run}"), "reboot": (s, "--reboot", "{step}")},
        max_errors=ErrorBudget(count=5),
    )


def test_a_failing_pre_check_never_reaches_the_upgrade(kit: Any, tmp_path: Path) -> None:
    script, log, _healthy, _ = _script(tmp_path)
    bucket = _bucket(kit, script)
    kit.run(bucket, ["db-1"], executor="local")
    engine = kit.engine(kit.policy(bucket), executors={"local": LocalExecutor()})
    engine.run_until_idle(max_ticks=10)
    calls = log.read_text().splitlines()
    assert calls == ["--pre-check host=db-1 run=run-test step=pre-check arg=--host=db-1"]
    row = kit.hosts()["db-1"]
    assert (row.state, row.failed_phase) == ("failed", "pre_check")
    assert row.reason == "pre-check: pre-check exited 3: replication lag 900s"
    with kit.store.session() as session:
        (step,) = RunRepository(session).steps("run-test", "db-1")
    assert step.evidence["exit_status"] == 3
    assert step.evidence["stderr"] == "replication lag 900s\n"
    assert step.pgid is not None  # its process group was recorded before it ran


def test_a_healthy_host_runs_every_step_with_its_values_and_frozen_target(
    kit: Any, tmp_path: Path
) -> None:
    script, log, healthy, target = _script(tmp_path)
    healthy.touch()
    bucket = _bucket(kit, script)
    frozen = {"ecosystem": "Debian:12", "packages": {"openssl": "3.0.15-1~deb12u1"}}
    kit.run(bucket, ["db-1"], executor="local", target=frozen)
    engine = kit.engine(kit.policy(bucket), executors={"local": LocalExecutor()})
    engine.run_until_idle(max_ticks=10)
    assert kit.states() == {"db-1": "done"}
    assert [c.split()[0] for c in log.read_text().splitlines()] == [
        "--pre-check",
        "--upgrade",
        "--reboot",
        "--post-check",
    ]
    assert "arg=run-test" in log.read_text().splitlines()[1]  # {run} inside argv
    assert "arg=reboot" in log.read_text().splitlines()[2]  # {step}
    assert json.loads(target.read_text()) == frozen


def test_a_step_past_its_timeout_is_stopped_with_its_children(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = tmp_path / "hang.sh"
    script.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pidfile}\nwait\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    step = StepSpec("upgrade", "step", "upgrading", 1, (str(script),))
    started = time.monotonic()
    with pytest.raises(StepTimedOut, match="did not finish within 1s"):
        LocalExecutor().run(StepContext("run-1", "db", "h", step, 1, {}))
    assert time.monotonic() - started < 10
    child = int(pidfile.read_text())
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text()


def test_secrets_in_the_environment_are_masked_in_the_output_tail(tmp_path: Path) -> None:
    step = StepSpec("upgrade", "step", "upgrading", 10, ("sh", "-c", "echo token=$API_TOKEN"))
    env = {"PATH": "/usr/bin:/bin", "API_TOKEN": "s3cr3t-value-123"}
    result = LocalExecutor(env).run(StepContext("run-1", "db", "h", step, 1, {}))
    assert result.evidence["stdout"] == "token=***\n"


def test_arguments_are_never_given_to_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    step = StepSpec("upgrade", "step", "upgrading", 10, ("echo", "{host}"))
    result = LocalExecutor().run(StepContext("run-1", "db", f"h; touch {marker}", step, 1, {}))
    assert result.evidence["stdout"] == f"h; touch {marker}\n"
    assert not marker.exists()
