"""The exception tree.

Every error the core raises is a `FleetpatchError`. The CLI and the web layer turn them into a
one-line message and an exit or status code; the core never formats for humans beyond `str(exc)`.
"""

from __future__ import annotations


class FleetpatchError(Exception):
    """Root of every error fleetpatch raises on purpose."""


class InputError(FleetpatchError):
    """Bad input from a user: a file, a field, an argument. Exit code 2."""


class VersionError(InputError):
    """A version string that the scheme cannot parse."""


class PolicyError(InputError):
    """A fleet policy that does not validate. Carries one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ReportError(InputError):
    """A host report that does not validate."""


class ParseError(InputError):
    """A package database, os-release or other file that cannot be parsed."""


class CollectError(FleetpatchError):
    """Collecting facts from a host failed (a command or a file was not there)."""


class StoreError(FleetpatchError):
    """The store could not be opened, migrated or written."""


class NotFoundError(FleetpatchError):
    """A named thing (host, bucket, advisory) does not exist."""
