"""Report builders for the store tests: real package lists from real dpkg and apk databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fleetpatch.inventory.apk import parse_apk_installed
from fleetpatch.inventory.dpkg import parse_dpkg_status
from fleetpatch.inventory.records import (
    HostReport,
    Image,
    KernelFacts,
    OsInfo,
    Package,
    RebootEvidence,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "store"
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def debian_packages() -> tuple[Package, ...]:
    """The 7 packages of osv-scalibr's dpkg `status` fixture (epochs, +dfsg, ~ versions)."""
    return parse_dpkg_status((DATA / "dpkg-dpkg-valid").read_text()).packages


def alpine_packages() -> tuple[Package, ...]:
    return parse_apk_installed((DATA / "apk-installed").read_text()).packages


def debian_report(hostname: str = "db-01", minutes: int = 0, **changes: object) -> HostReport:
    report = HostReport(
        hostname=hostname,
        collected_at=T0 + timedelta(minutes=minutes),
        os=OsInfo("debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)"),
        ecosystem="Debian:12",
        packages=debian_packages(),
        machine_id="4c4c4544-0042-3510-8052-b4c04f4e3732",
        arch="amd64",
        kernel=KernelFacts("6.1.0-25-amd64", ("6.1.0-25-amd64", "6.1.0-26-amd64")),
        boot_time=T0 - timedelta(days=40),
        boot_id="7d3f0c6e-1b3c-4d1e-9a57-3a1d0f6e2b11",
        reboot_required=RebootEvidence(
            True, T0 - timedelta(days=2), ("linux-image-6.1.0-26-amd64",)
        ),
        image=Image("ami-0abc", "debian-12-base"),
        labels={"role": "db", "team": "data"},
        collector="ssh",
    )
    return replace(report, **changes)  # type: ignore[arg-type]


def alpine_report(hostname: str = "jump-01", minutes: int = 0) -> HostReport:
    return HostReport(
        hostname=hostname,
        collected_at=T0 + timedelta(minutes=minutes),
        os=OsInfo("alpine", "3.18.4"),
        ecosystem="Alpine:v3.18",
        packages=alpine_packages(),
        labels={"role": "jump"},
    )
