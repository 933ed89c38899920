"""SSH: argv in, exit status and output out, over one verified connection per host.

Invariants:

- Host keys are always checked against the `known_hosts` file the endpoint names; there is no way
  to turn the check off. An unknown or changed key is `HostKeyRefused` (never retried: a changed
  key is a reinstalled host or an attack, and a person must decide which).
- A command is an argv list. SSH hands the remote login shell one string, so every element is
  quoted with `shlex.quote` (`remote_command`): host and package data can never become syntax.
- Nothing waits forever: connecting has `connect_timeout` and at most `connect_retries` further
  attempts with doubling backoff (transient errors only); every command has a timeout.
- `~/.ssh/config` and default key files are not read: only what the endpoint says is used.

asyncssh is asynchronous and the engine is not, so an `SshClient` runs one event loop in a
daemon thread and every call waits on it with a deadline. `close()` ends connections and loop.
"""

from __future__ import annotations

import asyncio
import shlex
import threading
import time
from collections.abc import Coroutine, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from fleetpatch.errors import FleetpatchError

if TYPE_CHECKING:  # asyncssh is an optional extra: imported when the first host is reached
    import asyncssh

T = TypeVar("T")
# Extra seconds a blocking call waits for the loop beyond the operation's own deadline.
_LOOP_SLACK = 5.0


class SshError(FleetpatchError):
    """Reaching a host or running a command over SSH failed."""


class HostKeyRefused(SshError):
    """The host's key is not in known_hosts, or differs from the one recorded there."""


class SshConnectFailed(SshError):
    """No connection: refused, timed out, reset, or authentication failed."""

    retryable = True


class SshDisconnected(SshError):
    """The connection went away while a command ran (a reboot does this on purpose)."""

    retryable = True


class SshCommandTimedOut(SshError):
    """A command did not finish before its timeout; its channel was closed."""


class SshUnavailable(SshError):
    """asyncssh is not installed: `pip install 'fleetpatch[ssh]'`."""


@dataclass(frozen=True, slots=True)
class SshEndpoint:
    """Where and as whom to log in. `key_files` or `agent_path` (an ssh-agent socket)."""

    address: str
    port: int
    user: str
    known_hosts: Path
    key_files: tuple[Path, ...] = ()
    agent_path: str | None = None

    @property
    def label(self) -> str:
        return f"{self.user}@{self.address}:{self.port}"


@dataclass(frozen=True, slots=True)
class SshLimits:
    """Timeouts, retries and channel caps: visible settings, never hidden defaults."""

    connect_timeout: float = 10.0
    connect_retries: int = 2
    retry_backoff: float = 1.0
    keepalive_interval: float = 15.0
    max_channels: int = 64
    max_channels_per_host: int = 4


@dataclass(frozen=True, slots=True)
class CommandResult:
    argv: tuple[str, ...]
    exit_status: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


def remote_command(argv: Sequence[str]) -> str:
    """The one string SSH sends: every element quoted, so the remote shell only splits it."""
    if not argv:
        raise ValueError("an empty command")
    return shlex.join(argv)


def _asyncssh() -> Any:
    try:
        import asyncssh
    except ImportError:
        raise SshUnavailable(
            "the ssh executor needs asyncssh: pip install 'fleetpatch[ssh]'"
        ) from None
    return asyncssh


@dataclass(eq=False)
class SshConnection:
    """One live connection to one host; commands on it share it (at most the per-host cap)."""

    client: SshClient
    endpoint: SshEndpoint
    conn: asyncssh.SSHClientConnection
    channels: asyncio.Semaphore
    last_used: float = field(default_factory=time.monotonic)

    def run(
        self, argv: Sequence[str], *, timeout: float, input_text: str | None = None
    ) -> CommandResult:
        """Run `argv`; a non-zero exit is a result, not an error. Raises `SshCommandTimedOut`
        or `SshDisconnected`."""
        self.last_used = time.monotonic()
        coro = self._run(tuple(argv), timeout, input_text)
        return self.client.call(coro, timeout + _LOOP_SLACK)

    async def _run(
        self, argv: tuple[str, ...], timeout: float, input_text: str | None
    ) -> CommandResult:
        ssh = _asyncssh()
        started = time.monotonic()
        async with self.client.channels, self.channels:
            try:
                done = await self.conn.run(
                    remote_command(argv), input=input_text, timeout=timeout, check=False
                )
            except ssh.TimeoutError as exc:
                raise SshCommandTimedOut(
                    f"{argv[0]} did not finish within {timeout:g}s on {self.endpoint.label}"
                ) from exc
            except (ssh.Error, OSError) as exc:
                raise SshDisconnected(f"{self.endpoint.label}: {_why(exc)}") from exc
        status = done.exit_status
        if status is None:  # ended by a signal, or the channel closed under it
            status = -1 if done.exit_signal is None else 128
        return CommandResult(
            argv, status, _text(done.stdout), _text(done.stderr), time.monotonic() - started
        )

    def close(self) -> None:
        self.client.forget(self)


