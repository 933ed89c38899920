"""The exception tree.

Every error the core raises is a `FleetpatchError`. The CLI and the web layer turn them into a
one-line message and an exit or status code; the core never formats for humans beyond `str(exc)`.
Each class carries its exit code, its HTTP status and whether trying again may help, so the CLI,
the web layer and (later) the run engine read one table instead of three.

| class | exit | HTTP | meaning |
| --- | --- | --- | --- |
| `InputError` | 2 | 400 | bad input from the user: a file, a field, an argument |
| `NotFoundError` | 2 | 404 | a named host, bucket, owner or advisory does not exist |
| `StoreError` | 3 | 503 | the store could not be opened, migrated or written |
| `FleetpatchError` | 3 | 500 | any other failure |
"""

from __future__ import annotations


class FleetpatchError(Exception):
    """Root of every error fleetpatch raises on purpose."""

    exit_code: int = 3
    http_status: int = 500
    retryable: bool = False


class InputError(FleetpatchError):
    """Bad input from a user: a file, a field, an argument. Exit code 2."""

    exit_code = 2
    http_status = 400


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

    http_status = 503
    retryable = True


class StoreUrlError(InputError):
    """The store URL names a database that cannot be used: a missing driver, an unsupported
    dialect, an unparseable URL, or a SQLite file that does not exist for a read-only command."""


class NotFoundError(FleetpatchError):
    """A named thing (host, bucket, advisory) does not exist."""

    exit_code = 2
    http_status = 404
