"""Host listings: what each host reported last, and which bucket and owner it falls to.

Classification is computed here, at read time, from each host's latest report and the policy of
the moment: it is never stored, so a relabelled host or an edited policy shows up immediately and
a state can never stay latched. Without a policy (`None`) every host is unclassified.

Uptime is `now - boot_time` in whole days; `now` is a parameter so listings are reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from fleetpatch.errors import InputError, UnknownNameError
from fleetpatch.exposure.status import HostStatus
from fleetpatch.policy.classify import UNCLASSIFIED, Classification, HostFacts, classify
from fleetpatch.policy.records import Policy
from fleetpatch.schedule.buckets import find_bucket, find_owner
from fleetpatch.store import HostRepository, ReportHeader, ReportRepository, Store
from fleetpatch.store.evaluations import EvaluationRepository

DEFAULT_HISTORY = 20


@dataclass(frozen=True, slots=True)
class HostSummary:
    hostname: str
    bucket: str | None
    owner: str | None
    conflict: tuple[str, ...]
    ecosystem: str
    os: str
    packages: int
    running_kernel: str | None
    boot_time: datetime | None
    uptime_days: int | None
    reboot_required: bool | None
    last_report: datetime
    labels: Mapping[str, str]
    update: str | None = None
    security: str | None = None
    reboot: str | None = None
    days_behind: float | None = None
    states: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ReportEntry:
    """One line of a host's report history."""

    report_id: int
    collected_at: datetime
    received_at: datetime
    packages: int
    package_set_id: int
    running_kernel: str | None
    boot_time: datetime | None
    reboot_required: bool | None


@dataclass(frozen=True, slots=True)
class HostDetail:
    summary: HostSummary
    latest: ReportHeader
    history: tuple[ReportEntry, ...]
    total_reports: int


#: The states `hosts --status` filters on, each a predicate over a host's last evaluated status.
STATUS_FILTERS: Mapping[str, Callable[[HostStatus], bool]] = {
    "current": lambda s: s.update == "current",
    "behind": lambda s: s.update in ("behind", "overdue"),
    "overdue": lambda s: s.update == "overdue",
    "unknown": lambda s: s.update == "unknown",
    "patched": lambda s: s.patched,
    "unpatched": lambda s: not s.patched,
    "affected": lambda s: s.security != "not_affected",
    "fix-available": lambda s: s.security == "affected_fix_available",
    "critical": lambda s: s.worst_severity == "critical",
    "high": lambda s: s.critical_or_high,
    "pending-reboot": lambda s: s.reboot == "pending_reboot",
    "stale": lambda s: s.freshness == "stale",
    "uptime": lambda s: s.uptime_over_limit,
    "drifted": lambda s: s.drifted,
    "breached": lambda s: bool(s.sla_breaches),
}


def list_hosts(
    store: Store,
    policy: Policy | None,
    *,
    bucket: str | None = None,
    owner: str | None = None,
    unclassified: bool = False,
    status: Sequence[str] = (),
    now: datetime | None = None,
) -> list[HostSummary]:
    """Every host by name, filtered by bucket, owner, "no bucket" and evaluated states (`status`,
    names from `STATUS_FILTERS`); filters combine with AND. A host not evaluated yet matches no
    state filter. A bucket or owner the policy does not know is `UnknownNameError`, not an
    empty list: a typo must not read as "no hosts there"."""
    unknown = [name for name in status if name not in STATUS_FILTERS]
    if unknown:
        known = ", ".join(STATUS_FILTERS)
        raise InputError(f"unknown --status {unknown[0]!r}; choose from {known}")
    if bucket is not None:
        find_bucket(policy or Policy(), bucket)
    if owner is not None:
        find_owner(policy or Policy(), owner)
    at = now if now is not None else datetime.now(UTC)
    with store.session() as session:
        headers = HostRepository(session).current()
        evaluated = {s.hostname: s for s in EvaluationRepository(session).statuses()}
    summaries = [_with_status(summarise(h, policy, at), evaluated.get(h.hostname)) for h in headers]
    return [
        s
        for s in summaries
        if _wanted(s, bucket, owner, unclassified) and all(n in s.states for n in status)
    ]


def _with_status(summary: HostSummary, status: HostStatus | None) -> HostSummary:
    if status is None:
        return summary
    return replace(
        summary,
        update=status.update,
        security=status.security,
        reboot=status.reboot,
        days_behind=round(status.days_behind, 1),
        states=frozenset(name for name, test in STATUS_FILTERS.items() if test(status)),
    )


def show_host(
    store: Store,
    policy: Policy | None,
    name: str,
    *,
    history: int = DEFAULT_HISTORY,
    now: datetime | None = None,
) -> HostDetail:
    """One host's latest facts and its newest `history` reports; `UnknownNameError` if unknown."""
    at = now if now is not None else datetime.now(UTC)
    with store.session() as session:
        hosts = HostRepository(session)
        latest = hosts.current_for(name)
        if latest is None:
            raise UnknownNameError("host", name, hosts.names())
        reports = ReportRepository(session)
        entries = tuple(_entry(h) for h in reports.history(name, limit=history))
        total = reports.count_for(name)
        status = EvaluationRepository(session).status(name)
    summary = _with_status(summarise(latest, policy, at), status)
    return HostDetail(summary, latest, entries, total)


def summarise(header: ReportHeader, policy: Policy | None, now: datetime) -> HostSummary:
    found = _classification(header, policy)
    return HostSummary(
        hostname=header.hostname,
        bucket=found.bucket,
        owner=found.owner,
        conflict=found.conflict,
        ecosystem=header.ecosystem,
        os=_os_text(header),
        packages=header.package_count,
        running_kernel=header.kernel.running,
        boot_time=header.boot_time,
        uptime_days=None if header.boot_time is None else (now - header.boot_time).days,
        reboot_required=header.reboot_required.flag,
        last_report=header.collected_at,
        labels=dict(header.labels),
    )


def _classification(header: ReportHeader, policy: Policy | None) -> Classification:
    if policy is None:
        return UNCLASSIFIED
    facts = HostFacts(
        hostname=header.hostname,
        ecosystem=header.ecosystem,
        labels=header.labels,
        image_id="" if header.image is None else header.image.id,
        collector=header.collector,
    )
    return classify(policy, facts)


def _os_text(header: ReportHeader) -> str:
    os = header.os
    return os.pretty_name or " ".join(p for p in (os.id, os.version_id) if p)


def _wanted(s: HostSummary, bucket: str | None, owner: str | None, unclassified: bool) -> bool:
    if unclassified and s.bucket is not None:
        return False
    if bucket is not None and s.bucket != bucket:
        return False
    return owner is None or s.owner == owner


def _entry(header: ReportHeader) -> ReportEntry:
    return ReportEntry(
        report_id=header.id,
        collected_at=header.collected_at,
        received_at=header.received_at,
        packages=header.package_count,
        package_set_id=header.package_set_id,
        running_kernel=header.kernel.running,
        boot_time=header.boot_time,
        reboot_required=header.reboot_required.flag,
    )
