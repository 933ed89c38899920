"""Alpine (apk) version ordering, following apk-tools' token comparison.

Grammar (apk-tools 3, doc/apk-package.5):
`number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}` with one optional lower-case
letter, suffixes `alpha beta pre rc` (pre-releases, before the bare version) and
`cvs svn git hg p` (after it), a lower-case hex commit hash and a build revision.
`validate()` enforces that grammar exactly (the validity lines of apk-tools' version.data).

Comparison is apk-tools' token walk, which also orders strings outside the grammar (`apk
version -t` accepts them, and real data has a few), so `compare()` only refuses empty or
non-printable/non-ASCII text. Each version is read as a sequence of tokens, each with a *type*
(number after `.`, number, letter, suffix, suffix number, hash, revision, end, invalid) and a
*value*. The walk compares values while the types agree; where the types part, a pre-release
suffix sorts first, then a *later* token type sorts *lower* (so `1.2 < 1.2.1` but
`1.2_rc1 < 1.2` and `1.2 < 1.2_p1`). A number after `.` that starts with `0` compares as a
string and below any number without a leading zero (apk-tools 3: `8.2.0015 < 8.2.002`).
Reading stops at the first character apk cannot place ("invalid"); an invalid tail sorts below
every other token type, and two versions invalid at the same place are equal.

Three rules for malformed strings are *inferred from the vectors*, not read from apk-tools'
source (there is no apk binary here to ask): a `.` directly followed by a letter sorts below
any other token but the walk continues (`0.r1 < 0r2`, `0.8.21.r2 > 0.8.21.r1`); `-r` followed
by a letter is invalid at the `-` (`1 > 1-ruff`, `1-ruff2 = 1--ruff1`); and a commit hash
(`~1234abcd`, apk-tools 3) compares as a string and sorts after suffixes, before the revision.
osv-scalibr notes that some of these lines differ between apk-tools releases.

The key is the flat sequence `value0, rank(type1), value1, rank(type2), ...` closed by the rank
of `end` or `invalid`, so tuple order is the walk's order. Why our own code: univers' Alpine
ordering rejects or misorders some forms in the data (commit hashes, invalid tails) and there
is no Python binding to apk-tools; this is a clean reading of the algorithm, tested line by
line against apk-tools' test/unit/version.data and osv-scalibr's Alpine vectors (13,979 of
them ordered by a real `apk version -t`).

`fuzzy_match(a, b)` is apk's `~` operator (`a ~ b`: `b` is a token prefix of `a`).
"""

from __future__ import annotations

import functools
import re

from fleetpatch.errors import VersionError
from fleetpatch.versions.base import FunctionScheme, check_bounds, shown, sign

NAME = "apk"

INVALID, DIGIT_OR_ZERO, DIGIT, LETTER, SUFFIX, SUFFIX_NO, HASH, REVISION_NO, END = range(-1, 8)
_PRE = ("alpha", "beta", "pre", "rc")
_POST = ("cvs", "svn", "git", "hg", "p")
_GRAMMAR = re.compile(
    r"[0-9]+(?:\.[0-9]+)*[a-z]?(?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*"
    r"(?:~[0-9a-f]+)?(?:-r[0-9]+)?"
)
_PRE_RANK = -100
_EMPTY_DOT = (-1, 0)  # value of a `.` directly followed by a letter
_HEX = frozenset("0123456789abcdef")
_DIGITS = frozenset("0123456789")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
# after `type`, which token types may follow even though they come earlier in the grammar
_BACKWARDS_OK = frozenset({(DIGIT, DIGIT_OR_ZERO), (SUFFIX_NO, SUFFIX), (LETTER, DIGIT)})

Value = int | str | tuple[int, int | str]
Token = tuple[int, Value]
Key = tuple[Value, ...]


def _next_type(kind: int, text: str, pos: int) -> tuple[int, int]:
    """The type of the token starting at `pos` after a token of type `kind`; new position."""
    if pos >= len(text):
        return END, pos
    ch = text[pos]
    if kind in (DIGIT, DIGIT_OR_ZERO) and ch in _LOWER:
        new = LETTER
    elif kind == LETTER and ch in _DIGITS:
        new = DIGIT
    elif kind == SUFFIX and ch in _DIGITS:
        new = SUFFIX_NO
    else:
        new, pos = _separator(text, pos)
    if new < kind and (kind, new) not in _BACKWARDS_OK:
        new = INVALID
    return new, pos


