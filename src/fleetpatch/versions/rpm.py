"""RPM version ordering: `rpmvercmp` for one field, `[epoch:]version[-release]` for an EVR.

Why our own code: univers' RPM ordering disagrees with rpm 4.18 on caret (`^`) versions and on
the odd-epoch EVRs that real advisories carry, and python3-rpm is a C extension of the system
Python that a virtualenv cannot import. The algorithm is small and well specified by rpm's own
test-suite (tests/rpmvercmp.at), which the tests replay in full, together with a differential
test against python3-rpm on thousands of real AlmaLinux EVRs.

`vercmp(a, b)` follows rpm 4.18 `rpmvercmp`: the strings are cut into maximal runs of ASCII
digits or ASCII letters, plus the single characters `~` and `^`; everything else only separates
runs (so `1.0`, `1_0` and `1+0` are equal, and non-ASCII letters are separators). Runs are
compared in turn: `~` sorts before anything (even the end), the end before `^`, `^` before any
run, a letter run before a digit run, letters by byte value, digits numerically. As a key, each
token becomes `(class, value)` with classes tilde 0 < end 1 < caret 2 < letters 3 < digits 4,
and the token list is closed with an end token, so tuple order equals `rpmvercmp`.

An EVR is split like python3-rpm users split it (and like osv-scalibr does): the epoch is what
precedes the first `:`, the release what follows the last `-` of the rest. Epochs are compared
with `rpmvercmp` too (real data has epochs like `1.m+e2`), a missing epoch counts as `0`, and,
as in `rpm.labelCompare`, a missing release sorts before any release, even an empty one
(`1 < 1-`). An empty version (e.g. `1:` or `+2-:`) is invalid: python3-rpm's labelCompare
raises "invalid version" for it, and so do we.
"""

from __future__ import annotations

import functools
import re

from fleetpatch.errors import VersionError
from fleetpatch.versions.base import FunctionScheme, check_bounds, shown, sign

NAME = "rpm"
_TOKEN = re.compile(r"([0-9]+)|([A-Za-z]+)|(~)|(\^)")
_TILDE, _END, _CARET, _ALPHA, _DIGIT = 0, 1, 2, 3, 4

FieldKey = tuple[int | str, ...]
Key = tuple[FieldKey, FieldKey, tuple[int, FieldKey]]


@functools.lru_cache(maxsize=262144)
def field_key(text: str) -> FieldKey:
    """Key of one version field (epoch, version or release) that sorts like `rpmvercmp`."""
    check_bounds(NAME, text)
    out: list[int | str] = []
    for digits, letters, tilde, _caret in _TOKEN.findall(text):
        if digits:
            out += (_DIGIT, int(digits))
        elif letters:
            out += (_ALPHA, letters)
        elif tilde:
            out += (_TILDE, 0)
        else:
            out += (_CARET, 0)
    out += (_END, 0)
    return tuple(out)


def vercmp(a: str, b: str) -> int:
    """-1, 0 or 1 like rpm's `rpmvercmp(a, b)` on one field (no epoch/release split)."""
    return sign(field_key(a), field_key(b))


def split_evr(version: str) -> tuple[str | None, str, str | None]:
    """`[epoch:]version[-release]` as (epoch or None, version, release or None)."""
    epoch, colon, rest = version.partition(":")
    if not colon:
        epoch_part: str | None = None
        rest = version
    else:
        epoch_part = epoch
    ver, hyphen, release = rest.rpartition("-")
    if not hyphen:
        return epoch_part, rest, None
    return epoch_part, ver, release


@functools.lru_cache(maxsize=262144)
def key(version: str) -> Key:
    """Tuple key ordering EVR strings like `rpm.labelCompare`; raises VersionError if invalid."""
    validate(version)
    epoch, ver, release = split_evr(version)
    release_key = (0, ()) if release is None else (1, field_key(release))
    return (field_key("0" if epoch is None else epoch), field_key(ver), release_key)


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 comparing two `[epoch:]version[-release]` strings."""
    return sign(key(a), key(b))


def validate(version: str) -> None:
    """Raise VersionError for an empty string, blanks, an empty version field, or a version too
    long (or with a numeric part too long) to be real."""
    if not version:
        raise VersionError(f"invalid rpm version {version!r}: version string is empty")
    check_bounds(NAME, version)
    if any(ch.isspace() for ch in version):
        raise VersionError(f"invalid rpm version {shown(version)}: version string has spaces")
    if not split_evr(version)[1]:
        raise VersionError(f"invalid rpm version {shown(version)}: version field is empty")


SCHEME = FunctionScheme(NAME, compare, key, validate)
