"""Debian/Ubuntu repository indexes: `Release`/`InRelease` headers and `Packages` stanzas.

Pure parsers over text and bytes. `InRelease` is a PGP clear-signed `Release`: the armor is
stripped and the signature is NOT verified (fleetpatch reads what apt already accepted, or a mirror
the operator chose; a signature check belongs to apt or to a verifying proxy). The SHA256 list of a
Release is parsed so a mirror import can check each `Packages` file against it.

Compression is chosen by file-name suffix: gz, xz and bz2 through the standard library, lz4 (what
apt stores in `/var/lib/apt/lists` on Debian 12) through the optional `lz4` package.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime

from fleetpatch.catalog.records import (
    CatalogEntry,
    IndexFile,
    IndexPackage,
    Origin,
    ReleaseInfo,
    Staleness,
    SuiteIndex,
)
from fleetpatch.errors import InputError, ParseError

_ARMOR_BEGIN = "-----BEGIN PGP SIGNED MESSAGE-----"
_SIGNATURE_BEGIN = "-----BEGIN PGP SIGNATURE-----"
_SOURCE = re.compile(r"^(\S+)(?:\s+\((\S+)\))?$")


def strip_clearsign(text: str) -> str:
    """Return the signed body of a clear-signed message (or `text` unchanged if not signed)."""
    if not text.lstrip().startswith(_ARMOR_BEGIN):
        return text
    lines = text.lstrip().split("\n")
    start = lines.index("", 1) + 1 if "" in lines[1:] else len(lines)
    body: list[str] = []
    for line in lines[start:]:
        if line.rstrip("\r") == _SIGNATURE_BEGIN:
            return "\n".join(body) + "\n"
        body.append(line[2:] if line.startswith("- ") else line)
    raise ParseError("clear-signed Release has no signature block (truncated file?)")


def parse_stanzas(text: str) -> Iterator[dict[str, str]]:
    """Yield the deb822 paragraphs of `text` as field → value (continuation lines joined by \\n)."""
    for _, fields in numbered_stanzas(text):
        yield fields


def numbered_stanzas(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Like `parse_stanzas`, each paragraph with the number of its first line (from 1)."""
    number = 0
    for block in re.split(r"(\n[ \t]*\n)", text):
        if block.startswith("\n") and not block.strip():  # a separator the split kept
            number += block.count("\n")
            continue
        fields: dict[str, str] = {}
        key = ""
        first = 0
        for offset, line in enumerate(block.split("\n")):
            if not line or line[0] == "#":
                continue
            first = first or number + offset + 1
            if line[0] in " \t":
                if not key:
                    raise ParseError(f"continuation line before any field: {line[:60]!r}")
                fields[key] += "\n" + line.strip()
                continue
            key, sep, value = line.partition(":")
            if not sep:
                raise ParseError(f"not a 'Field: value' line: {line[:60]!r}")
            fields[key] = value.strip()
        number += block.count("\n")
        if fields:
            yield first, fields


def parse_date(value: str, what: str) -> datetime:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError) as exc:
        raise ParseError(f"{what}: not an RFC 2822 date: {value!r}") from exc
    if when.tzinfo is None:
        raise ParseError(f"{what}: date has no time zone: {value!r}")
    return when


def parse_release(text: str) -> ReleaseInfo:
    """Parse a `Release` or `InRelease` file (armor stripped, signature not verified)."""
    stanzas = list(parse_stanzas(strip_clearsign(text)))
    if not stanzas:
        raise ParseError("empty Release file")
    fields = stanzas[0]
    if "Date" not in fields:
        raise ParseError("Release has no Date field")
    valid = fields.get("Valid-Until")
    return ReleaseInfo(
        date=parse_date(fields["Date"], "Release Date"),
        valid_until=parse_date(valid, "Release Valid-Until") if valid else None,
        suite=fields.get("Suite", ""),
        codename=fields.get("Codename", ""),
        origin=fields.get("Origin", ""),
        label=fields.get("Label", ""),
        version=fields.get("Version", ""),
        architectures=tuple(fields.get("Architectures", "").split()),
        components=tuple(fields.get("Components", "").split()),
        not_automatic=fields.get("NotAutomatic", "").lower() == "yes",
        but_automatic_upgrades=fields.get("ButAutomaticUpgrades", "").lower() == "yes",
        arch_all_in_arch_files="Packages"
        in fields.get("No-Support-for-Architecture-all", "").split(),
        files=_release_files(fields.get("SHA256", "")),
    )


def _release_files(listing: str) -> tuple[IndexFile, ...]:
    files = []
    for line in listing.split("\n"):
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            files.append(IndexFile(path=parts[2], size=int(parts[1]), sha256=parts[0]))
    return tuple(files)


def staleness(release: ReleaseInfo, now: datetime) -> Staleness | None:
    """A `Staleness` when `now` is past the Release's `Valid-Until`, else None."""
    if release.valid_until is None or now <= release.valid_until:
        return None
    return Staleness(release.codename or release.suite, release.valid_until, now)


def parse_packages(text: str) -> tuple[IndexPackage, ...]:
    """Parse a `Packages` index (or a dpkg `status` file) into binary package records."""
    return tuple(_index_package(fields, line) for line, fields in numbered_stanzas(text))