class SshClient:
    """Connections and the event loop they live on. Thread-safe; `close()` when done."""

    def __init__(self, limits: SshLimits | None = None) -> None:
        self.limits = limits or SshLimits()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._channels: asyncio.Semaphore | None = None
        self._open: set[SshConnection] = set()

    @property
    def channels(self) -> asyncio.Semaphore:
        assert self._channels is not None
        return self._channels

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="fp-ssh", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
                self._channels = self.call(_semaphore(self.limits.max_channels), _LOOP_SLACK)
            return self._loop

    def call(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        loop = self._loop or self._ensure_loop()
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise SshCommandTimedOut(f"no answer from the SSH loop within {timeout:g}s") from None

    def connect(self, endpoint: SshEndpoint) -> SshConnection:
        """Connect, retrying transient failures (never a refused host key)."""
        _asyncssh()
        if not endpoint.known_hosts.is_file():
            raise HostKeyRefused(
                f"{endpoint.label}: known_hosts file {endpoint.known_hosts} does not exist; "
                "add the host's key there (ssh-keyscan, checked by hand) first"
            )
        self._ensure_loop()
        limits = self.limits
        delay = limits.retry_backoff
        for attempt in range(limits.connect_retries + 1):
            try:
                return self.call(self._connect(endpoint), limits.connect_timeout + _LOOP_SLACK)
            except SshConnectFailed:
                if attempt == limits.connect_retries:
                    raise
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    async def _connect(self, endpoint: SshEndpoint) -> SshConnection:
        ssh = _asyncssh()
        limits = self.limits
        keys = [str(p) for p in endpoint.key_files] or None
        try:
            conn = await ssh.connect(
                endpoint.address,
                port=endpoint.port,
                username=endpoint.user,
                known_hosts=str(endpoint.known_hosts),
                client_keys=keys,
                agent_path=endpoint.agent_path,
                config=[],
                password_auth=False,
                kbdint_auth=False,
                connect_timeout=limits.connect_timeout,
                login_timeout=limits.connect_timeout,
                keepalive_interval=limits.keepalive_interval,
            )
        except ssh.HostKeyNotVerifiable as exc:
            raise HostKeyRefused(
                f"{endpoint.label}: host key not trusted ({_why(exc)}): it is missing from or "
                f"differs from {endpoint.known_hosts}; the host was not touched"
            ) from exc
        except ssh.PermissionDenied as exc:
            raise SshConnectFailed(f"{endpoint.label}: login refused ({_why(exc)})") from exc
        except (TimeoutError, ssh.Error, OSError) as exc:
            raise SshConnectFailed(f"{endpoint.label}: cannot connect ({_why(exc)})") from exc
        per_host = asyncio.Semaphore(limits.max_channels_per_host)
        found = SshConnection(self, endpoint, conn, per_host)
        self._open.add(found)
        return found

    def forget(self, connection: SshConnection) -> None:
        """Close one connection (a host done, or one a reboot is about to drop)."""
        self._open.discard(connection)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(connection.conn.close)

    async def _close_all(self) -> None:
        for connection in list(self._open):
            connection.conn.close()
            await connection.conn.wait_closed()
        self._open.clear()

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._close_all(), loop)
        try:
            future.result(_LOOP_SLACK)
        except Exception:  # closing is best effort: the loop stops either way
            future.cancel()
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=5)
        loop.close()


async def _semaphore(size: int) -> asyncio.Semaphore:
    return asyncio.Semaphore(max(1, size))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _why(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
