"""Content digests and the packed member array of a package set.

A package set's digest is SHA-256 over its ecosystem and its distinct packages in sorted order, so
two hosts built from one image get the same digest whatever order their package manager listed
packages in. A report's digest covers every fact of the report (times normalised to UTC, unordered
lists sorted) plus its package set's digest: the same report ingested twice has the same digest and
is stored once, while a host that changed in any way gets a new history entry.

Members are stored as a sorted array of little-endian uint32 ids: 4 bytes per package, decoded with
one `array.frombytes` call.
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from collections.abc import Iterable
from datetime import UTC, datetime

import orjson

from fleetpatch.inventory.records import HostReport, Package

PackageKey = tuple[str, str, str, str, str]
"""(name, version, arch, source, source_version): a package within one ecosystem."""

_ID_TYPE = "I" if array("I").itemsize == 4 else "L"
if array(_ID_TYPE).itemsize != 4:  # pragma: no cover - no such platform in CI
    raise ImportError("no 4-byte unsigned array type on this platform")
_SWAP = sys.byteorder == "big"


def package_key(package: Package) -> PackageKey:
    return (package.name, package.version, package.arch, package.source, package.source_version)


def package_set_digest(ecosystem: str, packages: Iterable[Package]) -> tuple[str, list[PackageKey]]:
    """The set's digest and its distinct package keys, sorted."""
    keys = sorted({(p.name, p.version, p.arch, p.source, p.source_version) for p in packages})
    text = ecosystem + "\n" + "\n".join("\t".join(k) for k in keys)
    return hashlib.sha256(text.encode()).hexdigest(), keys


def report_digest(report: HostReport, set_digest: str) -> str:
    """A digest of every fact in the report; `set_digest` stands for its packages."""
    return hashlib.sha256(orjson.dumps(_canonical(report, set_digest))).hexdigest()


def _canonical(report: HostReport, set_digest: str) -> list[object]:
    reboot = report.reboot_required
    image = report.image
    return [
        report.schema,
        report.hostname,
        _time(report.collected_at),
        [report.os.id, report.os.version_id, report.os.codename, report.os.pretty_name],
        report.ecosystem,
        report.machine_id,
        report.arch,
        report.kernel.running,
        sorted(report.kernel.installed),
        _time(report.boot_time),
        report.boot_id,
        [reboot.flag, _time(reboot.since), sorted(reboot.packages)],
        None if image is None else [image.id, image.name],
        sorted(report.labels.items()),
        report.collector,
        set_digest,
    ]


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def pack_ids(ids: Iterable[int]) -> bytes:
    """Sorted, distinct ids as little-endian uint32."""
    packed = array(_ID_TYPE, sorted(set(ids)))
    if _SWAP:  # pragma: no cover - little-endian hosts only in CI
        packed.byteswap()
    return packed.tobytes()


def unpack_ids(blob: bytes) -> array[int]:
    ids = array(_ID_TYPE)
    ids.frombytes(blob)
    if _SWAP:  # pragma: no cover
        ids.byteswap()
    return ids