def _index_package(fields: dict[str, str], line: int) -> IndexPackage:
    try:
        name, version = fields["Package"], fields["Version"]
    except KeyError as exc:
        raise ParseError(f"Packages stanza without {exc.args[0]}: {fields!r:.80}") from exc
    source, source_version = name, version
    if "Source" in fields:
        match = _SOURCE.match(fields["Source"])
        if match is None:
            raise ParseError(f"{name}: bad Source field {fields['Source']!r}")
        source, source_version = match.group(1), match.group(2) or version
    phased = fields.get("Phased-Update-Percentage")
    return IndexPackage(
        name=name,
        version=version,
        arch=fields.get("Architecture", ""),
        source=source,
        source_version=source_version,
        multi_arch=fields.get("Multi-Arch", ""),
        phased_percentage=int(phased) if phased and phased.isdigit() else None,
        line=line,
    )


FREE_TEXT_FIELDS = frozenset({"Description", "Maintainer", "Original-Maintainer", "Uploaders"})
"""Fields whose text nothing here reads, where mirrors carry Latin-1 (old descriptions, names)."""


def control_text(data: bytes, name: str) -> tuple[str, str | None]:
    """The text of a Packages or Release file, and a warning when it was not all UTF-8.

    Debian's control files are UTF-8, but mirrors carry Latin-1 in free-text fields such as
    `Description` and `Maintainer`. Such a file is read as Latin-1 (which maps every byte, so the
    ASCII fields fleetpatch reads are unchanged) with a warning; a non-UTF-8 byte anywhere else
    (a package name, a version) is a `ParseError` naming the file and line.
    """
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        first = data[: exc.start].count(b"\n") + 1
    field = ""
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if raw[:1] not in (b" ", b"\t"):
            field = raw.split(b":", 1)[0].decode("ascii", "replace")
        if number < first or raw.isascii():
            continue
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            if field not in FREE_TEXT_FIELDS:
                raise ParseError(
                    f"{name}:{number}: field {field or '?'} is not UTF-8 text"
                ) from None
    return data.decode("latin-1"), f"{name}:{first}: not UTF-8; free text read as Latin-1"


def decompress(data: bytes, name: str) -> bytes:
    """Decompress `data` according to the suffix of file `name` (no suffix: as is)."""
    try:
        if name.endswith(".gz"):
            return gzip.decompress(data)
        if name.endswith(".xz") or name.endswith(".lzma"):
            return lzma.decompress(data)
        if name.endswith(".bz2"):
            return bz2.decompress(data)
        if name.endswith(".lz4"):
            return _lz4_decompress(data, name)
        if name.endswith(".zst"):
            return _zstd_decompress(data, name)
    except (OSError, EOFError, lzma.LZMAError, ValueError) as exc:
        raise ParseError(f"{name}: cannot decompress: {exc}") from exc
    return data


def _lz4_decompress(data: bytes, name: str) -> bytes:
    try:
        import lz4.frame  # type: ignore[import-untyped, unused-ignore]
    except ImportError as exc:
        raise InputError(f"{name}: reading .lz4 needs the optional 'lz4' package") from exc
    try:
        return bytes(lz4.frame.decompress(data))
    except RuntimeError as exc:
        raise ParseError(f"{name}: cannot decompress: {exc}") from exc


def _zstd_decompress(data: bytes, name: str) -> bytes:
    try:
        import zstandard
    except ImportError as exc:
        raise InputError(f"{name}: reading .zst needs the optional 'zstandard' package") from exc
    try:
        with zstandard.ZstdDecompressor().stream_reader(data) as reader:
            return reader.read()
    except zstandard.ZstdError as exc:
        raise ParseError(f"{name}: cannot decompress: {exc}") from exc


def ecosystem_of(release: ReleaseInfo) -> str:
    """The OSV ecosystem of a Release: `Debian:12` from `Version: 12.15`, `Ubuntu:22.04`."""
    version = release.version.split("-")[0]
    if not release.origin or not version:
        raise ParseError(
            f"Release of {release.suite!r} names no Origin/Version: give the ecosystem"
        )
    if release.origin == "Debian":
        version = version.split(".")[0]
    return f"{release.origin}:{version}"


def is_security(release: ReleaseInfo, suite: str) -> bool:
    """Whether a suite carries security updates (Debian's and Ubuntu's naming)."""
    names = (suite, release.suite, release.codename)
    return any(n.endswith("-security") for n in names) or "security" in release.label.lower()


def origin_of(release: ReleaseInfo, *, suite: str, component: str, site: str = "") -> Origin:
    return Origin(
        archive=release.suite,
        suite=suite,
        codename=release.codename,
        label=release.label,
        component=component,
        security=is_security(release, suite),
        origin=release.origin,
        site=site,
    )


def catalog_entries(
    packages: Sequence[IndexPackage], *, ecosystem: str, origin: Origin, release_date: datetime
) -> tuple[CatalogEntry, ...]:
    """Tie parsed stanzas to their origin; first-seen starts as "at least since" the Release date.

    `fleetpatch.catalog.firstseen` then corrects first-seen against what earlier imports saw.
    """
    return tuple(
        CatalogEntry(
            ecosystem=ecosystem,
            name=p.name,
            version=p.version,
            arch=p.arch,
            source=p.source,
            source_version=p.source_version,
            origin=origin,
            first_seen=release_date,
            first_seen_exact=False,
            multi_arch=p.multi_arch,
            phased_percentage=p.phased_percentage,
        )
        for p in packages
    )


def suite_entries(index: SuiteIndex, *, ecosystem: str | None = None) -> tuple[CatalogEntry, ...]:
    """All catalog entries of one suite (ecosystem from its Release unless given)."""
    ecosystem = ecosystem or ecosystem_of(index.release)
    entries: list[CatalogEntry] = []
    for packages in index.indexes:
        origin = origin_of(
            index.release, suite=index.suite, component=packages.component, site=index.site
        )
        entries.extend(
            catalog_entries(
                packages.packages,
                ecosystem=ecosystem,
                origin=origin,
                release_date=index.release.date,
            )
        )
    return tuple(entries)
