"""What a package-database parser returns, and the stanza splitting that dpkg and apk share.

Parsers are pure: text in, records out. A database written by a crashed tool or edited by hand must
not stop a collection, so a stanza that cannot be read becomes one line in `problems` (with the line
number where it starts) and is skipped; everything else is still reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from fleetpatch.inventory.records import Package


@dataclass(frozen=True, slots=True)
class ParsedPackages:
    """Installed packages, in database order, and one line per skipped stanza or record.

    `installed_at` maps a package name to its newest install time when the database records it
    (RPM does; dpkg and apk do not).
    """

    packages: tuple[Package, ...]
    problems: tuple[str, ...] = ()
    installed_at: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Stanza:
    """One blank-line-separated paragraph: the line number of its first line and its lines."""

    line: int
    lines: tuple[str, ...]


def split_stanzas(text: str) -> Iterator[Stanza]:
    """Paragraphs separated by blank lines (whitespace-only lines count as blank)."""
    start = 0
    lines: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not lines:
                start = number
            lines.append(line)
        elif lines:
            yield Stanza(start, tuple(lines))
            lines = []
    if lines:
        yield Stanza(start, tuple(lines))


def dominant_arch(parsed: ParsedPackages) -> str:
    """The machine architecture of an RPM or apk host: its commonest package arch (not `noarch`)."""
    counts: dict[str, int] = {}
    for package in parsed.packages:
        if package.arch and package.arch != "noarch":
            counts[package.arch] = counts.get(package.arch, 0) + 1
    return max(counts, key=lambda arch: counts[arch]) if counts else ""
