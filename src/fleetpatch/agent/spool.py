"""The spool: reports that could not be sent yet, kept on disk until the server takes them.

One file per report, named by the time it was spooled and a digest of its body, written to a
temporary name and renamed into place, so a crash leaves either the whole report or none. The
spool is bounded in count and bytes: when a new report does not fit, the oldest are dropped
first, and each drop is said (returned to the caller, which prints it): a fleet server that
has been down for months must not fill a host's disk, and a report dropped is never silent.
Sending goes oldest first, so the server sees reports in the order they were collected.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from fleetpatch.errors import InputError

SUFFIX = ".json"


@dataclass(frozen=True, slots=True)
class Spool:
    directory: Path
    max_reports: int = 100
    max_bytes: int = 256 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.max_reports < 1 or self.max_bytes < 1:
            raise InputError("spool: max reports and max bytes must be at least 1")

    def add(self, body: bytes) -> list[str]:
        """Keep `body`; returns a line for each older report dropped to make room."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise InputError(f"--spool-dir {self.directory}: cannot create it: {exc}") from exc
        digest = hashlib.sha256(body).hexdigest()[:16]
        name = f"{time.time_ns():020d}-{digest}{SUFFIX}"
        temporary = self.directory / f".{name}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            temporary.replace(self.directory / name)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return self._trim()

    def pending(self) -> list[Path]:
        """The spooled reports, oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.iterdir() if _spooled(p))

    def _trim(self) -> list[str]:
        files = self.pending()
        sizes = {p: p.stat().st_size for p in files}
        total = sum(sizes.values())
        dropped: list[str] = []
        # Never drop the newest (the one just added), even if it alone is over the byte bound.
        while len(files) > 1 and (len(files) > self.max_reports or total > self.max_bytes):
            oldest = files.pop(0)
            total -= sizes[oldest]
            oldest.unlink(missing_ok=True)
            dropped.append(
                f"spool {self.directory} full ({self.max_reports} reports, "
                f"{self.max_bytes} bytes): dropped the oldest report {oldest.name}"
            )
        return dropped


def default_directory() -> Path:
    """Where reports wait when no `--spool-dir` is given: the system spool as root, else the
    user's state directory."""
    if os.geteuid() == 0:
        return Path("/var/spool/fleetpatch")
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "fleetpatch" / "spool"


def _spooled(path: Path) -> bool:
    return path.is_file() and path.suffix == SUFFIX and not path.name.startswith(".")
