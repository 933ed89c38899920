"""Debian's own advisory feed: the security tracker's ``data/DSA/list`` and ``data/DLA/list``.

Each entry is a header line, then tab-indented annotations::

    [03 Oct 2023] DSA-5514-1 glibc - security update
        {CVE-2023-4911}
        [bookworm] - glibc 2.36-9+deb12u3
        [bookworm] - foo <not-affected> (vulnerable code not present)
        [bullseye] - foo 1.0-1+deb11u1 (bug #1234)
        NOTE: free text

An entry becomes the OSV record an OSV Debian export would hold for it (`to_osv`): one affected
entry per ``[release] - package version`` line, in ecosystem ``Debian:<major>``, naming the
*source* package, with the range ``introduced 0 → fixed version`` (bug references after the
version change nothing). A ``<not-affected>`` release gets no affected entry; ``NOTE:`` and
``TODO:`` lines become the record's details. The CVE ids are the aliases; the bracketed date
(00:00 UTC) is both `published` and `modified`, because the list carries no modification time.
The list rates nothing, so the severity is left unknown.

Nothing is guessed. A line that cannot be read skips its whole entry (a partly read entry could
make an affected release look unaffected) and is a *problem*. Well-formed data this module does
not use — a codename it does not map, a pseudo-version in `UNUSED_KINDS` such as ``<unfixed>``
— drops only that release and is a *warning*. Both name ``origin:line``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from fleetpatch.errors import VersionError
from fleetpatch.versions import validate

#: Debian release codenames → major version (the ``Debian:<major>`` OSV ecosystem).
CODENAMES: Final = {
    "wheezy": 7,
    "jessie": 8,
    "stretch": 9,
    "buster": 10,
    "bullseye": 11,
    "bookworm": 12,
    "trixie": 13,
    "forky": 14,
}
_MONTHS: Final = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_LOOKS_LIKE: Final = re.compile(r"^\[\d{1,2} [A-Za-z]{3} \d{4}\] D[SL]A-\S+")
_HEADER: Final = re.compile(
    r"^\[(?P<day>\d{1,2}) (?P<month>[A-Z][a-z]{2}) (?P<year>\d{4})\]"
    r" (?P<id>D[SL]A-\d+(?:-\d+)?) (?P<package>[a-z0-9][a-z0-9+.-]+)(?: - (?P<description>.*))?$"
)
_RELEASE: Final = re.compile(
    r"^\[(?P<release>[a-z0-9-]+)\] - (?P<package>[a-z0-9][a-z0-9+.-]+) (?P<rest>\S.*)$"
)
_KIND: Final = re.compile(r"^<(?P<kind>[a-z-]+)>(?: \((?P<reason>.*)\))?$")
_FIXED: Final = re.compile(r"^(?P<version>\S+)(?: \((?P<inner>[^()]*)\))?$")
_BUG: Final = re.compile(r"^bug #\d+$")
#: The tracker's pseudo-versions other than ``<not-affected>``: well-formed, but each means
#: something fleetpatch does not turn into a range (yet), so its release is skipped, warned.
UNUSED_KINDS: Final = frozenset(
    {"unfixed", "no-dsa", "end-of-life", "ignored", "postponed", "undetermined", "removed", "itp"}
)
_CVE: Final = re.compile(r"^CVE-\d{4}-\d{4,}$")


@dataclass(frozen=True, slots=True)
class ReleaseFix:
    """One usable ``[release]`` line: `version` is the fixed version, None for not affected."""

    release: str
    ecosystem: str
    package: str
    version: str | None
    line: int


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One list entry that could be read in full; `text` holds its lines as written."""

    id: str
    published: datetime
    package: str
    description: str
    cves: tuple[str, ...]
    fixes: tuple[ReleaseFix, ...]
    notes: tuple[str, ...]
    text: tuple[str, ...]
    line: int


@dataclass(frozen=True, slots=True)
class ListRead:
    """What one list file gave: entries in file order, problems and warnings (``origin:line``)."""

    entries: tuple[ListEntry, ...]
    problems: tuple[str, ...]
    warnings: tuple[str, ...]


def looks_like_list(text: str | bytes) -> bool:
    """Whether the first non-empty line is a DSA/DLA list header (how a file's format is told).

    Bytes are a file's content: only their start is looked at, so a large OSV JSON file (which
    never starts like a header) costs nothing to rule out.
    """
    if isinstance(text, bytes):
        head = text.lstrip()
        return head[:1] == b"[" and looks_like_list(head[:200].decode("utf-8", "replace"))
    for line in text.splitlines():
        if line.strip():
            return _LOOKS_LIKE.match(line) is not None
    return False


def parse_list(text: str, origin: str) -> ListRead:
    """Read a whole list; never raises for bad content, which becomes problem lines."""
    reader = _Reader(origin)
    for number, line in enumerate(text.splitlines(), 1):
        reader.feed(number, line.rstrip())
    reader.finish()
    return ListRead(tuple(reader.entries), tuple(reader.problems), tuple(reader.warnings))


def to_osv(entry: ListEntry) -> dict[str, Any]:
    """The entry as an OSV record (a JSON-ready dict), as an OSV Debian export spells it."""
    stamp = entry.published.strftime("%Y-%m-%dT%H:%M:%SZ")
    record: dict[str, Any] = {
        "id": entry.id,
        "published": stamp,
        "modified": stamp,
        "summary": f"{entry.package} - {entry.description}".rstrip(" -"),
        "aliases": list(entry.cves),
        "affected": [_affected(fix) for fix in entry.fixes if fix.version is not None],
        "database_specific": {"debian_security_tracker_list": list(entry.text)},
    }
    if entry.notes:
        record["details"] = "\n".join(entry.notes)
    return record


