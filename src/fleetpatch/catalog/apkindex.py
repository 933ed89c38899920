"""Alpine `APKINDEX.tar.gz`: the package index of one apk repository. Pure parser over bytes.

The file is a gzip'ed tar: a signature member (`.SIGN.RSA.<key>.rsa.pub`, not verified here), a
`DESCRIPTION` member (e.g. `v3.20.3-120-g…`) and the `APKINDEX` member, whose paragraphs are
single-letter fields: `P:` name, `V:` version, `A:` arch, `o:` origin (source package),
`t:` build time (Unix seconds). Other fields (checksum, size, dependencies) are not needed by the
catalog and are ignored. The source version of an apk package is its own version (aports build all
subpackages of an origin at one version).

The index is UTF-8, but the free text (`T:` description, `m:` maintainer) of an old or
hand-built one may be Latin-1. Such a member is read as Latin-1 (every byte maps, so the fields
read here are unchanged) with a warning in `ApkIndex.warnings`; a non-UTF-8 byte in any other
field is a `ParseError` naming the member and line.
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
    warnings: tuple[str, ...] = ()


FREE_TEXT_FIELDS = frozenset({"T", "m"})
"""Single-letter fields nothing here reads, where an index may carry Latin-1."""


def read_apkindex(data: bytes) -> ApkIndex:
    """Parse the bytes of an `APKINDEX.tar.gz`."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            members = {m.name: m for m in archive.getmembers() if m.isfile()}
            if "APKINDEX" not in members:
                raise ParseError("APKINDEX.tar.gz has no APKINDEX member")
            warnings: list[str] = []
            text = _member_text(archive, members["APKINDEX"], warnings)
            description = (
                _member_text(archive, members["DESCRIPTION"], warnings).strip()
                if "DESCRIPTION" in members
                else ""
            )
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ParseError(f"APKINDEX.tar.gz: {exc}") from exc
    packages = parse_apkindex(text)
    builds = [p.build_time for p in packages if p.build_time is not None]
    return ApkIndex(description, packages, max(builds) if builds else None, tuple(warnings))


def _member_text(archive: tarfile.TarFile, member: tarfile.TarInfo, warnings: list[str]) -> str:
    stream = archive.extractfile(member)
    if stream is None:
        raise ParseError(f"APKINDEX.tar.gz: cannot read member {member.name}")
    text, warning = member_text(stream.read(), member.name)
    if warning:
        warnings.append(warning)
    return text


def member_text(data: bytes, name: str) -> tuple[str, str | None]:
    """The text of an index member, and a warning when its free text was not UTF-8."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        first = data[: exc.start].count(b"\n") + 1
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if number < first or raw.isascii():
            continue
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            field = raw[:1].decode("latin-1") if raw[1:2] == b":" else ""
            if field not in FREE_TEXT_FIELDS:
                shown = f"field {field}" if field else "a line"
                raise ParseError(f"{name}:{number}: {shown} is not UTF-8 text") from None
    return data.decode("latin-1"), f"{name}:{first}: not UTF-8; free text read as Latin-1"


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
