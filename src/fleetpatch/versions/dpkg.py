"""Debian version ordering, exactly as dpkg orders `[epoch:]upstream[-revision]`.

Why our own code rather than python-debian's `Version`: python-debian rejects a version with a
leading space that dpkg trims and accepts (apt's test vectors hold one), it does not tell dpkg's
hard errors from the "accepted with a warning" cases, and it compares character by character in
Python for every pair. Here a version is parsed once into a tuple key and cached, so sorting and
`max()` over thousands of versions are plain tuple comparisons. python-debian stays a differential
check in the tests.

Parsing follows dpkg's `parseversion()`:

* leading and trailing blanks are trimmed; an empty string, a blank-only string, inner blanks,
  an empty, non-numeric, negative or too large (> 2**31-1) epoch, nothing after the epoch colon,
  an empty revision after the last hyphen and an empty upstream part are **errors**;
* an upstream part not starting with a digit and characters outside `[A-Za-z0-9.+~:-]`
  (upstream) or `[A-Za-z0-9.+~]` (revision) are **warnings**: dpkg accepts and orders such
  versions, and so do we (`parse(v).warnings` lists them).

The empty string is an error here although `dpkg --compare-versions "" eq ""` exits 0: dpkg
treats an empty argument as "no version", which is not a version a package can have.

Ordering follows dpkg's `verrevcmp()`: epochs numerically, then upstream, then revision, each
split into alternating non-digit and digit runs. Non-digit runs compare character by character
with `~` before end-of-run before letters before everything else (bytes, so UTF-8 text orders
by its bytes); digit runs compare numerically, an absent run counting as 0. The key encodes
each run as `(orders..., 0, number)` plus a final 0, which makes tuple order equal
`verrevcmp` order (no key is a proper prefix of another, and "end of string" compares as 0).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from fleetpatch.errors import VersionError
from fleetpatch.versions.base import FunctionScheme, check_bounds, shown, sign

NAME = "dpkg"
_MAX_EPOCH = 2**31 - 1
_SPACE = " \t\n\v\f\r"
_RUN = re.compile(r"([^0-9]*)([0-9]*)")
_EPOCH = re.compile(r"[+-]?[0-9]+")
_UPSTREAM_OK = re.compile(r"[A-Za-z0-9.+~:-]*")
_REVISION_OK = re.compile(r"[A-Za-z0-9.+~]*")


def _char_order(code: int) -> int:
    if code == 0x7E:  # "~" sorts before everything, even the end of the string
        return -1
    if 0x41 <= code <= 0x5A or 0x61 <= code <= 0x7A:
        return code
    return code + 256


_ORDER = {chr(i): _char_order(i) for i in range(256)}

Key = tuple[int, tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class DpkgVersion:
    """A parsed Debian version; `warnings` lists what dpkg would warn about."""

    epoch: int
    upstream: str
    revision: str
    warnings: tuple[str, ...] = ()


def _fail(version: str, reason: str) -> VersionError:
    return VersionError(f"invalid dpkg version {shown(version)}: {reason}")


def _split_epoch(version: str, text: str) -> tuple[int, str]:
    head, colon, rest = text.partition(":")
    if not colon:
        return 0, text
    match = _EPOCH.match(head)
    if match is None:
        raise _fail(version, "epoch in version is empty")
    if match.end() != len(head):
        raise _fail(version, "epoch in version is not number")
    epoch = int(head)
    if epoch < 0:
        raise _fail(version, "epoch in version is negative")
    if epoch > _MAX_EPOCH:
        raise _fail(version, "epoch in version is too big")
    if not rest:
        raise _fail(version, "nothing after colon in version number")
    return epoch, rest


def _warnings(upstream: str, revision: str) -> tuple[str, ...]:
    found = []
    if not upstream[0].isascii() or not upstream[0].isdigit():
        found.append("version number does not start with digit")
    if _UPSTREAM_OK.fullmatch(upstream) is None:
        found.append("invalid character in version number")
    if _REVISION_OK.fullmatch(revision) is None:
        found.append("invalid character in revision number")
    return tuple(found)


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> DpkgVersion:
    """Split `version` like dpkg does; raise VersionError where dpkg reports an error (and, unlike
    dpkg, for a version too long or with a numeric part too long to be real)."""
    check_bounds(NAME, version)
    text = version.strip(_SPACE)
    if not text:
        raise _fail(version, "version string is empty")
    if any(ch in _SPACE for ch in text):
        raise _fail(version, "version string has embedded spaces")
    epoch, rest = _split_epoch(version, text)
    upstream, hyphen, revision = rest.rpartition("-")
    if not hyphen:
        upstream, revision = rest, ""
    elif not revision:
        raise _fail(version, "revision number is empty")
    if not upstream:
        raise _fail(version, "version number is empty")
    return DpkgVersion(epoch, upstream, revision, _warnings(upstream, revision))


def _part_key(part: str) -> tuple[int, ...]:
    if not part.isascii():  # dpkg compares bytes: give each UTF-8 byte its own position
        part = part.encode("utf-8", "surrogatepass").decode("latin-1")
    out: list[int] = []
    pos, end = 0, len(part)
    while True:
        match = _RUN.match(part, pos)
        assert match is not None  # the pattern matches the empty string
        letters, digits = match.groups()
        out.extend(_ORDER[ch] for ch in letters)
        out.append(0)
        out.append(int(digits) if digits else 0)
        pos = match.end()
        if pos >= end:
            break
    out.append(0)
    return tuple(out)


@functools.lru_cache(maxsize=262144)
def key(version: str) -> Key:
    """Tuple key ordering exactly like dpkg; raises VersionError on a dpkg error."""
    parsed = parse(version)
    return (parsed.epoch, _part_key(parsed.upstream), _part_key(parsed.revision))


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 like `dpkg --compare-versions a lt/eq/gt b`."""
    return sign(key(a), key(b))


def validate(version: str) -> None:
    """Raise VersionError when dpkg would refuse `version` (warnings are accepted)."""
    parse(version)


SCHEME = FunctionScheme(NAME, compare, key, validate)
