"""Executors: what does a step on a host. One small protocol, several implementations.

`run(ctx)` does one step and returns its evidence, or raises `StepFailed` (the step ran and
failed), `StepTimedOut` (its deadline passed) or `HostUnreachable` (it could not reach the host;
counts as failed). A step must be idempotent or able to tell it already happened: a step
interrupted by a crash runs again when its host resumes.

- `SimulatedExecutor` (named fake): the simulator's host model, no real host touched; every side
  effect is appended to a journal (a JSON-lines file) so a test can count what happened.
- `LocalExecutor`: runs the policy's argv per step on this machine, in its own process group,
  with `{host}`, `{run}`, `{step}` replaced inside argv elements (never through a shell) and
  the same values in `FLEETPATCH_HOST`, `FLEETPATCH_RUN`, `FLEETPATCH_STEP`; exit 0 is success.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from fleetpatch.errors import FleetpatchError
from fleetpatch.runs.records import StepSpec
from fleetpatch.simulate.hostmodel import SimulatedHostModel

TAIL_BYTES = 4000
KILL_GRACE_SECONDS = 5.0
_SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL)", re.IGNORECASE)


class StepFailed(FleetpatchError):
    """The step ran and failed (a gate said no, a command exited non-zero)."""

    def __init__(self, message: str, evidence: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.evidence: dict[str, Any] = dict(evidence or {})


class StepTimedOut(StepFailed):
    """The step did not finish before its deadline; it was stopped."""


class HostUnreachable(StepFailed):
    """The host could not be reached; the step did not run. Counts as a failure."""

    retryable = True


@dataclass(frozen=True, slots=True)
class StepContext:
    run_id: str
    bucket: str
    host: str
    step: StepSpec
    attempt: int
    target: Mapping[str, Any]
    all_steps: tuple[str, ...] = ()
    on_started: Callable[[int], None] = field(default=lambda _pgid: None)
    since: datetime | None = None  # when the host started in this run


@dataclass(frozen=True, slots=True)
class StepResult:
    message: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Verification:
    done: bool
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


class Executor(Protocol):
    name: str

    def run(self, ctx: StepContext) -> StepResult: ...


@runtime_checkable
class Verifier(Protocol):
    """Answers the `verify` step: is the host patched and running? An executor that models its
    hosts (the simulator) is its own verifier; real hosts are verified by their reports."""

    def verify(self, ctx: StepContext) -> Verification: ...


# -- simulated --------------------------------------------------------------------------------


class Journal:
    """Append-only JSON lines, one per side effect; safe across threads and across kill -9
    (each line is written with one `write` on an O_APPEND file)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def append(self, entry: Mapping[str, Any]) -> None:
        line = json.dumps(dict(entry), sort_keys=True)
        with self._lock:
            self.entries.append(dict(entry))
            if self.path is not None:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(fd, (line + "\n").encode())
                finally:
                    os.close(fd)

    @staticmethod
    def read(path: Path) -> list[dict[str, Any]]:
        if not path.exists():
            return []
        lines = path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]


class SimulatedExecutor:
    """A named fake: the simulator's hosts, driven by `SimulatedHostModel`. Steps take no real
    time (`sleep` seconds of real time per step, for tests that need steps in flight); their
    modelled length is in the evidence. A hung step raises `StepTimedOut` at once, as the
    deadline would."""

    name = "simulated"

    def __init__(
        self,
        model: SimulatedHostModel | None = None,
        journal: Journal | None = None,
        *,
        sleep: float = 0.0,
    ) -> None:
        self.model = model or SimulatedHostModel()
        self.journal = journal or Journal(None)
        self.sleep = sleep

    def run(self, ctx: StepContext) -> StepResult:
        step = ctx.step
        seconds = self.model.seconds(ctx.host, step.name, ctx.attempt)
        ending = self.model.ending(ctx.bucket, ctx.host, step.name, ctx.attempt, ctx.all_steps)
        entry = {
            "run": ctx.run_id,
            "host": ctx.host,
            "step": step.name,
            "attempt": ctx.attempt,
            "event": "begin",
            "index": ctx.all_steps.index(step.name) if step.name in ctx.all_steps else -1,
        }
        self.journal.append(entry)
        if self.sleep:
            time.sleep(self.sleep)
        evidence: dict[str, Any] = {"simulated": True, "simulated_seconds": seconds}
        if ending == "hang":
            self.journal.append({**entry, "event": "timeout"})
            raise StepTimedOut(
                f"simulated hang: no end after {step.timeout_seconds}s (deadline)", evidence
            )
        if step.name == "reboot":
            evidence["boot_id_changed"] = True
        if ending == "fail":
            self.journal.append({**entry, "event": "failed"})
            raise StepFailed(f"simulated failure of {step.name}", evidence)
        self.journal.append({**entry, "event": "end"})
        return StepResult("simulated", evidence)

    def verify(self, ctx: StepContext) -> Verification:
        self.journal.append(
            {"run": ctx.run_id, "host": ctx.host, "step": "verify", "event": "verified"}
        )
        return Verification(True, "simulated host reports patched and running", {"simulated": True})


