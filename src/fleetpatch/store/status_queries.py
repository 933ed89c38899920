"""Filtered, sorted, paginated reads of `host_status`: the hosts listing and the metric breakdowns.

A `StatusFilter` says which hosts (bucket, owner, state, ecosystem, free text); `HostSort` says in
which order. Every sort is an indexed column with `host_id` (the row id, so part of every SQLite
index) as the tie-breaker, so a page is an index walk: `LIMIT/OFFSET` stays in milliseconds at
100,000 hosts and the order is total (no host shows on two pages). When a filter leaves so few
hosts that walking the sort index would look up most rows to test the filter (see `page`), the
matches are found by one scan and sorted instead. The free-text filter is a
`LIKE` on the hostname with `%`/`_` escaped, so it matches the text literally.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from sqlalchemy import ColumnElement, Integer, Select, cast, func, select
from sqlalchemy.orm import Session

from fleetpatch.advisories.records import LEVELS
from fleetpatch.exposure.quantiles import nearest_rank
from fleetpatch.exposure.rollups import Rollup
from fleetpatch.exposure.status import HostStatus
from fleetpatch.store.digests import unpack_ids
from fleetpatch.store.evaluations import (
    NONE_KEY,
    EvaluationRepository,
    rollup_columns,
    rollup_from_values,
)
from fleetpatch.store.tables import PackageSetRow, PackageVersionRow
from fleetpatch.store.tables_eval import HostStatusRow

HostSort = Literal["days_behind", "uptime", "severity", "hostname"]
SORTS: tuple[HostSort, ...] = ("days_behind", "uptime", "severity", "hostname")
WALK_OR_SCAN = 5
UPDATE_STATES = ("current", "behind", "overdue", "unknown")
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
    "security_pending": H.security_updates > 0,
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
    package_sets: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class StatusPage:
    rows: tuple[HostStatus, ...]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total


@dataclass(frozen=True, slots=True)
class Cell:
    """The hosts of one (bucket, owner) pair: their rollup, and counts by state and severity."""

    bucket: str | None
    owner: str | None
    rollup: Rollup
    by_update_state: Mapping[str, int]
    by_severity: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class DaysBehindP90:
    """Days behind, 90th percentile over hosts: per bucket and per owner (None: the
    unclassified / ownerless), and for the fleet."""

    by_bucket: Mapping[str | None, float]
    by_owner: Mapping[str | None, float]
    fleet: float


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Every fleet figure from one scan of `host_status`; groupings are merged in memory."""

    cells: tuple[Cell, ...]

    def fleet(self) -> Rollup:
        return merge("fleet", (c.rollup for c in self.cells))

    def by(self, key: Callable[[Cell], str | None]) -> tuple[Rollup, ...]:
        groups: dict[str | None, list[Rollup]] = {}
        for cell in self.cells:
            groups.setdefault(key(cell), []).append(cell.rollup)
        ordered = sorted(groups, key=lambda k: (k is None, k or ""))
        return tuple(merge(k, groups[k]) for k in ordered)

    def by_bucket(self) -> tuple[Rollup, ...]:
        return self.by(lambda c: c.bucket)

    def by_owner(self) -> tuple[Rollup, ...]:
        return self.by(lambda c: c.owner)

    def per_bucket(
        self, counts: Callable[[Cell], Mapping[str, int]]
    ) -> dict[tuple[str | None, str], int]:
        """(bucket, value) -> hosts, for `Cell.by_update_state` or `Cell.by_severity`."""
        out: dict[tuple[str | None, str], int] = {}
        for cell in self.cells:
            for value, n in counts(cell).items():
                out[(cell.bucket, value)] = out.get((cell.bucket, value), 0) + n
        return out


def _cell(
    bucket: str | None, owner: str | None, group: list[tuple[str, str | None, Rollup]]
) -> Cell:
    by_state = dict.fromkeys(UPDATE_STATES, 0)
    by_severity = dict.fromkeys(LEVELS, 0)
    for state, severity, rollup in group:
        by_state[state] = by_state.get(state, 0) + rollup.hosts
        if severity is not None:
            by_severity[severity] = by_severity.get(severity, 0) + rollup.hosts
    rollup = merge(bucket, (r for _, _, r in group))
    return Cell(bucket, owner, rollup, by_state, by_severity)


