"""The exception tree.

Every error the core raises is a `FleetpatchError`. The CLI and the web layer turn them into a
one-line message and an exit or status code; the core never formats for humans beyond `str(exc)`.
Each class carries its exit code, its HTTP status and whether trying again may help, so the CLI,
the web layer and (later) the run engine read one table instead of three.

| class | exit | HTTP | meaning |
| --- | --- | --- | --- |
| `InputError` | 2 | 400 | bad input from the user: a file, a field, an argument |
| `NotFoundError` | 2 | 404 | a named host, bucket, owner or advisory does not exist |
| `UnknownNameError` | 2 | 404 | a `NotFoundError` for a name someone typed, with "did you mean" |
| `StoreError` | 3 | 503 | the store could not be opened, migrated or written |
| `FleetpatchError` | 3 | 500 | any other failure |
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from difflib import SequenceMatcher

SUGGESTIONS = 3
"""At most this many close names are suggested for an unknown one."""
CLOSENESS = 0.6
"""The similarity (`difflib.SequenceMatcher.ratio`) a known name needs to be suggested; 0.6 is
`difflib.get_close_matches`'s own default."""
SHORTLIST = 2000
"""Known names compared in full at most: `difflib` takes seconds over 100,000 hostnames or CVE
ids, so a longer list is first narrowed to the names sharing the longest prefix with the typed
one (a typo in the first characters then goes without a suggestion)."""


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


class UnknownNameError(NotFoundError):
    """A name someone typed (a host, bucket, owner, advisory or run id) that nothing carries.

    Every command and page that takes such a name raises this one class, so they all say the same
    line: `no host 'web-1'; did you mean 'web-01', 'web-11'?`. `where` narrows the claim
    (`" in the policy"`); `hint` is said only when no known name is close, where a suggestion
    would have been (`" (buckets: a, b)"`).
    """

    def __init__(
        self, kind: str, name: str, known: Iterable[str], *, where: str = "", hint: str = ""
    ) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = tuple(close_names(name, known))
        if self.suggestions:
            hint = f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?"
        super().__init__(f"no {kind} {name!r}{where}{hint}")


def close_names(name: str, known: Iterable[str]) -> list[str]:
    """Up to `SUGGESTIONS` known names most like `name`, best first and equals A to Z (so
    `db-1` suggests `db-01, db-02`, not `db-09, db-08`); none when nothing is close."""
    matcher = SequenceMatcher(b=name)
    scored = []
    for candidate in _shortlist(name, known):
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() < CLOSENESS or matcher.quick_ratio() < CLOSENESS:
            continue
        if (ratio := matcher.ratio()) >= CLOSENESS:
            scored.append((-ratio, candidate))
    return [candidate for _, candidate in heapq.nsmallest(SUGGESTIONS, scored)]


def _shortlist(name: str, known: Iterable[str]) -> list[str]:
    """The known names sharing the longest prefix (ignoring case) with `name` that still leaves at
    most `SHORTLIST` of them; all of them when there are that few."""
    pairs = [(k.casefold(), k) for k in set(known)]
    folded = name.casefold()
    length = 0
    while len(pairs) > SHORTLIST and length < len(folded):
        length += 1
        prefix = folded[:length]
        pairs = [p for p in pairs if p[0].startswith(prefix)]
    return [original for _, original in pairs]