# -- local ------------------------------------------------------------------------------------


def expand(argv: tuple[str, ...], values: Mapping[str, str]) -> list[str]:
    """`{host}`, `{run}`, `{step}` replaced inside each element; anything else left as written."""
    out = []
    for arg in argv:
        for key, value in values.items():
            arg = arg.replace("{" + key + "}", value)
        out.append(arg)
    return out


def mask(text: str, env: Mapping[str, str]) -> str:
    """Hide the values of secret-looking environment variables (8+ characters) in `text`."""
    for name, value in env.items():
        if len(value) >= 8 and _SECRET_NAME.search(name) and value in text:
            text = text.replace(value, "***")
    return text


def _tail(data: bytes) -> str:
    return data[-TAIL_BYTES:].decode("utf-8", errors="replace")


def group_alive(pgid: int) -> bool:
    """Whether any process of group `pgid` still runs (zombies, already dead, do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


def end_group(pgid: int, grace: float = KILL_GRACE_SECONDS) -> bool:
    """SIGTERM the process group, SIGKILL what is left after `grace`. True if one was alive."""
    if not group_alive(pgid):
        return False
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and group_alive(pgid):
        time.sleep(0.05)
    if group_alive(pgid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    return True


class LocalExecutor:
    """Runs the bucket's step and gate commands on this machine (see the module docstring)."""

    name = "local"

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = dict(os.environ if env is None else env)

    def run(self, ctx: StepContext) -> StepResult:
        step = ctx.step
        if not step.argv:
            raise StepFailed(f"no command for step {step.name!r} in the policy")
        values = {"host": ctx.host, "run": ctx.run_id, "step": step.name}
        argv = expand(step.argv, values)
        env = {
            **self.env,
            "FLEETPATCH_HOST": ctx.host,
            "FLEETPATCH_RUN": ctx.run_id,
            "FLEETPATCH_STEP": step.name,
            "FLEETPATCH_ATTEMPT": str(ctx.attempt),
            "FLEETPATCH_TARGET": json.dumps(dict(ctx.target), sort_keys=True),
        }
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise StepFailed(f"cannot run {argv[0]!r}: {exc.strerror or exc}") from exc
        ctx.on_started(proc.pid)
        evidence: dict[str, Any] = {"argv": argv, "pgid": proc.pid}
        try:
            out, err = proc.communicate(timeout=step.timeout_seconds)
        except subprocess.TimeoutExpired:
            end_group(proc.pid)
            out, err = proc.communicate()
            evidence.update(
                self._outputs(out, err, env), seconds=round(time.monotonic() - started, 3)
            )
            raise StepTimedOut(
                f"{step.name} did not finish within {step.timeout_seconds}s; its process group "
                "was stopped",
                evidence,
            ) from None
        finally:
            if group_alive(proc.pid):  # children left behind by the step: end them too
                end_group(proc.pid, grace=1.0)
        evidence.update(
            self._outputs(out, err, env),
            exit_status=proc.returncode,
            seconds=round(time.monotonic() - started, 3),
        )
        if proc.returncode != 0:
            last = (evidence["stderr"] or evidence["stdout"]).strip().splitlines()
            why = f": {last[-1]}" if last else ""
            raise StepFailed(f"{step.name} exited {proc.returncode}{why}", evidence)
        return StepResult(f"{step.name} exited 0", evidence)

    def _outputs(self, out: bytes, err: bytes, env: Mapping[str, str]) -> dict[str, str]:
        return {"stdout": mask(_tail(out), env), "stderr": mask(_tail(err), env)}
