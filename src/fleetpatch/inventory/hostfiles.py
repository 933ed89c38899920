"""Read-only access to a host's files below a root directory (`/`, an image or a chroot).

Paths are given relative to the root, so the same collector reads a live host, a mounted image
or a test tree. Missing files are normal (a container has no `/boot`), so reads return None or
an empty listing instead of raising; unreadable ones (permissions) raise `CollectError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from fleetpatch.errors import CollectError


class FileReader(Protocol):
    """What a collector reads a host's files through: below a local root, or over a transport
    (`inventory.remotefiles`). Same answers for a missing file: None, or an empty listing."""

    @property
    def root(self) -> Path: ...

    def read(self, rel: str) -> str | None: ...

    def first_line(self, rel: str) -> str: ...

    def mtime(self, rel: str) -> datetime | None: ...

    def exists(self, rel: str) -> bool: ...

    def listdir(self, rel: str) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class HostFiles:
    root: Path

    def path(self, rel: str) -> Path:
        return self.root / rel.lstrip("/")

    def read(self, rel: str) -> str | None:
        """The file's text (UTF-8, undecodable bytes replaced), or None if it does not exist."""
        path = self.path(rel)
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as exc:
            raise CollectError(f"{path}: {exc.strerror or exc}") from None

    def first_line(self, rel: str) -> str:
        text = self.read(rel)
        return text.strip().splitlines()[0].strip() if text and text.strip() else ""

    def mtime(self, rel: str) -> datetime | None:
        try:
            return datetime.fromtimestamp(self.path(rel).stat().st_mtime, UTC)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def exists(self, rel: str) -> bool:
        return self.path(rel).exists()

    def listdir(self, rel: str) -> tuple[str, ...]:
        """Entry names, sorted; empty when the directory does not exist."""
        try:
            return tuple(sorted(entry.name for entry in self.path(rel).iterdir()))
        except (FileNotFoundError, NotADirectoryError):
            return ()
