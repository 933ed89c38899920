"""The JSON shapes of `/api/v1`: Pydantic models at the edge, built from the core's records.

These models are the API contract (they make `/openapi.json`). Converters (`*_out`) are the only
place that knows how a record becomes JSON; times are ISO 8601 UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime

from pydantic import BaseModel

from fleetpatch.app.dashboard import BucketLine, HostView, PackageLine
from fleetpatch.app.time_to_patch import TimeToPatch
from fleetpatch.exposure.rollups import Rollup
from fleetpatch.exposure.status import HostStatus
from fleetpatch.exposure.time_to_patch import PatchFigures
from fleetpatch.schedule.forecast import Forecast
from fleetpatch.schedule.windows import Opening
from fleetpatch.store import ReportHeader
from fleetpatch.store.evaluations import EvaluationInfo, HistoryPoint


class ErrorOut(BaseModel):
    error: str
    status: int


class RollupOut(BaseModel):
    key: str | None
    hosts: int
    patched: int
    patched_percent: float
    current: int
    current_percent: float
    critical_or_high: int
    affected: int
    pending_reboot: int
    stale: int
    uptime_over_limit: int
    max_uptime_days: float | None
    drifted: int
    unclassified: int
    sla_breaches: int
    days_behind_mean: float  # over hosts, each host's oldest missing update
    days_behind_max: float
    days_behind_package_mean: float  # secondary: over package instances
    security_pending: int  # hosts with a security update waiting (suite or advisory)


class WindowOut(BaseModel):
    start: datetime
    end: datetime


class BucketLineOut(RollupOut):
    owner: str | None
    next_window: WindowOut | None


class TrendPointOut(BaseModel):
    day: date
    hosts: int
    patched: int
    critical_or_high: int
    pending_reboot: int
    stale: int
    uptime_over_limit: int
    drifted: int
    unclassified: int
    days_behind_mean: float
    days_behind_max: float


class EvaluationOut(BaseModel):
    id: int
    evaluated_at: datetime
    hosts: int
    seconds: float


class PatchFiguresOut(BaseModel):
    """Time to patch at one severity (or `all`), in days: p50/p90 over the pairs patched in
    the 90 days ending at `TimeToPatchOut.end`, since disclosure and since the fix was
    available; open pairs as exposure since disclosure (oldest, median)."""

    severity: str
    patched: int
    p50_days: float | None
    p90_days: float | None
    fix_p50_days: float | None
    fix_p90_days: float | None
    open: int
    exposed_oldest_days: float | None
    exposed_median_days: float | None


class PatchGroupOut(BaseModel):
    key: str | None
    figures: list[PatchFiguresOut]


class PatchTrendOut(BaseModel):
    day: date
    patched: int
    p50_days: float | None
    p90_days: float | None
    patched_pct: float


class TimeToPatchOut(BaseModel):
    end: datetime | None
    fleet: list[PatchFiguresOut]
    by_bucket: list[PatchGroupOut]
    by_owner: list[PatchGroupOut]
    trend: list[PatchTrendOut]


def time_to_patch_out(t: TimeToPatch) -> TimeToPatchOut:
    def rows(found: Sequence[PatchFigures]) -> list[PatchFiguresOut]:
        return [PatchFiguresOut(**asdict(f)) for f in found]

    return TimeToPatchOut(
        end=t.end,
        fleet=rows(t.fleet),
        by_bucket=[PatchGroupOut(key=g.key, figures=rows(g.rows)) for g in t.by_bucket],
        by_owner=[PatchGroupOut(key=g.key, figures=rows(g.rows)) for g in t.by_owner],
        trend=[PatchTrendOut(**asdict(p)) for p in t.trend],
    )


class OverviewOut(BaseModel):
    fleet: RollupOut
    buckets: list[BucketLineOut]
    owners: list[RollupOut]
    trend: list[TrendPointOut]
    evaluation: EvaluationOut | None
    time_to_patch: TimeToPatchOut | None = None


class ContactsOut(BaseModel):
    chat: str
    email: str


class ForecastOut(BaseModel):
    hosts: int
    waves: int
    fully_patched_by: datetime | None
    fully_patched_median: datetime | None
    fits_next_window: bool | None
    windows_needed: int | None
    expected_failures: float
    warnings: list[str]


class BucketOut(BaseModel):
    name: str
    owner: str
    contacts: ContactsOut | None
    strategy: str
    runbook: str
    description: str
    windows: list[str]
    next_windows: list[WindowOut]
    rollup: RollupOut
    by_update_state: dict[str, int]
    trend: list[TrendPointOut]
    forecast: ForecastOut | None = None
    days_behind_p90: float = 0.0  # over the bucket's hosts, to the whole day
    time_to_patch: TimeToPatchOut | None = None


class HostStatusOut(BaseModel):
    hostname: str
    bucket: str | None
    owner: str | None
    ecosystem: str
    collected_at: datetime
    update: str
    security: str
    worst_severity: str | None
    reboot: str
    pending_since: datetime | None
    freshness: str
    patched: bool
    uptime_days: float | None
    uptime_over_limit: bool
    days_behind_mean: float
    days_behind_max: float
    outdated: int
    security_updates: int
    advisories: int
    drifted: int
    sla_breaches: list[str]
    days_behind: float = 0.0  # the age of the host's oldest missing update
    problem: str = ""  # why some packages could not be evaluated ("" when all could)


class HostPageOut(BaseModel):
    total: int
    offset: int
    limit: int
    hosts: list[HostStatusOut]
    next: str | None


class FindingOut(BaseModel):
    advisory_id: str
    aliases: list[str]
    severity: str
    status: str
    fixed_version: str | None


class PackageOut(BaseModel):
    name: str
    version: str
    arch: str
    source: str
    candidate: str | None
    days_behind: float | None
    security: bool
    canonical: str | None
    drift: str | None
    findings: list[FindingOut]
    first_seen_exact: bool | None = None  # False: days_behind is "at least" (first import)


class ReportOut(BaseModel):
    id: int
    collected_at: datetime
    received_at: datetime
    package_count: int
    kernel_running: str | None  # a report may leave it out (the schema allows it)
    boot_time: datetime | None


class HostOut(BaseModel):
    hostname: str
    machine_id: str
    os: str
    ecosystem: str
    arch: str
    image: str | None
    labels: dict[str, str]
    kernel_running: str | None
    kernels_installed: list[str]
    boot_time: datetime | None
    reboot_flag: bool | None
    reboot_packages: list[str]
    status: HostStatusOut | None
    outdated: list[PackageOut]
    vulnerable: list[PackageOut]
    drifted: list[PackageOut]
    history: list[ReportOut]


class IngestOut(BaseModel):
    stored: int
    duplicates: int
    rejected: list[str]
    hosts: list[str]


def rollup_fields(r: Rollup) -> dict[str, object]:
    return {
        "key": r.key,
        "hosts": r.hosts,
        "patched": r.patched,
        "patched_percent": round(r.patched_percent, 2),
        "current": r.current,
        "current_percent": round(r.current_percent, 2),
        "critical_or_high": r.critical_or_high,
        "affected": r.affected,
        "pending_reboot": r.pending_reboot,
        "stale": r.stale,
        "uptime_over_limit": r.uptime_over_limit,
        "max_uptime_days": r.max_uptime_days,
        "drifted": r.drifted,
        "unclassified": r.unclassified,
        "sla_breaches": r.sla_breaches,
        "days_behind_mean": round(r.days_behind_mean, 2),
        "days_behind_max": round(r.days_behind_max, 2),
        "days_behind_package_mean": round(r.days_behind_package_mean, 2),
        "security_pending": r.security_pending,
    }


def rollup_out(r: Rollup) -> RollupOut:
    return RollupOut.model_validate(rollup_fields(r))


def window_out(o: Opening) -> WindowOut:
    return WindowOut(start=o.start, end=o.end)


def bucket_line_out(line: BucketLine) -> BucketLineOut:
    window = None if line.next_window is None else window_out(line.next_window)
    return BucketLineOut.model_validate(
        {**rollup_fields(line.rollup), "owner": line.owner, "next_window": window}
    )


def trend_out(points: list[HistoryPoint] | tuple[HistoryPoint, ...]) -> list[TrendPointOut]:
    return [
        TrendPointOut.model_validate({f: getattr(p, f) for f in TrendPointOut.model_fields})
        for p in points
    ]


def evaluation_out(info: EvaluationInfo | None) -> EvaluationOut | None:
    if info is None:
        return None
    return EvaluationOut(
        id=info.id, evaluated_at=info.evaluated_at, hosts=info.hosts, seconds=info.seconds
    )


def status_out(s: HostStatus) -> HostStatusOut:
    return HostStatusOut(
        hostname=s.hostname,
        bucket=s.bucket,
        owner=s.owner,
        ecosystem=s.ecosystem,
        collected_at=s.collected_at,
        update=s.update,
        security=s.security,
        worst_severity=s.worst_severity,
        reboot=s.reboot,
        pending_since=s.pending_since,
        freshness=s.freshness,
        patched=s.patched,
        uptime_days=s.uptime_days,
        uptime_over_limit=s.uptime_over_limit,
        days_behind_mean=round(s.days_behind_mean, 2),
        days_behind_max=round(s.days_behind_max, 2),
        outdated=s.summary.outdated,
        security_updates=s.summary.security_updates,
        advisories=s.summary.advisories,
        drifted=s.summary.drifted,
        sla_breaches=list(s.sla_breaches),
        days_behind=round(s.days_behind, 2),
        problem=s.problem,
    )


def package_out(line: PackageLine) -> PackageOut:
    p, f = line.package, line.facts
    update = f.update
    return PackageOut(
        name=p.name,
        version=p.version,
        arch=p.arch,
        source=p.source,
        candidate=update.candidate if update else None,
        days_behind=round(update.days_behind, 2) if update and update.candidate else None,
        first_seen_exact=update.first_seen_exact if update and update.candidate else None,
        security=f.security_update,
        canonical=f.drift.canonical if f.drift else None,
        drift=f.drift.state if f.drift else None,
        findings=[
            FindingOut(
                advisory_id=x.advisory_id,
                aliases=list(x.aliases),
                severity=x.severity.level,
                status=x.status,
                fixed_version=x.fixed_version,
            )
            for x in f.findings
        ],
    )


def report_out(h: ReportHeader) -> ReportOut:
    return ReportOut(
        id=h.id,
        collected_at=h.collected_at,
        received_at=h.received_at,
        package_count=h.package_count,
        kernel_running=h.kernel.running,
        boot_time=h.boot_time,
    )


def host_out(view: HostView) -> HostOut:
    h = view.header
    return HostOut(
        hostname=h.hostname,
        machine_id=h.machine_id,
        os=h.os.pretty_name or f"{h.os.id} {h.os.version_id}".strip(),
        ecosystem=h.ecosystem,
        arch=h.arch,
        image=h.image.id if h.image else None,
        labels=dict(h.labels),
        kernel_running=h.kernel.running,
        kernels_installed=list(h.kernel.installed),
        boot_time=h.boot_time,
        reboot_flag=h.reboot_required.flag,
        reboot_packages=list(h.reboot_required.packages),
        status=status_out(view.status) if view.status else None,
        outdated=[package_out(x) for x in view.outdated],
        vulnerable=[package_out(x) for x in view.vulnerable],
        drifted=[package_out(x) for x in view.drifted],
        history=[report_out(r) for r in view.history],
    )


def forecast_out(f: Forecast | None) -> ForecastOut | None:
    if f is None:
        return None
    return ForecastOut(
        hosts=f.hosts,
        waves=f.waves,
        fully_patched_by=f.fully_patched_by,
        fully_patched_median=f.fully_patched_median,
        fits_next_window=f.fits_next_window,
        windows_needed=f.windows_needed,
        expected_failures=f.expected_failures,
        warnings=list(f.warnings),
    )
