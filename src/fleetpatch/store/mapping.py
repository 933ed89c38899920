"""Rows to records and back, for reports.

The only place that knows how a `HostReport`'s facts are spread over the `reports` columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
