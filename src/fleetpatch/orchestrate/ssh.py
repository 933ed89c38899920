"""The `ssh` executor: a run's steps on real hosts over one verified SSH connection per host.

- Gates and steps the policy gives as argv (`steps.<name>`) run on the host, as the login user
  (steps with `sudo -n` when the bucket says `sudo: true`; gates never).
- `upgrade` (when the policy gives no command) installs exactly the run's frozen versions with
  the host's package manager (`pkgmanager`), leaves held packages alone and fails the host
  naming them, then checks the installed versions.
- `reboot` (`bootproof`) reboots only when needed and proves the new boot.
- `verify` collects the host's report over the same connection (the local collector's parsers
  over `CommandFiles`), ingests it like any report, and asks the report verifier whether the host
  is patched and running the frozen target.

Errors: a refused host key fails the host at once (never retried); a host that cannot be
reached is `HostUnreachable`; a command past its deadline is `StepTimedOut`. Every command's
output tail (secrets masked) is in the step's evidence.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fleetpatch.app.ingest import Source, ingest
from fleetpatch.connect.ssh import (
    CommandResult,
    HostKeyRefused,
    SshClient,
    SshCommandTimedOut,
    SshConnectFailed,
    SshConnection,
    SshDisconnected,
    SshEndpoint,
    SshError,
    SshLimits,
)
from fleetpatch.errors import FleetpatchError
from fleetpatch.inventory.collector import LocalCollector
from fleetpatch.inventory.records import HostReport
from fleetpatch.inventory.remotefiles import CommandFiles, CommandRunner
from fleetpatch.inventory.schema import report_to_dict
from fleetpatch.orchestrate.bootproof import reboot
from fleetpatch.orchestrate.executors import (
    TAIL_BYTES,
    HostUnreachable,
    StepContext,
    StepFailed,
    StepResult,
    StepTimedOut,
    Verification,
    expand,
    mask,
)
from fleetpatch.orchestrate.pkgmanager import (
    PackageSpecError,
    checked,
    held_argv,
    installed_argv,
    manager_for,
    parse_held,
    parse_installed,
    refresh_argv,
    upgrade_argv,
)
from fleetpatch.orchestrate.verify import ReportVerifier
from fleetpatch.policy.records import Bucket, Policy, SshAccess
from fleetpatch.store import Store
from fleetpatch.store.hosts import HostRepository

# Commands that only read (boot id, versions, files) get this long at most.
READ_TIMEOUT = 60.0
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class HostSession:
    """A host's connection and what its commands need; reconnects when the old one died."""

    executor: SshExecutor
    endpoint: SshEndpoint
    access: SshAccess
    conn: SshConnection | None = None
    log: list[dict[str, Any]] = field(default_factory=list)

    def connection(self) -> SshConnection:
        if self.conn is None:
            self.conn = self.executor.client_for(self.access).connect(self.endpoint)
        return self.conn

    def drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        sudo: bool = False,
        input_text: str | None = None,
        record: bool = True,
    ) -> CommandResult:
        full = ["sudo", "-n", "--", *argv] if sudo and self.access.sudo else list(argv)
        try:
            result = self.connection().run(full, timeout=max(1.0, timeout), input_text=input_text)
        except SshDisconnected:
            self.drop()
            raise
        if record:
            self.log.append(self.executor.evidence_of(result))
        return result

    def exec_(self, argv: Sequence[str]) -> tuple[int, str, str]:
        """For the collector: read-only commands, not logged one by one."""
        result = self.run(argv, timeout=READ_TIMEOUT, record=False)
        return result.exit_status, result.stdout, result.stderr