def merge(key: str | None, rollups: Iterable[Rollup]) -> Rollup:
    """Sum the counts of several rollups; the maxima stay maxima."""
    values: dict[str, Any] = {f.name: 0 for f in fields(Rollup) if f.name != "key"}
    values["max_uptime_days"] = None
    values["days_behind_max"] = 0.0
    for r in rollups:
        for name in values:
            mine = getattr(r, name)
            if name == "max_uptime_days":
                if mine is not None:
                    values[name] = max(values[name] or 0.0, mine)
            elif name == "days_behind_max":
                values[name] = max(values[name], mine)
            else:
                values[name] += mine
    return Rollup(key=key, **values)


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
        # Walking the sort index looks up (offset + limit) / density rows to test the filter; a
        # scan reads every row once, about WALK_OR_SCAN times cheaper per row. Take the cheaper.
        indexed = where == StatusFilter() or total > WALK_OR_SCAN * (offset + limit)
        order = _order(sort, descending, indexed=indexed)
        ordered = query.order_by(*order).offset(offset).limit(limit)
        return StatusPage(tuple(self._repo.statuses(ordered)), total, offset, limit)

    def breakdown(self) -> Breakdown:
        """One aggregate pass grouped by (bucket, owner, update state, worst severity).

        The grouping columns lead the covering index `ix_host_status_figures`, so the database
        streams the index in order without sorting or touching the table.
        """
        keys = (H.bucket, H.owner, H.update_state, H.worst_severity)
        query = select(*keys, *rollup_columns()).group_by(*keys)
        parts: dict[tuple[str | None, str | None], list[tuple[str, str | None, Rollup]]] = {}
        for row in self._session.execute(query):
            bucket, owner, state, severity = row[0], row[1], row[2], row[3]
            parts.setdefault((bucket, owner), []).append(
                (state, severity, rollup_from_values(bucket, row[4:]))
            )
        return Breakdown(tuple(_cell(b, o, group) for (b, o), group in parts.items()))

    def days_behind_p90(self) -> DaysBehindP90:
        """The 90th percentile, over hosts, of each host's days behind (its oldest missing
        update), per bucket, per owner and for the fleet; to the whole day.

        One scan: the distribution of whole days per (bucket, owner) (a few hundred rows however
        large the fleet), read in index order, then summed per grouping in memory.
        """
        day = cast(H.days_behind_max, Integer)
        query = select(H.bucket, H.owner, day, func.count()).group_by(H.bucket, H.owner, day)
        buckets: dict[str | None, list[tuple[int, int]]] = {}
        owners: dict[str | None, list[tuple[int, int]]] = {}
        fleet: list[tuple[int, int]] = []
        for bucket, owner, days, n in self._session.execute(query):
            pair = (int(days), int(n))
            buckets.setdefault(bucket, []).append(pair)
            owners.setdefault(owner, []).append(pair)
            fleet.append(pair)

        def p90(groups: dict[str | None, list[tuple[int, int]]]) -> dict[str | None, float]:
            return {k: float(nearest_rank(v, 0.9)) for k, v in groups.items()}

        return DaysBehindP90(p90(buckets), p90(owners), float(nearest_rank(fleet, 0.9)))

    def sets_with(self, ecosystem: str, package: str, version: str) -> tuple[int, ...]:
        """Ids of the package sets that contain `package` at `version` (any architecture)."""
        wanted = select(PackageVersionRow.id).where(
            PackageVersionRow.ecosystem == ecosystem,
            PackageVersionRow.name == package,
            PackageVersionRow.version == version,
        )
        ids = set(self._session.execute(wanted).scalars())
        if not ids:
            return ()
        sets = select(PackageSetRow.id, PackageSetRow.members).where(
            PackageSetRow.ecosystem == ecosystem
        )
        return tuple(
            set_id
            for set_id, blob in self._session.execute(sets)
            if not ids.isdisjoint(unpack_ids(blob))
        )

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
    if where.package_sets is not None:
        conditions.append(H.package_set_id.in_(where.package_sets))
    return query.where(*conditions) if conditions else query


def _order(sort: HostSort, descending: bool, *, indexed: bool = True) -> list[Any]:
    column: Any = {
        "days_behind": H.days_behind_max,  # the host's oldest missing update
        "uptime": H.uptime_days,
        "severity": H.severity_rank,
        "hostname": H.hostname,
    }[sort]
    if not indexed:
        column = column + "" if sort == "hostname" else column + 0  # same order, no index
    if sort == "severity":
        descending = not descending  # rank 0 is the worst: "most severe first" is ascending
    if sort == "hostname":
        return [column.desc() if descending else column.asc()]
    if descending:
        return [column.desc(), H.host_id.desc()]
    return [column.asc(), H.host_id.asc()]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
