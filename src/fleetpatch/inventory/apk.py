"""Parse Alpine's installed database (`/lib/apk/db/installed`) into installed packages.

The file is a list of blank-line-separated records of `X:value` lines with one-letter keys:
`P:` name, `V:` version (`1.2.3-r4`), `A:` architecture, `o:` origin, the source (aport) the
package was built from; Alpine's advisories (secdb, OSV) name origins. The origin's version is the
package's version: one aport build makes all its subpackages at one version.

Virtual packages (`apk add --virtual .build-deps ...`) are records too, named with a leading dot,
versioned by their creation date and without files or origin. They are bookkeeping, not software,
so they are left out: no advisory or catalog names them.
"""

from __future__ import annotations

import re

from fleetpatch.inventory.parsed import ParsedPackages, Stanza, split_stanzas
from fleetpatch.inventory.records import Package

_LINE = re.compile(r"^([A-Za-z]):(.*)$")


def parse_apk_installed(text: str) -> ParsedPackages:
    """Installed packages of an apk database, with one problem line per skipped record."""
    packages: list[Package] = []
    problems: list[str] = []
    for stanza in split_stanzas(text):
        try:
            package = _package(stanza)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if not package.name.startswith("."):
            packages.append(package)
    return ParsedPackages(tuple(packages), tuple(problems))


def _package(stanza: Stanza) -> Package:
    fields: dict[str, str] = {}
    for offset, line in enumerate(stanza.lines):
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"line {stanza.line + offset}: not a 'X:value' line: {line!r}")
        fields.setdefault(match.group(1), match.group(2).strip())
    name, version = fields.get("P", ""), fields.get("V", "")
    if not name or not version:
        missing = "P: (name)" if not name else f"V: (version) of {name}"
        raise ValueError(f"line {stanza.line}: record without {missing}")
    return Package(name, version, fields.get("A", ""), fields.get("o") or name, version)