def _separator(text: str, pos: int) -> tuple[int, int]:
    ch = text[pos]
    if ch == ".":
        return DIGIT_OR_ZERO, pos + 1
    if ch == "_":
        return SUFFIX, pos + 1
    if ch == "~":
        return HASH, pos + 1
    if ch == "-" and text[pos + 1 : pos + 2] == "r":
        return REVISION_NO, pos + 2
    return INVALID, pos + 1


def _read_value(kind: int, text: str, pos: int) -> tuple[Value | None, int, int | None]:
    """Value of the token of type `kind` at `pos`, its end, and the next type if forced."""
    end = pos
    if kind in (DIGIT_OR_ZERO, DIGIT, SUFFIX_NO, REVISION_NO):
        while end < len(text) and text[end] in _DIGITS:
            end += 1
        digits = text[pos:end]
        if not digits and text[end : end + 1] in _LOWER:
            if kind == REVISION_NO:
                return None, pos, INVALID
            if kind == DIGIT_OR_ZERO:
                return _EMPTY_DOT, end, None
        number = int(digits) if digits else 0
        if kind == DIGIT_OR_ZERO:
            return ((0, digits) if digits.startswith("0") else (1, number)), end, None
        return number, end, None
    if kind == LETTER:
        return ord(text[pos]), pos + 1, None
    if kind == HASH:
        while end < len(text) and text[end] in _HEX:
            end += 1
        return text[pos:end], end, None
    for index, name in enumerate(_PRE):
        if text.startswith(name, pos):
            return index - len(_PRE), pos + len(name), None
    for index, name in enumerate(_POST):
        if text.startswith(name, pos):
            return index, pos + len(name), None
    return -1, pos, INVALID


@functools.lru_cache(maxsize=65536)
def tokens(version: str) -> tuple[tuple[Token, ...], int]:
    """The (type, value) tokens apk reads from `version`, and the type that ends them."""
    out: list[Token] = []
    kind, pos = DIGIT, 0
    while True:
        if pos >= len(version):
            out.append((kind, 0))
            return tuple(out), END
        value, pos, forced = _read_value(kind, version, pos)
        if value is not None:
            out.append((kind, value))
        if forced == INVALID:
            return tuple(out), INVALID
        if pos >= len(version):
            return tuple(out), END
        kind, pos = (forced, pos) if forced is not None else _next_type(kind, version, pos)
        if kind in (END, INVALID):
            return tuple(out), kind


def _rank(kind: int, value: Value) -> int:
    if value == _EMPTY_DOT or kind == INVALID:
        return _PRE_RANK - 1
    if kind == SUFFIX and isinstance(value, int) and value < 0:
        return _PRE_RANK
    return -kind


def _check_text(version: str) -> None:
    check_bounds(NAME, version)
    if not version or not version.isascii() or not version.isprintable() or " " in version:
        raise VersionError(f"invalid apk version {shown(version)}: empty or not printable ASCII")


@functools.lru_cache(maxsize=262144)
def key(version: str) -> Key:
    """Tuple key ordering like apk-tools; raises VersionError only for empty/non-ASCII text."""
    _check_text(version)
    toks, last = tokens(version)
    out: list[Value] = [toks[0][1]]
    for kind, value in toks[1:]:
        out += (_rank(kind, value), value)
    out.append(_rank(last, 0))
    return tuple(out)


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 like `apk version -t a b`."""
    return sign(key(a), key(b))


def fuzzy_match(version: str, pattern: str) -> bool:
    """apk's `version ~ pattern`: every token of `pattern` equals the same token of `version`."""
    mine, theirs = key(version), key(pattern)
    body = theirs[:-1]
    return theirs[-1] == -END and mine[: len(body)] == body


def validate(version: str) -> None:
    """Raise VersionError unless `version` follows apk's version grammar exactly (and is not too
    long, or with a numeric part too long, to be real)."""
    check_bounds(NAME, version)
    if _GRAMMAR.fullmatch(version) is None:
        raise VersionError(
            f"invalid apk version {shown(version)}: expected number{{.number}}[letter]"
            "{_suffix[number]}[~hash][-rN]"
        )


SCHEME = FunctionScheme(NAME, compare, key, validate)
