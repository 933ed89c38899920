"""Policy regular expressions, run by RE2 so that matching takes time linear in the input (pure).

A policy's patterns are written once, but the strings they run against come from host reports,
which anyone who can post a report controls. Python's `re` backtracks: `(a+)+$` against a long
run of `a` followed by `!` takes time exponential in its length, and classification runs on every
evaluation and every report. RE2 never backtracks, and refuses the features that need it —
backreferences (`\\1`, `(?P=name)`) and lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`) — so such a
pattern is a policy error rather than a slow path.

Matching is a *full* match, as before RE2. One difference from `re` remains: RE2's `\\d`, `\\w`
and `\\s` are ASCII classes, where `re` also matches other Unicode digits, letters and spaces;
hostnames are ASCII, so that only shows on a report that names a host in another script.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import re2

_OPTIONS: Any = re2.Options()
_OPTIONS.log_errors = False  # the reason is in the exception; RE2 would also print it to stderr

UNSUPPORTED = "pattern not supported (RE2 has no backreferences or lookaround)"


def check_pattern(pattern: str) -> None:
    """Raise ValueError, with a one-line reason, for a pattern RE2 cannot run."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    try:
        _compiled(pattern)
    except re2.error as exc:
        raise ValueError(f"{UNSUPPORTED}: {pattern!r}: {_reason(exc)}") from None


def fullmatches(pattern: str, text: str) -> bool:
    """Whether `pattern` matches the whole of `text`, in time linear in `len(text)`."""
    return _compiled(pattern).fullmatch(text) is not None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    return re2.compile(pattern, _OPTIONS)


def _reason(exc: Exception) -> str:
    detail = exc.args[0] if exc.args else exc
    return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