class SshExecutor:
    name = "ssh"

    def __init__(
        self,
        store: Store,
        policy: Policy,
        *,
        default_known_hosts: Path | None = None,
        agent_path: str | None = None,
        env: Mapping[str, str] | None = None,
        clock: Clock = _utcnow,
        max_channels: int = 64,
    ) -> None:
        self.store = store
        self.policy = policy
        self.default_known_hosts = default_known_hosts
        self.agent_path = agent_path
        self.env = dict(env or {})
        self.clock = clock
        self.max_channels = max_channels
        self._clients: dict[tuple[Any, ...], SshClient] = {}
        self._sessions: dict[tuple[str, str], HostSession] = {}
        self._lock = threading.Lock()

    # -- plumbing --------------------------------------------------------------------------

    def client_for(self, access: SshAccess) -> SshClient:
        limits = SshLimits(
            connect_timeout=float(access.connect_timeout_seconds),
            connect_retries=access.connect_retries,
            retry_backoff=access.retry_backoff_seconds,
            max_channels=self.max_channels,
            max_channels_per_host=access.max_channels_per_host,
        )
        key = (limits,)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = SshClient(limits)
            return self._clients[key]

    def bucket(self, ctx: StepContext) -> tuple[Bucket, SshAccess]:
        bucket = self.policy.bucket(ctx.bucket)
        if bucket is None:
            raise StepFailed(f"bucket {ctx.bucket!r} is no longer in the policy")
        if bucket.ssh is None:
            raise StepFailed(f"bucket {ctx.bucket!r} has no `ssh:` section: how to log in?")
        return bucket, bucket.ssh

    def endpoint(self, host: str, access: SshAccess) -> SshEndpoint:
        known = access.known_hosts or (str(self.default_known_hosts or ""))
        if not known:
            raise StepFailed(
                "no known_hosts file: set the bucket's ssh.known_hosts or "
                "FLEETPATCH_SSH_KNOWN_HOSTS; host keys are always verified"
            )
        with self.store.session() as session:
            header = HostRepository(session).current_for(host)
        labels = dict(header.labels) if header is not None else {}
        address = labels.get("ssh_address") or access.address.replace("{host}", host)
        port = int(labels["ssh_port"]) if labels.get("ssh_port", "").isdigit() else access.port
        keys = (Path(access.key_file).expanduser(),) if access.key_file else ()
        return SshEndpoint(
            address=address,
            port=port,
            user=access.user,
            known_hosts=Path(known).expanduser(),
            key_files=keys,
            agent_path=self.agent_path if access.agent else None,
        )

    def session(self, ctx: StepContext) -> HostSession:
        key = (ctx.run_id, ctx.host)
        with self._lock:
            found = self._sessions.get(key)
        if found is not None:
            found.log = []
            return found
        _, access = self.bucket(ctx)
        made = HostSession(self, self.endpoint(ctx.host, access), access)
        with self._lock:
            return self._sessions.setdefault(key, made)

    def finish(self, ctx: StepContext) -> None:
        """The host is done or failed in this run: its connection is not needed any more."""
        with self._lock:
            found = self._sessions.pop((ctx.run_id, ctx.host), None)
        if found is not None:
            found.drop()

    def close(self) -> None:
        with self._lock:
            sessions, clients = list(self._sessions.values()), list(self._clients.values())
            self._sessions.clear()
            self._clients.clear()
        for s in sessions:
            s.drop()
        for c in clients:
            c.close()

    def evidence_of(self, result: CommandResult) -> dict[str, Any]:
        return {
            "argv": list(result.argv),
            "exit_status": result.exit_status,
            "stdout": mask(result.stdout[-TAIL_BYTES:], self.env),
            "stderr": mask(result.stderr[-TAIL_BYTES:], self.env),
            "seconds": round(result.seconds, 3),
        }

    # -- steps -----------------------------------------------------------------------------

    def run(self, ctx: StepContext) -> StepResult:
        session: HostSession | None = None
        try:
            bucket, _ = self.bucket(ctx)
            session = self.session(ctx)
            return self._step(ctx, bucket, session)
        except HostKeyRefused as exc:
            self.finish(ctx)
            raise StepFailed(f"host key refused: {exc}", self._evidence(session)) from exc
        except SshConnectFailed as exc:
            self.finish(ctx)
            raise HostUnreachable(str(exc), self._evidence(session)) from exc
        except SshDisconnected as exc:
            self.finish(ctx)
            raise HostUnreachable(f"connection lost: {exc}", self._evidence(session)) from exc
        except SshCommandTimedOut as exc:
            self.finish(ctx)
            raise StepTimedOut(str(exc), self._evidence(session)) from exc
        except StepFailed as exc:
            self.finish(ctx)
            if session is not None and "commands" not in exc.evidence:
                exc.evidence.update(self._evidence(session))
            raise
        except SshError as exc:
            self.finish(ctx)
            raise StepFailed(str(exc), self._evidence(session)) from exc

    def _evidence(self, session: HostSession | None) -> dict[str, Any]:
        if session is None:
            return {}
        return {"endpoint": session.endpoint.label, "commands": list(session.log)}

    def _step(self, ctx: StepContext, bucket: Bucket, session: HostSession) -> StepResult:
        step = ctx.step
        deadline = time.monotonic() + step.timeout_seconds
        if step.kind == "gate":
            return self._command(ctx, session, step.argv, deadline, sudo=False)
        if step.name == "reboot":  # `steps.reboot` is the reboot command, inside the proof
            return reboot(ctx, bucket, session, deadline)
        if step.name in bucket.steps:
            return self._command(ctx, session, bucket.steps[step.name], deadline, sudo=True)
        if step.name == "upgrade":
            return self._upgrade(ctx, session, deadline)
        raise StepFailed(f"no command for step {step.name!r}: give steps.{step.name} (argv)")

    def _command(
        self,
        ctx: StepContext,
        session: HostSession,
        argv: Sequence[str],
        deadline: float,
        *,
        sudo: bool,
    ) -> StepResult:
        if not argv:
            raise StepFailed(f"no command for {ctx.step.name!r} in the policy")
        values = {"host": ctx.host, "run": ctx.run_id, "step": ctx.step.name}
        result = session.run(expand(tuple(argv), values), timeout=remaining(deadline), sudo=sudo)
        evidence = self._evidence(session)
        if not result.ok:
            last = (result.stderr or result.stdout).strip().splitlines()
            why = f": {mask(last[-1], self.env)}" if last else ""
            raise StepFailed(f"{ctx.step.name} exited {result.exit_status}{why}", evidence)
        return StepResult(f"{ctx.step.name} exited 0", evidence)

    def _upgrade(self, ctx: StepContext, session: HostSession, deadline: float) -> StepResult:
        ecosystem = str(ctx.target.get("ecosystem", ""))
        manager = manager_for(ecosystem)
        if manager is None:
            raise StepFailed(f"no package manager known for ecosystem {ecosystem!r}")
        wanted = {str(k): str(v) for k, v in dict(ctx.target.get("packages", {})).items()}
        try:
            checked(manager, wanted)
        except PackageSpecError as exc:
            raise StepFailed(f"refused before touching the host: {exc}") from exc
        if not wanted:
            return StepResult("nothing to install: the frozen target has no package for it")
        lock = self.bucket(ctx)[1].lock_timeout_seconds
        held: set[str] = set()
        held_cmd = held_argv(manager)
        if held_cmd is not None:
            held = parse_held(manager, session.run(held_cmd, timeout=READ_TIMEOUT).stdout)
        todo = {n: v for n, v in wanted.items() if n not in held}
        refresh = refresh_argv(manager, lock_timeout=lock)
        if todo and refresh is not None:
            self._must(session.run(refresh, timeout=remaining(deadline), sudo=True), session)
        if todo:
            argv = upgrade_argv(manager, todo, lock_timeout=lock)
            self._must(session.run(argv, timeout=remaining(deadline), sudo=True), session)
        query = session.run(installed_argv(manager, wanted), timeout=READ_TIMEOUT)
        now = parse_installed(manager, query.stdout)
        evidence = {
            **self._evidence(session),
            "manager": manager,
            "installed": {n: now.get(n, "") for n in sorted(wanted)},
            "held": sorted(held & set(wanted)),
        }
        wrong = [
            f"{n} is {now.get(n) or 'missing'}, not {v}" for n, v in todo.items() if now.get(n) != v
        ]
        if wrong:
            raise StepFailed("frozen versions not installed: " + "; ".join(wrong[:5]), evidence)
        if held & set(wanted):
            names = ", ".join(sorted(held & set(wanted)))
            raise StepFailed(
                f"held on the host, left alone: {names} (apt-mark unhold to allow); "
                f"{len(todo)} other package(s) installed",
                evidence,
            )
        return StepResult(f"installed {len(todo)} package(s) at their frozen versions", evidence)

    def _must(self, result: CommandResult, session: HostSession) -> None:
        if not result.ok:
            last = (result.stderr or result.stdout).strip().splitlines()
            why = f": {mask(last[-1], self.env)}" if last else ""
            raise StepFailed(
                f"{program(result.argv)} exited {result.exit_status}{why}",
                self._evidence(session),
            )

    # -- verify ----------------------------------------------------------------------------

    def verify(self, ctx: StepContext) -> Verification:
        """Collect over SSH, ingest, then judge the stored report (the host waits if not yet)."""
        try:
            session = self.session(ctx)
            with self.store.session() as s:
                header = HostRepository(s).current_for(ctx.host)
            labels = dict(header.labels) if header is not None else {}
            now = self.clock()
            report = collect_report(session, ctx.host, labels, now)
            body = json.dumps(report_to_dict(report)).encode()
            ingest(self.store, [Source.from_bytes(f"ssh:{ctx.host}", body)], now=now)
        except (FleetpatchError, StepFailed) as exc:
            self.finish(ctx)
            return Verification(False, f"cannot collect over SSH: {exc}", {"error": str(exc)})
        found = ReportVerifier(self.store).verify(ctx)
        if found.done:
            self.finish(ctx)
        evidence = {**found.evidence, "collected_over": "ssh", "endpoint": session.endpoint.label}
        return Verification(found.done, found.message, evidence)


def collect_report(
    session: HostSession, host: str, labels: Mapping[str, str], now: datetime
) -> HostReport:
    """The host's report, read over its SSH session by the local collector's own routine."""
    collector = LocalCollector(
        runner=CommandRunner(session.exec_),
        hostname=host,
        labels=labels,
        live=True,
        files=CommandFiles(session.exec_),
        collector="ssh",
    )
    return collector.collect(now)


def remaining(deadline: float) -> float:
    """Seconds left to the step's deadline; `StepTimedOut` once it passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise StepTimedOut("the step's deadline passed before its next command")
    return left


def program(argv: Sequence[str]) -> str:
    """The program an argv runs, past `sudo -n --` and `env VAR=value`."""
    for arg in argv:
        if arg in ("sudo", "-n", "--", "env") or ("=" in arg and not arg.startswith("-")):
            continue
        return arg
    return argv[0] if argv else ""
