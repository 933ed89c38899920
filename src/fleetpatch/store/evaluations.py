"""The evaluation repository: writes an evaluation's derived rows and reads them back as records.

Rows are derived data (see `tables_eval.py`). A full evaluation replaces `host_status` and
`set_summaries` wholesale in the caller's transaction, so readers see the old evaluation or the new
one, never half of each. Rollups are SQL aggregates over `host_status`, so they are as current as
the last host written, full evaluation or one new report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, delete, func, insert, select
from sqlalchemy.orm import Session

from fleetpatch.advisories.records import LEVELS
from fleetpatch.exposure.patching import Exposure
from fleetpatch.exposure.rollups import Rollup
from fleetpatch.exposure.sets import SetSummary
from fleetpatch.exposure.status import HostStatus
from fleetpatch.store.patch_pairs import exposures_from_json, exposures_to_json
from fleetpatch.store.tables import table_of
from fleetpatch.store.tables_eval import (
    EvaluationRow,
    HistoryPointRow,
    HostStatusRow,
    SetSummaryRow,
)

_BATCH = 5000
FLEET_KEY = ""
NONE_KEY = "(none)"


@dataclass(frozen=True, slots=True)
class EvaluationInfo:
    id: int
    evaluated_at: datetime
    hosts: int
    package_sets: int
    package_versions: int
    catalog_entries: int
    advisories: int
    seconds: float


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    day: date
    scope: str
    key: str
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


@dataclass(frozen=True, slots=True)
class HostRef:
    """Where a status row points: the host and the report it was derived from."""

    host_id: int
    report_id: int


class EvaluationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # -- writing -------------------------------------------------------------------------------

    def add_evaluation(self, info: EvaluationInfo) -> int:
        values = asdict(info)
        values.pop("id")
        row = EvaluationRow(**values)
        self._session.add(row)
        self._session.flush()
        return row.id

    def replace_all(
        self,
        statuses: Sequence[HostStatus],
        refs: Mapping[str, HostRef],
        summaries: Mapping[tuple[int, str], SetSummary],
        *,
        evaluation_id: int,
        evaluated_at: datetime,
        exposures: Mapping[tuple[int, str], Mapping[str, Exposure]] | None = None,
    ) -> None:
        """Swap in a whole evaluation: every host's status and every set summary (with the
        set's exposures, when given)."""
        self._session.execute(delete(HostStatusRow))
        self._session.execute(delete(SetSummaryRow))
        rows = [_status_row(s, refs[s.hostname], evaluated_at) for s in statuses]
        _insert_batches(self._session, table_of(HostStatusRow), rows)
        summary_rows = [
            {
                "package_set_id": set_id,
                "arch": arch,
                "evaluation_id": evaluation_id,
                "summary": summary_to_dict(summary),
                "exposures": None
                if exposures is None or (set_id, arch) not in exposures
                else exposures_to_json(exposures[(set_id, arch)]),
            }
            for (set_id, arch), summary in summaries.items()
        ]
        _insert_batches(self._session, table_of(SetSummaryRow), summary_rows)

    def set_seconds(self, evaluation_id: int, seconds: float) -> None:
        row = self._session.get(EvaluationRow, evaluation_id)
        if row is not None:
            row.seconds = seconds

    def upsert_status(self, status: HostStatus, ref: HostRef, evaluated_at: datetime) -> None:
        """Write one host's status (incremental evaluation after a new report)."""
        self._session.execute(delete(HostStatusRow).where(HostStatusRow.host_id == ref.host_id))
        self._session.execute(
            insert(HostStatusRow).values(**_status_row(status, ref, evaluated_at))
        )

    def add_summary(
        self,
        set_id: int,
        arch: str,
        summary: SetSummary,
        *,
        evaluation_id: int,
        exposures: Mapping[str, Exposure] | None = None,
    ) -> None:
        self._session.execute(
            insert(SetSummaryRow).values(
                package_set_id=set_id,
                arch=arch,
                evaluation_id=evaluation_id,
                summary=summary_to_dict(summary),
                exposures=None if exposures is None else exposures_to_json(exposures),
            )
        )

    def save_exposures(self, set_id: int, arch: str, exposures: Mapping[str, Exposure]) -> None:
        """Keep a set's exposures beside its summary (one summarised before they were kept)."""
        row = self._session.get(SetSummaryRow, (set_id, arch))
        if row is not None:
            row.exposures = exposures_to_json(exposures)

    def record_history(self, points: Iterable[HistoryPoint]) -> None:
        """Upsert the day's points: the last evaluation of a day is that day's figure."""
        for point in points:
            self._session.execute(
                delete(HistoryPointRow).where(
                    HistoryPointRow.day == point.day,
                    HistoryPointRow.scope == point.scope,
                    HistoryPointRow.key == point.key,
                )
            )
            self._session.execute(insert(HistoryPointRow).values(**asdict(point)))

    # -- reading -------------------------------------------------------------------------------

    def latest(self) -> EvaluationInfo | None:
        row = self._session.scalars(
            select(EvaluationRow).order_by(EvaluationRow.id.desc()).limit(1)
        ).one_or_none()
        if row is None:
            return None
        return EvaluationInfo(
            row.id,
            row.evaluated_at,
            row.hosts,
            row.package_sets,
            row.package_versions,
            row.catalog_entries,
            row.advisories,
            row.seconds,
        )

    def summary(self, set_id: int, arch: str) -> SetSummary | None:
        row = self._session.get(SetSummaryRow, (set_id, arch))
        return None if row is None else summary_from_dict(row.summary)

    def pair_inputs(self) -> dict[str, tuple[int, bool, str | None, str | None]]:
        """Per host, what its patch pairs were last advanced with: (package set, pending
        reboot, bucket, owner). Read before an evaluation replaces the statuses."""
        h = HostStatusRow
        query = select(h.hostname, h.package_set_id, h.reboot_state, h.bucket, h.owner)
        return {
            name: (set_id, reboot == "pending_reboot", bucket, owner)
            for name, set_id, reboot, bucket, owner in self._session.execute(query)
        }

    def all_exposures(self) -> dict[tuple[int, str], dict[str, Exposure] | None]:
        """Every set's stored exposures (None: kept before they were), by (set, arch)."""
        query = select(SetSummaryRow.package_set_id, SetSummaryRow.arch, SetSummaryRow.exposures)
        return {
            (set_id, arch): None if data is None else exposures_from_json(data)
            for set_id, arch, data in self._session.execute(query)
        }

    def exposures(self, set_id: int, arch: str) -> dict[str, Exposure] | None:
        """The set's stored exposures; None when it has no summary or one from before they
        were kept (the caller computes them then)."""
        row = self._session.get(SetSummaryRow, (set_id, arch))
        if row is None or row.exposures is None:
            return None
        return exposures_from_json(row.exposures)

    def problems(self, limit: int = 10) -> tuple[int, list[tuple[str, str]]]:
        """Hosts that could not be wholly evaluated: how many, and the first `limit` of them
        (hostname, reason) by name."""
        has_problem = HostStatusRow.problem != ""
        count = self._session.scalar(select(func.count()).where(has_problem)) or 0
        rows = self._session.execute(
            select(HostStatusRow.hostname, HostStatusRow.problem)
            .where(has_problem)
            .order_by(HostStatusRow.hostname)
            .limit(limit)
        ).all()
        return count, [(name, problem) for name, problem in rows]

    def status(self, hostname: str) -> HostStatus | None:
        row = self._session.scalars(
            select(HostStatusRow).where(HostStatusRow.hostname == hostname)
        ).one_or_none()
        return None if row is None else status_from_row(row)

    def statuses(self, query: Select[HostStatusRow] | None = None) -> list[HostStatus]:
        query = (
            query if query is not None else select(HostStatusRow).order_by(HostStatusRow.hostname)
        )
        return [status_from_row(r) for r in self._session.scalars(query)]

    def statuses_in(self, bucket: str) -> list[HostStatus]:
        """The statuses of one bucket's hosts, by hostname."""
        query = select(HostStatusRow).where(HostStatusRow.bucket == bucket)
        return self.statuses(query.order_by(HostStatusRow.hostname))

    def count(self, query: Select[HostStatusRow]) -> int:
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        return int(self._session.execute(counted).scalar_one())

    def rollups(self, by: str) -> tuple[Rollup, ...]:
        """Per bucket or owner (`by`), or the whole fleet (`by="fleet"`), from SQL aggregates."""
        column = {"bucket": HostStatusRow.bucket, "owner": HostStatusRow.owner}.get(by)
        aggregates = rollup_columns()
        if column is None:
            row = self._session.execute(select(*aggregates)).one()
            return (rollup_from_values("fleet", row),)
        query = select(column, *aggregates).group_by(column)
        rolled = [rollup_from_values(r[0], r[1:]) for r in self._session.execute(query)]
        return tuple(sorted(rolled, key=lambda r: (r.key is None, r.key or "")))

    def history(
        self, scope: str, key: str, since: date, *, until: date | None = None
    ) -> list[HistoryPoint]:
        query = select(HistoryPointRow).where(
            HistoryPointRow.scope == scope,
            HistoryPointRow.key == key,
            HistoryPointRow.day >= since,
        )
        if until is not None:
            query = query.where(HistoryPointRow.day <= until)
        query = query.order_by(HistoryPointRow.day)
        return [
            HistoryPoint(**{f: getattr(r, f) for f in HistoryPoint.__dataclass_fields__})
            for r in self._session.scalars(query)
        ]


