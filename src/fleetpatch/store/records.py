"""Records the store hands out, beside the inventory's `HostReport`.

A `ReportHeader` is a stored report without its package list: listings of thousands of hosts need
the facts and the package count, not 700 packages each. Ask for the packages explicitly
(`ReportRepository.load`), so an empty package list can never be mistaken for "nothing installed".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from fleetpatch.inventory.records import (
    REPORT_SCHEMA,
    HostReport,
    Image,
    KernelFacts,
    OsInfo,
    Package,
    RebootEvidence,
)


@dataclass(frozen=True, slots=True)
class PackageVersion:
    """One distinct installed package version in the fleet, with its store id."""

    id: int
    ecosystem: str
    name: str
    version: str
    arch: str = ""
    source: str = ""
    source_version: str = ""

    def package(self) -> Package:
        return Package(self.name, self.version, self.arch, self.source, self.source_version)


@dataclass(frozen=True, slots=True)
class PackageSetInfo:
    id: int
    digest: str
    ecosystem: str
    package_count: int


@dataclass(frozen=True, slots=True)
class ReportHeader:
    """Everything about one stored report except its package list."""

    id: int
    digest: str
    hostname: str
    collected_at: datetime
    received_at: datetime
    os: OsInfo
    ecosystem: str
    package_set_id: int
    package_count: int
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

    def with_packages(self, packages: tuple[Package, ...]) -> HostReport:
        """The full report, given the members of its package set."""
        return HostReport(
            hostname=self.hostname,
            collected_at=self.collected_at,
            os=self.os,
            ecosystem=self.ecosystem,
            packages=packages,
            machine_id=self.machine_id,
            arch=self.arch,
            kernel=self.kernel,
            boot_time=self.boot_time,
            boot_id=self.boot_id,
            reboot_required=self.reboot_required,
            image=self.image,
            labels=self.labels,
            collector=self.collector,
            schema=self.schema,
        )


@dataclass(frozen=True, slots=True)
class StoreOutcome:
    """What writing a batch of reports did: new report ids, and how many were already stored."""

    stored: tuple[int, ...] = ()
    duplicates: int = 0
