"""Rollups: per bucket and per owner sums over host states, the figures the dashboard leads with.

Days behind is a figure of hosts: a host is as far behind as its *oldest* missing update
(`HostStatus.days_behind`), and a group's `days_behind_mean` is the mean of that over its hosts,
with the max beside it (and the p90, from the store's distribution). A mean over package instances
(every host's per-package days over the package instances the catalog knows) read 0.0 for a team
with a tenth of its hosts past their SLA, because most packages are current; it is kept as the
secondary, clearly named `days_behind_package_mean`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields

from fleetpatch.exposure.status import HostStatus


@dataclass(frozen=True, slots=True)
class Rollup:
    """One group of hosts (`key` None: the hosts no bucket claims)."""

    key: str | None
    hosts: int = 0
    patched: int = 0
    current: int = 0
    critical_or_high: int = 0
    affected: int = 0
    pending_reboot: int = 0
    stale: int = 0
    uptime_over_limit: int = 0
    max_uptime_days: float | None = None
    drifted: int = 0
    unclassified: int = 0
    sla_breaches: int = 0
    days_behind_sum: float = 0.0
    package_instances: int = 0
    days_behind_max: float = 0.0
    host_days_sum: float = 0.0
    security_pending: int = 0
    """Hosts with an update from a security suite, or fixing an advisory, waiting: counted with
    or without imported advisories (a Debian security suite says so by itself)."""

    @property
    def days_behind_mean(self) -> float:
        """Mean over hosts of each host's oldest missing update, in days."""
        return self.host_days_sum / self.hosts if self.hosts else 0.0

    @property
    def days_behind_package_mean(self) -> float:
        """Secondary: mean over package instances (most are current, so this reads low)."""
        return self.days_behind_sum / self.package_instances if self.package_instances else 0.0

    @property
    def patched_percent(self) -> float:
        return 100.0 * self.patched / self.hosts if self.hosts else 0.0

    @property
    def current_percent(self) -> float:
        return 100.0 * self.current / self.hosts if self.hosts else 0.0


@dataclass(slots=True)
class _Acc:
    """The mutable sums a rollup is built from."""

    hosts: int = 0
    patched: int = 0
    current: int = 0
    critical_or_high: int = 0
    affected: int = 0
    pending_reboot: int = 0
    stale: int = 0
    uptime_over_limit: int = 0
    max_uptime_days: float | None = None
    drifted: int = 0
    unclassified: int = 0
    sla_breaches: int = 0
    days_behind_sum: float = 0.0
    package_instances: int = 0
    days_behind_max: float = 0.0
    host_days_sum: float = 0.0
    security_pending: int = 0

    def freeze(self, key: str | None) -> Rollup:
        return Rollup(key, *(getattr(self, f.name) for f in fields(self)))

    def add(self, s: HostStatus) -> None:
        self.hosts += 1
        self.patched += s.patched
        self.current += s.update == "current"
        self.critical_or_high += s.critical_or_high
        self.affected += s.security != "not_affected"
        self.pending_reboot += s.reboot == "pending_reboot"
        self.stale += s.freshness == "stale"
        self.uptime_over_limit += s.uptime_over_limit
        if s.uptime_days is not None:
            self.max_uptime_days = max(self.max_uptime_days or 0.0, s.uptime_days)
        self.drifted += s.drifted
        self.unclassified += s.bucket is None
        self.sla_breaches += bool(s.sla_breaches)
        self.days_behind_sum += s.summary.days_behind_sum
        self.package_instances += s.summary.known
        self.days_behind_max = max(self.days_behind_max, s.summary.days_behind_max)
        self.host_days_sum += s.days_behind
        self.security_pending += s.summary.security_updates > 0


def rollup(
    statuses: Iterable[HostStatus], key: Callable[[HostStatus], str | None]
) -> tuple[Rollup, ...]:
    """One rollup per distinct key, sorted by name with the unclassified group last."""
    groups: dict[str | None, _Acc] = {}
    for status in statuses:
        groups.setdefault(key(status), _Acc()).add(status)
    ordered = sorted(groups, key=lambda k: (k is None, k or ""))
    return tuple(groups[k].freeze(k) for k in ordered)


def total(statuses: Iterable[HostStatus]) -> Rollup:
    """The whole fleet as one rollup."""
    acc = _Acc()
    for status in statuses:
        acc.add(status)
    return acc.freeze("fleet")