def _insert_batches(session: Session, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    for start in range(0, len(rows), _BATCH):
        session.execute(insert(table), list(rows[start : start + _BATCH]))


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def rollup_columns() -> list[Any]:
    h = HostStatusRow
    return [
        func.count(),
        _count(h.patched.is_(True)),
        _count(h.update_state == "current"),
        _count(h.worst_severity.in_(("critical", "high"))),
        _count(h.security_state != "not_affected"),
        _count(h.reboot_state == "pending_reboot"),
        _count(h.freshness == "stale"),
        _count(h.uptime_over_limit.is_(True)),
        func.max(h.uptime_days),
        _count(h.drifted > 0),
        _count(h.bucket.is_(None)),
        _count(h.breached.is_(True)),
        func.coalesce(func.sum(h.days_behind_sum), 0.0),
        func.coalesce(func.sum(h.package_instances), 0),
        func.coalesce(func.max(h.days_behind_max), 0.0),
        func.coalesce(func.sum(h.days_behind_max), 0.0),
        _count(h.security_updates > 0),
    ]


def rollup_from_values(key: str | None, values: Sequence[Any]) -> Rollup:
    (hosts, patched, current, crit, affected, pending, stale, over, max_up, drifted, uncl,
     breaches, days_sum, instances, days_max, host_days, security) = values  # fmt: skip
    return Rollup(
        key=key,
        hosts=int(hosts),
        patched=int(patched),
        current=int(current),
        critical_or_high=int(crit),
        affected=int(affected),
        pending_reboot=int(pending),
        stale=int(stale),
        uptime_over_limit=int(over),
        max_uptime_days=None if max_up is None else float(max_up),
        drifted=int(drifted),
        unclassified=int(uncl),
        sla_breaches=int(breaches),
        days_behind_sum=float(days_sum),
        package_instances=int(instances),
        days_behind_max=float(days_max),
        host_days_sum=float(host_days),
        security_pending=int(security),
    )


def summary_to_dict(summary: SetSummary) -> dict[str, Any]:
    data = asdict(summary)
    data["by_severity"] = dict(summary.by_severity)
    return data


def summary_from_dict(data: Mapping[str, Any]) -> SetSummary:
    return SetSummary(**{**data, "by_severity": dict(data.get("by_severity", {}))})


def _status_row(status: HostStatus, ref: HostRef, evaluated_at: datetime) -> dict[str, Any]:
    s = status.summary
    worst = s.worst_severity
    return {
        "host_id": ref.host_id,
        "hostname": status.hostname,
        "report_id": ref.report_id,
        "evaluated_at": evaluated_at,
        "package_set_id": status.package_set_id,
        "ecosystem": status.ecosystem,
        "bucket": status.bucket,
        "owner": status.owner,
        "conflict": ",".join(status.conflict),
        "update_state": status.update,
        "security_state": status.security,
        "reboot_state": status.reboot,
        "pending_since": status.pending_since,
        "reboot_reasons": list(status.reboot_reasons),
        "freshness": status.freshness,
        "patched": status.patched,
        "collected_at": status.collected_at,
        "uptime_days": status.uptime_days,
        "uptime_over_limit": status.uptime_over_limit,
        "packages": s.packages,
        "package_instances": s.known,
        "outdated": s.outdated,
        "security_updates": s.security_updates,
        "days_behind_sum": s.days_behind_sum,
        "days_behind_mean": status.days_behind_mean,
        "days_behind_max": s.days_behind_max,
        "advisories": s.advisories,
        "fix_available": s.fix_available,
        "no_fix": s.no_fix,
        "critical": s.by_severity.get("critical", 0),
        "high": s.by_severity.get("high", 0),
        "medium": s.by_severity.get("medium", 0),
        "low": s.by_severity.get("low", 0),
        "worst_severity": worst,
        "severity_rank": LEVELS.index(worst) if worst else len(LEVELS),
        "drifted": s.drifted,
        "sla_breaches": list(status.sla_breaches),
        "breached": bool(status.sla_breaches),
        "problem": s.problem,
    }


def status_from_row(row: HostStatusRow) -> HostStatus:
    by_severity = {
        level: count
        for level, count in (
            ("critical", row.critical),
            ("high", row.high),
            ("medium", row.medium),
            ("low", row.low),
        )
        if count
    }
    rest = row.advisories - sum(by_severity.values())
    if rest > 0:
        by_severity["unknown"] = rest
    summary = SetSummary(
        packages=row.packages,
        known=row.package_instances,
        outdated=row.outdated,
        security_updates=row.security_updates,
        days_behind_sum=row.days_behind_sum,
        days_behind_max=row.days_behind_max,
        advisories=row.advisories,
        fix_available=row.fix_available,
        no_fix=row.no_fix,
        by_severity=by_severity,
        drifted=row.drifted,
        problem=row.problem,
    )
    return HostStatus(
        hostname=row.hostname,
        bucket=row.bucket,
        owner=row.owner,
        ecosystem=row.ecosystem,
        collected_at=row.collected_at,
        package_set_id=row.package_set_id,
        update=row.update_state,  # type: ignore[arg-type]
        security=row.security_state,  # type: ignore[arg-type]
        reboot=row.reboot_state,  # type: ignore[arg-type]
        freshness=row.freshness,  # type: ignore[arg-type]
        patched=row.patched,
        summary=summary,
        conflict=tuple(c for c in row.conflict.split(",") if c),
        pending_since=row.pending_since,
        reboot_reasons=tuple(row.reboot_reasons),
        uptime_days=row.uptime_days,
        uptime_over_limit=row.uptime_over_limit,
        sla_breaches=tuple(row.sla_breaches),
    )
