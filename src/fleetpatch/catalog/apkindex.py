"""Alpine `APKINDEX.tar.gz`: the package index of one apk repository. Pure parser over bytes.

The file is a gzip'ed tar: a signature member (`.SIGN.RSA.<key>.rsa.pub`, not verified here), a
`DESCRIPTION` member (e.g. `v3.20.3-120-g…`) and the `APKINDEX` member, whose paragraphs are
single-letter fields: `P:` name, `V:` version, `A:` arch, `o:` origin (source package),
`t:` build time (Unix seconds). Other fields (checksum, size, dependencies) are not needed by the
catalog and are ignored. The source version of an apk package is its own version (aports build all
subpackages of an origin at one version).
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime

from fleetpatch.catalog.records import IndexPackage
from fleetpatch.errors import ParseError


@dataclass(frozen=True, slots=True)
class ApkIndex:
    """A parsed APKINDEX: its description line, its packages and the newest build time."""

    description: str
    packages: tuple[IndexPackage, ...]
    newest_build: datetime | None


def read_apkindex(data: bytes) -> ApkIndex:
    """Parse the bytes of an `APKINDEX.tar.gz`."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            members = {m.name: m for m in archive.getmembers() if m.isfile()}
            if "APKINDEX" not in members:
                raise ParseError("APKINDEX.tar.gz has no APKINDEX member")
            text = _member_text(archive, members["APKINDEX"])
            description = (
                _member_text(archive, members["DESCRIPTION"]).strip()
                if "DESCRIPTION" in members
                else ""
            )
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ParseError(f"APKINDEX.tar.gz: {exc}") from exc
    packages = parse_apkindex(text)
    builds = [p.build_time for p in packages if p.build_time is not None]
    return ApkIndex(description, packages, max(builds) if builds else None)


def _member_text(archive: tarfile.TarFile, member: tarfile.TarInfo) -> str:
    stream = archive.extractfile(member)
    if stream is None:
        raise ParseError(f"APKINDEX.tar.gz: cannot read member {member.name}")
    return stream.read().decode("utf-8")


def parse_apkindex(text: str) -> tuple[IndexPackage, ...]:
    """Parse the text of an `APKINDEX` member (also the shape of apk's `installed` database)."""
    packages = []
    start = 1  # the line number of the paragraph's first line
    for number, block in enumerate(text.split("\n\n"), start=1):
        fields: dict[str, str] = {}
        first = 0
        for offset, line in enumerate(block.splitlines()):
            if len(line) < 2 or line[1] != ":":
                if line.strip():
                    raise ParseError(f"APKINDEX paragraph {number}: bad line {line[:60]!r}")
                continue
            first = first or start + offset
            fields.setdefault(line[0], line[2:])
        if fields:
            packages.append(_package(fields, number, first))
        start += block.count("\n") + 2
    return tuple(packages)


def _package(fields: dict[str, str], number: int, line: int) -> IndexPackage:
    name, version = fields.get("P", ""), fields.get("V", "")
    if not name or not version:
        raise ParseError(f"APKINDEX paragraph {number}: no P: (name) or V: (version)")
    built = fields.get("t", "")
    return IndexPackage(
        name=name,
        version=version,
        arch=fields.get("A", ""),
        source=fields.get("o", "") or name,
        source_version=version,
        build_time=datetime.fromtimestamp(int(built), tz=UTC) if built.isdigit() else None,
        line=line,
    )
