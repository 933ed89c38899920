"""The real package data the generator draws from, loaded from files shipped in the package.

This is the one module of `simulate` that reads files (package resources, through
`importlib.resources`); everything else in `simulate` is pure and takes this data as arguments.

Each ecosystem holds package histories: for one binary package, every real version we know,
oldest first (ordered by the distribution's own rules when the data was built). A version carries a
`rank`: versions of one `group` (a Debian source package; for AlmaLinux, packages released together
in one advisory) with the same rank were published together, and a higher rank is later. How the
files were made is written down in `data/SOURCES.md`.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

DEBIAN_12 = "Debian:12"
ALMALINUX_9 = "AlmaLinux:9"
_FILES = {DEBIAN_12: "debian12.json.gz", ALMALINUX_9: "almalinux9.json.gz"}


@dataclass(frozen=True, slots=True)
class VersionRow:
    version: str
    source_version: str
    rank: int
    origin: str


@dataclass(frozen=True, slots=True)
class PackageHistory:
    name: str
    arch: str
    source: str
    group: str
    versions: tuple[VersionRow, ...]


@dataclass(frozen=True, slots=True)
class KernelHistory:
    """One Debian kernel image package; `release` is what `uname -r` prints when it runs."""

    package: PackageHistory
    release: str


@dataclass(frozen=True, slots=True)
class EcosystemData:
    ecosystem: str
    arch: str
    packages: tuple[PackageHistory, ...]
    kernels: tuple[KernelHistory, ...] = ()
    installed_here: frozenset[str] = frozenset()

    def by_name(self) -> dict[str, PackageHistory]:
        return {p.name: p for p in self.packages}


def _history(row: dict[str, Any]) -> PackageHistory:
    return PackageHistory(
        name=row["name"],
        arch=row["arch"],
        source=row["source"],
        group=row["group"],
        versions=tuple(VersionRow(v[0], v[1], int(v[2]), v[3]) for v in row["versions"]),
    )


@cache
def load_ecosystem(ecosystem: str) -> EcosystemData:
    """The shipped data for `Debian:12` or `AlmaLinux:9` (cached: it never changes at run time)."""
    blob = resources.files("fleetpatch.simulate").joinpath("data", _FILES[ecosystem]).read_bytes()
    doc = json.loads(gzip.decompress(blob))
    kernels = tuple(KernelHistory(_history(k), k["release"]) for k in doc.get("kernels", []))
    return EcosystemData(
        ecosystem=doc["ecosystem"],
        arch=doc["arch"],
        packages=tuple(_history(p) for p in doc["packages"]),
        kernels=kernels,
        installed_here=frozenset(doc.get("installed_here", [])),
    )


def known_versions(ecosystem: str) -> dict[str, frozenset[str]]:
    """Every real version string shipped for each package name (kernels included)."""
    data = load_ecosystem(ecosystem)
    histories = list(data.packages) + [k.package for k in data.kernels]
    return {h.name: frozenset(v.version for v in h.versions) for h in histories}