def _affected(fix: ReleaseFix) -> dict[str, Any]:
    events = [{"introduced": "0"}, {"fixed": fix.version}]
    return {
        "package": {"ecosystem": fix.ecosystem, "name": fix.package},
        "ranges": [{"type": "ECOSYSTEM", "events": events}],
    }


@dataclass(slots=True)
class _Entry:
    """An entry being read; `broken` once one of its lines could not be read."""

    id: str
    published: datetime
    package: str
    description: str
    line: int
    text: list[str]
    cves: list[str] = field(default_factory=list)
    fixes: list[ReleaseFix] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    release_lines: int = 0
    broken: bool = False

    def frozen(self) -> ListEntry:
        return ListEntry(
            self.id,
            self.published,
            self.package,
            self.description,
            tuple(self.cves),
            tuple(self.fixes),
            tuple(self.notes),
            tuple(self.text),
            self.line,
        )


class _Reader:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.entries: list[ListEntry] = []
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.entry: _Entry | None = None
        self.orphans = False  # annotations of a header that could not be read

    def feed(self, number: int, line: str) -> None:
        if not line.strip():
            return
        if line[0] in " \t":
            self._annotation(number, line.strip())
            return
        self.finish()
        self.entry = self._header(number, line)
        self.orphans = self.entry is None

    def finish(self) -> None:
        entry, self.entry = self.entry, None
        if entry is None or entry.broken:
            return
        if not entry.release_lines:
            self._problem(entry.line, f"{entry.id} has no [release] lines (truncated?); skipped")
        elif not entry.fixes:
            self._warn(entry.line, f"{entry.id} names no release fleetpatch knows; skipped")
        else:
            self.entries.append(entry.frozen())

    def _header(self, number: int, line: str) -> _Entry | None:
        found = _HEADER.match(line)
        month = _MONTHS.get(found["month"]) if found else None
        try:
            if found is None or month is None:
                raise ValueError
            published = datetime(int(found["year"]), month, int(found["day"]), tzinfo=UTC)
        except ValueError:
            self._problem(number, f"not a DSA/DLA header, entry skipped: {line[:80]!r}")
            return None
        description = found["description"] or ""
        return _Entry(found["id"], published, found["package"], description, number, [line])

    def _annotation(self, number: int, text: str) -> None:
        entry = self.entry
        if entry is None:
            if not self.orphans:
                self._problem(number, f"annotation outside an entry, skipped: {text[:80]!r}")
            return
        entry.text.append(text)
        if entry.broken:
            return
        reason = self._read(entry, number, text)
        if reason is not None:
            entry.broken = True
            self._problem(number, f"{entry.id}: {reason}; entry skipped")

    def _read(self, entry: _Entry, number: int, text: str) -> str | None:
        """Apply one annotation to `entry`; the reason it cannot be read, else None."""
        if text.startswith(("NOTE:", "TODO:")):
            entry.notes.append(text)
            return None
        if text.startswith("{") and text.endswith("}"):
            tokens = text[1:-1].split()
            strange = [t for t in tokens if not _CVE.match(t)]
            if strange:
                return f"reference {strange[0]!r} is not a CVE id"
            entry.cves.extend(t for t in tokens if t not in entry.cves)
            return None
        found = _RELEASE.match(text)
        if found is None:
            return f"cannot read {text[:80]!r}"
        entry.release_lines += 1
        return self._release(entry, number, found)

    def _release(self, entry: _Entry, number: int, found: re.Match[str]) -> str | None:
        release, package, rest = found["release"], found["package"], found["rest"]
        kind, fixed = _KIND.match(rest), _FIXED.match(rest)
        if kind is not None and kind["kind"] not in UNUSED_KINDS | {"not-affected"}:
            return f"[{release}] {package}: unknown pseudo-version <{kind['kind']}>"
        if kind is None:
            if fixed is None:
                return f"[{release}] {package}: cannot read {rest[:60]!r}"
            inner = [part.strip() for part in (fixed["inner"] or "").split(";") if part.strip()]
            if fixed["inner"] is not None and (not inner or not all(map(_BUG.match, inner))):
                return f"[{release}] {package}: cannot read '({fixed['inner']})'"
            try:
                validate("dpkg", fixed["version"])
            except VersionError as exc:
                return f"[{release}] {package}: {exc}"
        major = CODENAMES.get(release)
        if major is None:
            self._warn(number, f"{entry.id}: unknown release {release!r}, that line is skipped")
            return None
        if kind is not None and kind["kind"] != "not-affected":
            self._warn(number, f"{entry.id}: [{release}] <{kind['kind']}> is not used, skipped")
            return None
        version = fixed["version"] if kind is None and fixed is not None else None
        for seen in entry.fixes:
            if (seen.release, seen.package) == (release, package):
                same = seen.version == version
                return None if same else f"[{release}] {package} is given twice, differently"
        entry.fixes.append(ReleaseFix(release, f"Debian:{major}", package, version, number))
        return None

    def _problem(self, number: int, text: str) -> None:
        self.problems.append(f"{self.origin}:{number}: {text}")

    def _warn(self, number: int, text: str) -> None:
        self.warnings.append(f"{self.origin}:{number}: {text}")
