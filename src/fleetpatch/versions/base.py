"""The one interface every version scheme implements.

A *scheme* is a total preorder over version strings of one packaging system (dpkg, RPM, apk).
It answers three questions: is this string a version (`validate`), how do two versions order
(`compare`, -1/0/1), and what plain Python value sorts like the version (`key`). Keys are tuples
of ints and strings built once per distinct version and cached, so `sorted(..., key=...)` and
`max(..., key=...)` over many versions cost one parse per distinct string, not one per pair.

Two versions compare equal when their keys are equal, and `compare(a, b)` is always
`(key(a) > key(b)) - (key(a) < key(b))`: each scheme proves its key reproduces its tool's
comparison (see the scheme modules and tests/versions).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fleetpatch.errors import VersionError

MAX_LENGTH = 255
"""No packaging system's real versions come near this (the store's version columns hold 255); a
longer string is an attack or a bug."""
MAX_DIGITS = 64
"""Longest numeric part (run of digits) a version may have: real ones have up to ~20 (dates and
times run together); a longer run would be slow to convert, or refused by Python's `int`."""
_LONG_RUN = re.compile(f"[0-9]{{{MAX_DIGITS + 1}}}")
_SHOWN = 60


class VersionScheme(Protocol):
    """Ordering of one packaging system's version strings."""

    @property
    def name(self) -> str:
        """Short scheme name: "dpkg", "rpm" or "apk"."""
        ...

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as `a` is older than, the same as, or newer than `b`."""
        ...

    def key(self, version: str) -> Any:
        """A comparable value that sorts like `version`; raises VersionError when invalid."""
        ...

    def validate(self, version: str) -> None:
        """Raise `fleetpatch.errors.VersionError` when `version` is not a valid version."""
        ...


def sign(a: Any, b: Any) -> int:
    """-1, 0 or 1 from two comparable keys."""
    return int(a > b) - int(a < b)


@dataclass(frozen=True, slots=True)
class FunctionScheme:
    """A `VersionScheme` made of a scheme module's three functions."""

    name: str
    compare: Callable[[str, str], int]
    key: Callable[[str], Any]
    validate: Callable[[str], None]


def shown(version: str) -> str:
    """`repr(version)`, cut short for messages: a hostile version may be a megabyte long."""
    if len(version) <= _SHOWN:
        return repr(version)
    return f"{version[:_SHOWN]!r}... ({len(version)} characters)"


def check_bounds(scheme: str, version: str) -> None:
    """Raise VersionError for a version too long, or with a numeric part too long, to be real."""
    if len(version) > MAX_LENGTH:
        raise VersionError(
            f"invalid {scheme} version {shown(version)}: longer than {MAX_LENGTH} characters"
        )
    if _LONG_RUN.search(version):
        raise VersionError(
            f"invalid {scheme} version {shown(version)}: a numeric part longer than "
            f"{MAX_DIGITS} digits"
        )
