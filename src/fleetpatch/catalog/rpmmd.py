"""RPM repository metadata (`repodata/repomd.xml` → `primary.xml.gz`/`.zst`). Pure parsers.

`repomd.xml` points at the metadata files of a repository; `primary` lists every package with its
name, arch, epoch/version/release, build time and source RPM. Versions are written the way RPM
advisories write them: `[epoch:]version-release`, the epoch only when it is not 0. The source
package name and version come from the `sourcerpm` file name (`openssl-3.0.7-27.el9.src.rpm`).

The repository's `revision` (a Unix time by createrepo's default) dates the metadata and plays the
part of the Debian Release `Date` for first-seen times. XML is parsed with the standard library's
expat-based parser, which neither fetches external entities nor expands entity bombs (expat ≥ 2.4).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

from fleetpatch.catalog.records import IndexPackage
from fleetpatch.errors import ParseError

_REPO = "{http://linux.duke.edu/metadata/repo}"
_COMMON = "{http://linux.duke.edu/metadata/common}"
_RPM = "{http://linux.duke.edu/metadata/rpm}"


@dataclass(frozen=True, slots=True)
class RepoData:
    """One metadata file `repomd.xml` points at."""

    type: str
    href: str
    checksum: str
    checksum_type: str
    size: int | None
    timestamp: datetime | None


@dataclass(frozen=True, slots=True)
class RepoMd:
    """A parsed `repomd.xml`: its revision and its metadata files by type."""

    revision: str
    date: datetime | None
    data: tuple[RepoData, ...]

    def find(self, kind: str) -> RepoData:
        for item in self.data:
            if item.type == kind:
                return item
        raise ParseError(f"repomd.xml lists no {kind!r} metadata")


def _when(text: str | None) -> datetime | None:
    if not text or not text.strip().isdigit():
        return None
    return datetime.fromtimestamp(int(text.strip()), tz=UTC)


def parse_repomd(data: bytes) -> RepoMd:
    """Parse `repomd.xml`; `date` is the revision when it is a Unix time, else the newest file."""
    try:
        root = ET.fromstring(data)  # noqa: S314 (expat: no external entities, no entity bombs)
    except ET.ParseError as exc:
        raise ParseError(f"repomd.xml: {exc}") from exc
    items = tuple(_repodata(node) for node in root.iter(f"{_REPO}data"))
    revision = (root.findtext(f"{_REPO}revision") or "").strip()
    stamps = [i.timestamp for i in items if i.timestamp is not None]
    return RepoMd(revision, _when(revision) or (max(stamps) if stamps else None), items)


def _repodata(node: ET.Element) -> RepoData:
    location = node.find(f"{_REPO}location")
    checksum = node.find(f"{_REPO}checksum")
    if location is None or checksum is None or not location.get("href"):
        raise ParseError(f"repomd.xml: data {node.get('type')!r} without location or checksum")
    size = node.findtext(f"{_REPO}size")
    return RepoData(
        type=node.get("type", ""),
        href=location.get("href", ""),
        checksum=(checksum.text or "").strip(),
        checksum_type=checksum.get("type", ""),
        size=int(size) if size and size.isdigit() else None,
        timestamp=_when(node.findtext(f"{_REPO}timestamp")),
    )


def rpm_version(epoch: str, version: str, release: str) -> str:
    """`[epoch:]version-release`, the epoch left out when it is empty or 0."""
    evr = f"{version}-{release}" if release else version
    return f"{epoch}:{evr}" if epoch not in ("", "0") else evr


def split_source_rpm(filename: str) -> tuple[str, str]:
    """(`openssl`, `3.0.7-27.el9`) from `openssl-3.0.7-27.el9.src.rpm`; ("", "") if unparseable."""
    stem = filename.removesuffix(".rpm").removesuffix(".src").removesuffix(".nosrc")
    parts = stem.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        return "", ""
    return parts[0], f"{parts[1]}-{parts[2]}"


def parse_primary(data: bytes) -> tuple[IndexPackage, ...]:
    """Parse an uncompressed `primary.xml` into binary package records, streaming."""
    packages = []
    try:
        for _, node in ET.iterparse(io.BytesIO(data), events=("end",)):  # noqa: S314
            if node.tag == f"{_COMMON}package":
                packages.append(_package(node))
                node.clear()
    except ET.ParseError as exc:
        raise ParseError(f"primary.xml: {exc}") from exc
    return tuple(packages)


def _package(node: ET.Element) -> IndexPackage:
    name = (node.findtext(f"{_COMMON}name") or "").strip()
    evr = node.find(f"{_COMMON}version")
    if not name or evr is None or not evr.get("ver"):
        raise ParseError(f"primary.xml: package {name!r} without name or version")
    version = rpm_version(evr.get("epoch", ""), evr.get("ver", ""), evr.get("rel", ""))
    source_rpm = node.findtext(f"{_COMMON}format/{_RPM}sourcerpm") or ""
    source, source_version = split_source_rpm(source_rpm.strip())
    if source_version and evr.get("epoch", "") not in ("", "0"):
        # A source RPM carries the epoch of the binaries built from it.
        source_version = f"{evr.get('epoch')}:{source_version}"
    time = node.find(f"{_COMMON}time")
    return IndexPackage(
        name=name,
        version=version,
        arch=(node.findtext(f"{_COMMON}arch") or "").strip(),
        source=source or name,
        source_version=source_version or version,
        build_time=_when(time.get("build")) if time is not None else None,
    )
