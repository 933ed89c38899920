"""Reboot, freshness and uptime states: derived from evidence, never latched."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from fleetpatch.exposure.host_states import freshness, newest_kernel, reboot_status, uptime_days
from fleetpatch.inventory.records import HostReport, KernelFacts, OsInfo, RebootEvidence

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
BOOT = NOW - timedelta(days=3)


def _host(**changes: object) -> HostReport:
    base = HostReport(
        hostname="db-01",
        collected_at=NOW,
        os=OsInfo(id="debian", version_id="12", codename="bookworm"),
        ecosystem="Debian:12",
        packages=(),
        kernel=KernelFacts(running="6.1.0-25-amd64", installed=("6.1.0-25-amd64",)),
        boot_time=BOOT,
        reboot_required=RebootEvidence(flag=False),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("installed", "newest"),
    [
        (("6.1.0-25-amd64", "6.1.0-26-amd64"), "6.1.0-26-amd64"),
        (("6.1.0-9-amd64", "6.1.0-10-amd64"), "6.1.0-10-amd64"),
        (
            ("5.14.0-503.11.1.el9_5.x86_64", "5.14.0-427.13.1.el9_4.x86_64"),
            "5.14.0-503.11.1.el9_5.x86_64",
        ),
        (("6.6.58-0-lts",), "6.6.58-0-lts"),
        ((), None),
    ],
)
def test_newest_kernel_orders_releases_naturally(
    installed: tuple[str, ...], newest: str | None
) -> None:
    assert newest_kernel(installed) == newest


def test_running_the_newest_kernel_needs_no_reboot() -> None:
    assert reboot_status(_host()).state == "none"


def test_newer_kernel_on_disk_is_pending_reboot_not_patched() -> None:
    host = _host(kernel=KernelFacts("6.1.0-25-amd64", ("6.1.0-25-amd64", "6.1.0-26-amd64")))
    status = reboot_status(host)
    assert status.state == "pending_reboot"
    assert "6.1.0-26-amd64 installed" in status.reasons[0]


def test_reboot_required_evidence_after_boot_is_pending_with_its_time() -> None:
    since = BOOT + timedelta(days=1)
    host = _host(reboot_required=RebootEvidence(True, since, ("libc6",)))
    status = reboot_status(host)
    assert status.state == "pending_reboot"
    assert status.pending_since == since
    assert "libc6" in status.reasons[0]


def test_evidence_older_than_the_boot_does_not_survive_the_reboot() -> None:
    before_boot = BOOT - timedelta(hours=2)
    host = _host(reboot_required=RebootEvidence(True, before_boot, ("libc6",)))
    assert reboot_status(host).state == "none"


def test_pending_reboot_clears_when_the_next_report_has_no_evidence() -> None:
    pending = _host(
        kernel=KernelFacts("6.1.0-25-amd64", ("6.1.0-25-amd64", "6.1.0-26-amd64")),
        reboot_required=RebootEvidence(
            True, BOOT + timedelta(hours=1), ("linux-image-6.1.0-26-amd64",)
        ),
    )
    after = _host(
        collected_at=NOW + timedelta(hours=1),
        boot_time=NOW + timedelta(minutes=10),
        kernel=KernelFacts("6.1.0-26-amd64", ("6.1.0-25-amd64", "6.1.0-26-amd64")),
        reboot_required=RebootEvidence(False),
    )
    assert reboot_status(pending).state == "pending_reboot"
    assert reboot_status(after).state == "none"


def test_no_evidence_at_all_is_unknown_never_needed() -> None:
    image = _host(
        kernel=KernelFacts(None, ("6.1.0-26-amd64",)),
        boot_time=None,
        reboot_required=RebootEvidence(None),
    )
    assert reboot_status(image).state == "unknown"


def test_freshness_uses_the_policy_limit() -> None:
    assert freshness(NOW - timedelta(days=1), NOW, 2.0) == "fresh"
    assert freshness(NOW - timedelta(days=2, seconds=1), NOW, 2.0) == "stale"


def test_uptime_counts_to_now_and_is_none_when_unknown() -> None:
    assert uptime_days(_host(), NOW) == pytest.approx(3.0)
    assert uptime_days(_host(boot_time=None), NOW) is None
