"""A host's files and commands reached through any transport that runs argv lists.

`CommandFiles` answers the collector's file questions with `cat`, `stat`, `test` and `ls` on the
host, so the one collection routine of `collector.py` serves SSH as it serves a local root: the
same parsers read the same bytes. `exec_` runs an argv list on the host and returns its exit
status and stdout; it is the transport's job to quote (see `connect.ssh.remote_command`).
A missing file reads as None, as below a local root; a file the login may not read is a
`CollectError` (collecting it wrong would be worse than not collecting it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fleetpatch.errors import CollectError

Exec = Callable[[Sequence[str]], tuple[int, str, str]]


@dataclass(frozen=True, slots=True)
class CommandFiles:
    exec_: Exec
    root: Path = Path("/")

    def _path(self, rel: str) -> str:
        return "/" + rel.lstrip("/")

    def read(self, rel: str) -> str | None:
        status, out, err = self.exec_(["cat", "--", self._path(rel)])
        if status == 0:
            return out
        if "Permission denied" in err:
            raise CollectError(f"{self._path(rel)}: permission denied")
        return None

    def first_line(self, rel: str) -> str:
        text = self.read(rel)
        return text.strip().splitlines()[0].strip() if text and text.strip() else ""

    def mtime(self, rel: str) -> datetime | None:
        status, out, _ = self.exec_(["stat", "-c", "%Y", "--", self._path(rel)])
        if status != 0 or not out.strip().isdigit():
            return None
        return datetime.fromtimestamp(int(out.strip()), UTC)

    def exists(self, rel: str) -> bool:
        return self.exec_(["test", "-e", self._path(rel)])[0] == 0

    def listdir(self, rel: str) -> tuple[str, ...]:
        # The trailing slash makes `ls` fail on a plain file, as a local listing would.
        status, out, _ = self.exec_(["ls", "-1A", "--", self._path(rel).rstrip("/") + "/"])
        if status != 0:
            return ()
        return tuple(sorted(line for line in out.splitlines() if line))


@dataclass(frozen=True, slots=True)
class CommandRunner:
    """The collector's `Runner` over the same transport: stdout, or `CollectError`."""

    exec_: Exec

    def run(self, argv: Sequence[str]) -> str:
        status, out, err = self.exec_(list(argv))
        if status != 0:
            detail = err.strip().splitlines()
            reason = detail[-1] if detail else f"exit status {status}"
            raise CollectError(f"{' '.join(argv[:2])}: {reason}")
        return out
