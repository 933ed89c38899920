"""Host-level states derived from one report's evidence: reboot, freshness, uptime.

Nothing here is latched: every state is recomputed from the latest report at evaluation time, so
a flag can never outlive the fact that set it (a reboot clears `pending_reboot` because the next
report shows the new kernel running and a boot time after the evidence, not because someone reset
a flag).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from fleetpatch.inventory.records import KernelFacts, RebootEvidence
from fleetpatch.versions import compare

RebootState = Literal["none", "pending_reboot", "unknown"]
Freshness = Literal["fresh", "stale"]


class BootFacts(Protocol):
    """The part of a report that reboot and uptime states read."""

    @property
    def kernel(self) -> KernelFacts: ...
    @property
    def boot_time(self) -> datetime | None: ...
    @property
    def reboot_required(self) -> RebootEvidence: ...


@dataclass(frozen=True, slots=True)
class RebootStatus:
    state: RebootState
    pending_since: datetime | None = None
    reasons: tuple[str, ...] = ()


def newest_kernel(installed: tuple[str, ...]) -> str | None:
    """The newest kernel release by natural (rpmvercmp-style) order of the release strings.

    Kernel releases (`6.1.0-26-amd64`, `5.14.0-503.11.1.el9_5.x86_64`, `6.6.58-0-lts`) are not
    package versions of any one scheme, but they order correctly by alternating numeric and
    alphabetic segments, which is what RPM's comparison does.
    """
    if not installed:
        return None
    best = installed[0]
    for release in installed[1:]:
        if compare("rpm", release, best) > 0:
            best = release
    return best


def reboot_status(report: BootFacts) -> RebootStatus:
    """`pending_reboot` when a newer kernel is installed than the one running, or when the OS's own
    reboot-required evidence is newer than the boot; `unknown` when the report cannot tell."""
    reasons: list[str] = []
    since: datetime | None = None
    running = report.kernel.running
    newest = newest_kernel(report.kernel.installed)
    if running and newest and newest != running and compare("rpm", newest, running) > 0:
        reasons.append(f"kernel {newest} installed, {running} running")
    evidence = report.reboot_required
    if evidence.flag:
        after_boot = (
            evidence.since is None or report.boot_time is None or evidence.since >= report.boot_time
        )
        if after_boot:
            since = evidence.since
            names = ", ".join(evidence.packages[:5])
            reasons.append(f"OS says reboot required{f' ({names})' if names else ''}")
    if reasons:
        return RebootStatus("pending_reboot", pending_since=since, reasons=tuple(reasons))
    if running is None and evidence.flag is None:
        return RebootStatus("unknown")
    return RebootStatus("none")


def freshness(collected_at: datetime, now: datetime, stale_after_days: float) -> Freshness:
    return "stale" if now - collected_at > timedelta(days=stale_after_days) else "fresh"


def uptime_days(report: BootFacts, now: datetime) -> float | None:
    """Days since boot as of `now` (the host kept running since it reported); None when unknown."""
    if report.boot_time is None:
        return None
    return max(0.0, (now - report.boot_time).total_seconds() / 86400)
