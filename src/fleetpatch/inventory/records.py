"""Records of one host report (`fleetpatch.report/v1`).

Frozen value objects: the report as validated at the edge (see `schema.py`) is turned into these and
everything inside fleetpatch works on them. Versions are strings written the way the ecosystem's
advisories write them (dpkg `[epoch:]upstream[-revision]`, RPM `[epoch:]version-release`, apk
`version-rN`); architecture is kept apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

REPORT_SCHEMA = "fleetpatch.report/v1"


@dataclass(frozen=True, slots=True, order=True)
class Package:
    """One installed binary package and the source package it was built from."""

    name: str
    version: str
    arch: str = ""
    source: str = ""
    source_version: str = ""


@dataclass(frozen=True, slots=True)
class OsInfo:
    id: str
    version_id: str = ""
    codename: str = ""
    pretty_name: str = ""


@dataclass(frozen=True, slots=True)
class KernelFacts:
    """Running kernel (None when unknown, e.g. collected from an image) and installed kernels."""

    running: str | None = None
    installed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RebootEvidence:
    """What the OS itself says about a needed reboot.

    `flag` is None when the OS gave no evidence either way: unknown is unknown, never "needed".
    """

    flag: bool | None = None
    since: datetime | None = None
    packages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Image:
    id: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class HostReport:
    """Everything one host said about itself at `collected_at`."""

    hostname: str
    collected_at: datetime
    os: OsInfo
    ecosystem: str
    packages: tuple[Package, ...]
    machine_id: str = ""
    arch: str = ""
    kernel: KernelFacts = field(default_factory=KernelFacts)
    boot_time: datetime | None = None
    boot_id: str = ""
    reboot_required: RebootEvidence = field(default_factory=RebootEvidence)
    image: Image | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    collector: str = ""
    schema: str = REPORT_SCHEMA
