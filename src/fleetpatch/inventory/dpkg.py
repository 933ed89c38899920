"""Parse a dpkg `status` database (`/var/lib/dpkg/status`) into installed packages.

Which packages count: those whose files are on disk at the recorded version, i.e. the third word of
`Status:` (`want flag status`) is one of `installed`, `triggers-pending`, `triggers-awaited`,
`half-configured` or `unpacked`. The want word does not matter (`deinstall ok installed` is still on
disk until dpkg removes it). Skipped silently: `config-files` (only conffiles are left, no code),
`half-installed` (an unpack was interrupted: the files are a mix of two versions), `not-installed`
and stanzas without `Status:` (dpkg itself treats those as not installed). `dpkg-query -W` lists
the same set when filtered on `${db:Status-Status}`; the oracle tests check that.

Names are kept apart from architectures: `libc6` for amd64 and for i386 are two packages
(multi-arch). The source package comes from `Source: name (version)`; without `Source:` it is the
binary itself, and without a version in it the source version is the binary version (a binNMU
such as `+b1` is the case where the two differ).
"""

from __future__ import annotations

import re

from fleetpatch.inventory.parsed import ParsedPackages, Stanza, split_stanzas
from fleetpatch.inventory.records import Package

ON_DISK_STATES = frozenset(
    {"installed", "triggers-pending", "triggers-awaited", "half-configured", "unpacked"}
)
KNOWN_STATES = ON_DISK_STATES | {"config-files", "half-installed", "not-installed"}

_FIELD = re.compile(r"^([!-9;-~][!-9;-~]*):(.*)$")  # any printable except ':' and space
_SOURCE = re.compile(r"^(\S+)(?:\s+\((\S+)\))?$")
# `[epoch:]upstream[-revision]`: a numeric epoch, the characters dpkg accepts, no empty part.
_VERSION = re.compile(r"^(?:[0-9]+:)?[0-9A-Za-z](?:[0-9A-Za-z.+~:-]*[0-9A-Za-z.+~])?$")


class StanzaError(ValueError):
    """One stanza that cannot be read; the message says why, `line` says where if not its start."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def parse_dpkg_status(text: str) -> ParsedPackages:
    """Installed packages of a dpkg status file, with one problem line per skipped stanza."""
    packages: list[Package] = []
    problems: list[str] = []
    for stanza in split_stanzas(text):
        try:
            package = _package(_fields(stanza))
        except StanzaError as exc:
            problems.append(f"line {exc.line or stanza.line}: {exc}")
            continue
        if package is not None:
            packages.append(package)
    return ParsedPackages(tuple(packages), tuple(problems))


def _fields(stanza: Stanza) -> dict[str, str]:
    """Field names are case-insensitive; continuation lines are only kept for the first line."""
    fields: dict[str, str] = {}
    for offset, line in enumerate(stanza.lines):
        if line.startswith("#"):
            continue
        if line[0] in " \t":
            if not fields:
                raise StanzaError("continuation line before any field")
            continue
        match = _FIELD.match(line)
        if match is None:
            raise StanzaError(f"not a 'Field: value' line: {line!r}", stanza.line + offset)
        fields[match.group(1).lower()] = match.group(2).strip()
    return fields


def _package(fields: dict[str, str]) -> Package | None:
    if not fields:
        return None
    name = fields.get("package", "")
    state = _state(fields.get("status"), name)
    if state not in ON_DISK_STATES:
        return None
    if not name:
        raise StanzaError("installed stanza without a Package field")
    version = fields.get("version", "")
    if not version:
        raise StanzaError(f"package {name}: no Version field")
    if not _valid_version(version):
        raise StanzaError(f"package {name}: bad version {version!r}")
    source, source_version = _source(fields.get("source", ""), name, version)
    return Package(name, version, fields.get("architecture", ""), source, source_version)


def _valid_version(version: str) -> bool:
    """dpkg's syntax: a colon anywhere means the text before the first one is the epoch."""
    epoch, colon, _ = version.partition(":")
    return bool(_VERSION.match(version)) and (not colon or epoch.isdigit())


def _state(status: str | None, name: str) -> str:
    if status is None:
        return "not-installed"
    words = status.split()
    if len(words) != 3 or words[2] not in KNOWN_STATES:
        raise StanzaError(f"package {name or '?'}: malformed Status {status!r}")
    return words[2]


def _source(value: str, name: str, version: str) -> tuple[str, str]:
    if not value:
        return name, version
    match = _SOURCE.match(value)
    if match is None:
        raise StanzaError(f"package {name}: malformed Source {value!r}")
    source_version = match.group(2) or version
    if not _valid_version(source_version):
        raise StanzaError(f"package {name}: bad source version {source_version!r}")
    return match.group(1), source_version


def architecture_of(parsed: ParsedPackages, name: str = "base-files") -> str:
    """The architecture dpkg was installed for, read off `base-files` (never `all`)."""
    for package in parsed.packages:
        if package.name == name and package.arch not in ("", "all"):
            return package.arch
    return ""
