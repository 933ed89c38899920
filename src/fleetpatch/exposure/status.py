"""Tier 3 of evaluation: one host's states, from its package set's summary and its own evidence.

The dimensions are those of DESIGN.md §3. **Patched** means current *and* running: a host with a
patched kernel on disk and the old one running is `pending_reboot`, not patched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from fleetpatch.exposure.host_states import (
    Freshness,
    RebootState,
    freshness,
    reboot_status,
    uptime_days,
)
from fleetpatch.exposure.inputs import HostInput
from fleetpatch.exposure.sets import SetSummary
from fleetpatch.policy.classify import HostFacts, classify
from fleetpatch.policy.records import Policy, Sla

UpdateState = Literal["current", "behind", "overdue", "unknown"]
SecurityState = Literal["not_affected", "affected_fix_available", "affected_no_fix"]


@dataclass(frozen=True, slots=True)
class HostStatus:
    hostname: str
    bucket: str | None
    owner: str | None
    ecosystem: str
    collected_at: datetime
    package_set_id: int
    update: UpdateState
    security: SecurityState
    reboot: RebootState
    freshness: Freshness
    patched: bool
    summary: SetSummary
    conflict: tuple[str, ...] = ()
    pending_since: datetime | None = None
    reboot_reasons: tuple[str, ...] = ()
    uptime_days: float | None = None
    uptime_over_limit: bool = False
    sla_breaches: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def problem(self) -> str:
        """Why this host could not be wholly evaluated ("" when it could)."""
        return self.summary.problem

    @property
    def days_behind(self) -> float:
        """How far behind the host is: the age, in days, of its oldest missing update."""
        return self.summary.days_behind_max

    @property
    def days_behind_mean(self) -> float:
        """Secondary: the mean over the host's packages the catalog knows."""
        s = self.summary
        return s.days_behind_sum / s.known if s.known else 0.0

    @property
    def days_behind_max(self) -> float:
        return self.summary.days_behind_max

    @property
    def worst_severity(self) -> str | None:
        return self.summary.worst_severity

    @property
    def drifted(self) -> bool:
        return self.summary.drifted > 0

    @property
    def critical_or_high(self) -> bool:
        return self.worst_severity in ("critical", "high")


def update_state(summary: SetSummary, sla: Sla) -> UpdateState:
    """From the catalog when it offers the host's packages; from fixed advisories otherwise;
    `unknown` when some of its packages could not be evaluated."""
    if summary.problem:
        return "unknown"
    if summary.known == 0:
        return "behind" if summary.fix_available else "unknown"
    if summary.outdated == 0 and not summary.fix_available:
        return "current"
    if summary.days_behind_max > sla.max_days_behind:
        return "overdue"
    return "behind"


def security_state(summary: SetSummary) -> SecurityState:
    if summary.fix_available:
        return "affected_fix_available"
    if summary.no_fix:
        return "affected_no_fix"
    return "not_affected"


def evaluate_host(
    host: HostInput, summary: SetSummary, *, policy: Policy, now: datetime
) -> HostStatus:
    image_id = host.image.id if host.image is not None else ""
    facts = HostFacts(host.hostname, host.ecosystem, host.labels, image_id, host.collector)
    where = classify(policy, facts)
    bucket = policy.bucket(where.bucket) if where.bucket else None
    sla = bucket.sla if bucket is not None else policy.defaults.sla
    update = update_state(summary, sla)
    reboot = reboot_status(host)
    fresh = freshness(host.collected_at, now, sla.stale_after_days)
    uptime = uptime_days(host, now)
    over = uptime is not None and uptime > sla.max_uptime_days
    breaches = tuple(
        name
        for name, breached in (
            ("days_behind", update == "overdue"),
            ("uptime", over),
            ("stale", fresh == "stale"),
        )
        if breached
    )
    return HostStatus(
        hostname=host.hostname,
        bucket=where.bucket,
        owner=where.owner,
        ecosystem=host.ecosystem,
        collected_at=host.collected_at,
        package_set_id=host.package_set_id,
        update=update,
        security=security_state(summary),
        reboot=reboot.state,
        freshness=fresh,
        patched=update == "current" and reboot.state != "pending_reboot",
        summary=summary,
        conflict=where.conflict,
        pending_since=reboot.pending_since,
        reboot_reasons=reboot.reasons,
        uptime_days=uptime,
        uptime_over_limit=over,
        sla_breaches=breaches,
        labels=host.labels,
    )
