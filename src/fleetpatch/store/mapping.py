"""Rows to records and back, for reports.

The only place that knows how a `HostReport`'s facts are spread over the `reports` columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import orjson

from fleetpatch.inventory.records import HostReport, Image, KernelFacts, OsInfo, RebootEvidence
from fleetpatch.store.records import ReportHeader
from fleetpatch.store.tables import ReportRow


def report_values(
    report: HostReport, *, digest: str, host_id: int, package_set_id: int, received_at: datetime
) -> dict[str, Any]:
    """Column values for one new `reports` row."""
    reboot = report.reboot_required
    return {
        "digest": digest,
        "host_id": host_id,
        "package_set_id": package_set_id,
        "collected_at": report.collected_at,
        "received_at": received_at,
        "report_schema": report.schema,
        "machine_id": report.machine_id,
        "collector": report.collector,
        "ecosystem": report.ecosystem,
        "arch": report.arch,
        "os_id": report.os.id,
        "os_version_id": report.os.version_id,
        "os_codename": report.os.codename,
        "os_pretty_name": report.os.pretty_name,
        "kernel_running": report.kernel.running,
        "kernels_installed": list(report.kernel.installed),
        "boot_time": report.boot_time,
        "boot_id": report.boot_id,
        "reboot_flag": reboot.flag,
        "reboot_since": reboot.since,
        "reboot_packages": list(reboot.packages),
        "image_id": None if report.image is None else report.image.id,
        "image_name": None if report.image is None else report.image.name,
        "labels": dict(report.labels),
    }


def header_from_row(row: ReportRow, hostname: str, package_count: int) -> ReportHeader:
    image = None if row.image_id is None else Image(id=row.image_id, name=row.image_name or "")
    return ReportHeader(
        id=row.id,
        digest=row.digest,
        hostname=hostname,
        collected_at=row.collected_at,
        received_at=row.received_at,
        os=OsInfo(row.os_id, row.os_version_id, row.os_codename, row.os_pretty_name),
        ecosystem=row.ecosystem,
        package_set_id=row.package_set_id,
        package_count=package_count,
        machine_id=row.machine_id,
        arch=row.arch,
        kernel=KernelFacts(row.kernel_running, tuple(row.kernels_installed)),
        boot_time=row.boot_time,
        boot_id=row.boot_id,
        reboot_required=RebootEvidence(
            row.reboot_flag, row.reboot_since, tuple(row.reboot_packages)
        ),
        image=image,
        labels={str(k): str(v) for k, v in row.labels.items()},
        collector=row.collector,
        schema=row.report_schema,
    )


class BulkHeaders:
    """Builds many `ReportHeader`s from Core rows, decoding each distinct JSON value once.

    Hosts built from one image repeat the same labels, kernels and OS: a fleet of 100,000 hosts
    has a few thousand distinct values, so decoding and building them once per value (and sharing
    the resulting immutable objects) is what makes loading the whole fleet take seconds. The JSON
    columns arrive as text (`json_as_text`) on SQLite and already decoded on PostgreSQL.
    """

    def __init__(self) -> None:
        self._labels: dict[object, Mapping[str, str]] = {}
        self._lists: dict[object, tuple[str, ...]] = {}
        self._os: dict[tuple[str, str, str, str], OsInfo] = {}
        self._kernels: dict[tuple[object, object], KernelFacts] = {}

    def header(self, row: Any) -> ReportHeader:
        image = None if row.image_id is None else Image(id=row.image_id, name=row.image_name or "")
        return ReportHeader(
            id=row.id,
            digest=row.digest,
            hostname=row.hostname,
            collected_at=row.collected_at,
            received_at=row.received_at,
            os=self._os_info(row),
            ecosystem=row.ecosystem,
            package_set_id=row.package_set_id,
            package_count=row.package_count,
            machine_id=row.machine_id,
            arch=row.arch,
            kernel=self._kernel(row.kernel_running, row.kernels_installed),
            boot_time=row.boot_time,
            boot_id=row.boot_id,
            reboot_required=RebootEvidence(
                row.reboot_flag, row.reboot_since, self._list(row.reboot_packages)
            ),
            image=image,
            labels=self._labels_of(row.labels),
            collector=row.collector,
            schema=row.report_schema,
        )

    def _os_info(self, row: Any) -> OsInfo:
        key = (row.os_id, row.os_version_id, row.os_codename, row.os_pretty_name)
        found = self._os.get(key)
        if found is None:
            found = self._os[key] = OsInfo(*key)
        return found

    def _kernel(self, running: str | None, installed: object) -> KernelFacts:
        key = (running, installed if isinstance(installed, str) else repr(installed))
        found = self._kernels.get(key)
        if found is None:
            found = self._kernels[key] = KernelFacts(running, self._list(installed))
        return found

    def _list(self, raw: object) -> tuple[str, ...]:
        key = raw if isinstance(raw, str) else repr(raw)
        found = self._lists.get(key)
        if found is None:
            values: Any = orjson.loads(raw) if isinstance(raw, str) else raw
            found = self._lists[key] = tuple(str(v) for v in values or ())
        return found

    def _labels_of(self, raw: object) -> Mapping[str, str]:
        key = raw if isinstance(raw, str) else repr(raw)
        found = self._labels.get(key)
        if found is None:
            values: Any = orjson.loads(raw) if isinstance(raw, str) else raw
            found = self._labels[key] = MappingProxyType(
                {str(k): str(v) for k, v in (values or {}).items()}
            )
        return found
