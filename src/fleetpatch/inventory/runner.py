"""The seam through which collectors run commands: argv in, stdout out.

One method, so a collector can run locally, over SSH or against a recorded fake without knowing
which. Commands are argv lists, never shell strings: package and host data can never be
interpreted by a shell.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from fleetpatch.errors import CollectError


class Runner(Protocol):
    def run(self, argv: Sequence[str]) -> str:
        """Run `argv` and return its standard output; raise `CollectError` if it fails."""
        ...


@dataclass(frozen=True, slots=True)
class SubprocessRunner:
    """Runs commands on this machine with a visible timeout (seconds)."""

    timeout: float = 120.0

    def run(self, argv: Sequence[str]) -> str:
        try:
            done = subprocess.run(
                list(argv), capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except FileNotFoundError:
            raise CollectError(f"{argv[0]}: command not found") from None
        except subprocess.TimeoutExpired:
            raise CollectError(f"{argv[0]}: timed out after {self.timeout:g}s") from None
        if done.returncode != 0:
            detail = done.stderr.strip().splitlines()
            reason = detail[-1] if detail else f"exit status {done.returncode}"
            raise CollectError(f"{' '.join(argv[:2])}: {reason}")
        return done.stdout


@dataclass(slots=True)
class FakeRunner:
    """Answers commands from a table and records every call, for tests and the simulator.

    A command missing from the table fails like a missing binary would.
    """

    outputs: Mapping[tuple[str, ...], str]
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def run(self, argv: Sequence[str]) -> str:
        key = tuple(argv)
        self.calls.append(key)
        if key not in self.outputs:
            raise CollectError(f"{argv[0]}: command not found")
        return self.outputs[key]
