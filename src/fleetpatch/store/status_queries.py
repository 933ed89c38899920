"""Filtered, sorted, paginated reads of `host_status`: the hosts listing and the metric breakdowns.

A `StatusFilter` says which hosts (bucket, owner, state, ecosystem, free text); `HostSort` says in
which order. Every sort is an indexed column with `host_id` (the row id, so part of every SQLite
index) as the tie-breaker, so a page is an index walk: `LIMIT/OFFSET` stays in milliseconds at
100,000 hosts and the order is total (no host shows on two pages). The free-text filter is a
`LIKE` on the hostname with `%`/`_` escaped, so it matches the text literally.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from fleetpatch.exposure.status import HostStatus
from fleetpatch.store.evaluations import NONE_KEY, EvaluationRepository
from fleetpatch.store.tables_eval import HostStatusRow

HostSort = Literal["days_behind", "uptime", "severity", "hostname"]
SORTS: tuple[HostSort, ...] = ("days_behind", "uptime", "severity", "hostname")
H = HostStatusRow
# A "state" is any one condition a dashboard number counts; each maps to a SQL condition.
STATES: Mapping[str, ColumnElement[bool]] = {
    "current": H.update_state == "current",
    "behind": H.update_state == "behind",
    "overdue": H.update_state == "overdue",
    "unknown": H.update_state == "unknown",
    "patched": H.patched.is_(True),
    "unpatched": H.patched.is_(False),
    "critical": H.worst_severity == "critical",
    "high": H.worst_severity == "high",
    "critical_or_high": H.worst_severity.in_(("critical", "high")),
    "affected": H.security_state != "not_affected",
    "fix_available": H.security_state == "affected_fix_available",
    "pending_reboot": H.reboot_state == "pending_reboot",
    "stale": H.freshness == "stale",
    "uptime_over_limit": H.uptime_over_limit.is_(True),
    "drifted": H.drifted > 0,
    "unclassified": H.bucket.is_(None),
    "sla_breached": H.breached.is_(True),
}


@dataclass(frozen=True, slots=True)
class StatusFilter:
    """Which hosts; empty fields do not filter. `bucket`/`owner` `(none)`: the unclassified."""

    bucket: str = ""
    owner: str = ""
    state: str = ""
    ecosystem: str = ""
    text: str = ""
    hostnames: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class StatusPage:
    rows: tuple[HostStatus, ...]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total


class StatusQueries:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._repo = EvaluationRepository(session)

    def page(
        self,
        where: StatusFilter,
        *,
        sort: HostSort = "days_behind",
        descending: bool = True,
        offset: int = 0,
        limit: int = 50,
    ) -> StatusPage:
        query = filtered(select(HostStatusRow), where)
        total = self._repo.count(query)
        ordered = query.order_by(*_order(sort, descending)).offset(offset).limit(limit)
        return StatusPage(tuple(self._repo.statuses(ordered)), total, offset, limit)

    def count_by(
        self, column: str, where: StatusFilter | None = None
    ) -> dict[tuple[Any, ...], int]:
        """Host counts per (bucket, `column`) value, e.g. `worst_severity` or `update_state`."""
        grouped = getattr(HostStatusRow, column)
        query = select(HostStatusRow.bucket, grouped, func.count()).group_by(
            HostStatusRow.bucket, grouped
        )
        if where is not None:
            query = filtered(query, where)
        return {(b, v): int(n) for b, v, n in self._session.execute(query)}

    def distinct(self, column: str) -> list[str]:
        """The distinct non-empty values of a column (for filter menus)."""
        col = getattr(HostStatusRow, column)
        query = select(col).where(col.is_not(None)).distinct().order_by(col)
        return [str(v) for v in self._session.execute(query).scalars()]


def filtered(query: Select[Any], where: StatusFilter) -> Select[Any]:
    """Add the filter's conditions to a query over `host_status`."""
    conditions: list[ColumnElement[bool]] = []
    for column, value in ((H.bucket, where.bucket), (H.owner, where.owner)):
        if value == NONE_KEY:
            conditions.append(column.is_(None))
        elif value:
            conditions.append(column == value)
    if where.ecosystem:
        conditions.append(H.ecosystem == where.ecosystem)
    if where.state:
        conditions.append(STATES[where.state])
    if where.text:
        conditions.append(H.hostname.like(f"%{_escape_like(where.text)}%", escape="\\"))
    if where.hostnames is not None:
        conditions.append(H.hostname.in_(where.hostnames))
    return query.where(*conditions) if conditions else query


def _order(sort: HostSort, descending: bool) -> list[Any]:
    column: Any = {
        "days_behind": H.days_behind_mean,
        "uptime": H.uptime_days,
        "severity": H.severity_rank,
        "hostname": H.hostname,
    }[sort]
    if sort == "severity":
        descending = not descending  # rank 0 is the worst: "most severe first" is ascending
    if sort == "hostname":
        return [column.desc() if descending else column.asc()]
    if descending:
        return [column.desc(), H.host_id.desc()]
    return [column.asc(), H.host_id.asc()]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
