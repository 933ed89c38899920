"""Read-only figures of runs for the pages and `/metrics`: each one aggregate query.

Kept apart from `RunRepository` (which the engine writes through) so the views never add load to
the claim path: everything here is a `GROUP BY` over `runs`, `run_hosts` and `run_steps`, or one
row. Step durations are computed by the database (`julianday` on SQLite, `extract(epoch …)` on
PostgreSQL), so a scrape reads one row per (bucket, step), not one per recorded step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Float, and_, case, cast, extract, func, select
from sqlalchemy.orm import Session

from fleetpatch.runs.records import LIVE_RUN_STATES, TERMINAL_HOST_STATES
from fleetpatch.store.tables_runs import AuditRow, HaltRow, RunHostRow, RunRow, RunStepRow

# Outcomes that never change once recorded (`running` may still become any of them).
ENDED_OUTCOMES = ("ok", "failed", "timeout", "interrupted", "skipped")
NOT_IN_FLIGHT = ("queued", *sorted(TERMINAL_HOST_STATES))


@dataclass(frozen=True, slots=True)
class DurationBuckets:
    """Cumulative counts of a (bucket, step)'s `ok` attempts at or under each bound, seconds."""

    bucket: str
    step: str
    bounds: tuple[float, ...]
    counts: tuple[int, ...]  # one per bound, cumulative
    count: int
    total_seconds: float


class RunQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def halt(self) -> HaltRow | None:
        """The andon cord's row, or None: a primary-key read, cheap enough for every page."""
        return self.session.get(HaltRow, 1)

    def runs_by_state(self) -> dict[str, int]:
        query = select(RunRow.state, func.count()).group_by(RunRow.state)
        return {state: int(n) for state, n in self.session.execute(query)}

    def in_flight_by_bucket(self) -> dict[str, int]:
        """Hosts started and not finished, in live runs, per bucket."""
        query = (
            select(RunRow.bucket, func.count())
            .join(RunHostRow, RunHostRow.run_id == RunRow.id)
            .where(
                RunRow.state.in_(sorted(LIVE_RUN_STATES)),
                RunHostRow.state.not_in(NOT_IN_FLIGHT),
            )
            .group_by(RunRow.bucket)
        )
        return {bucket: int(n) for bucket, n in self.session.execute(query)}

    def step_outcomes(self) -> dict[tuple[str, str, str], int]:
        """Ended step attempts per (bucket, step, outcome): only ever grows (a counter)."""
        query = (
            select(RunRow.bucket, RunStepRow.name, RunStepRow.outcome, func.count())
            .join(RunRow, RunRow.id == RunStepRow.run_id)
            .where(RunStepRow.outcome.in_(ENDED_OUTCOMES))
            .group_by(RunRow.bucket, RunStepRow.name, RunStepRow.outcome)
        )
        return {(b, s, o): int(n) for b, s, o, n in self.session.execute(query)}

    def step_durations(self, bounds: Sequence[float]) -> list[DurationBuckets]:
        """Histogram of the `ok` attempts' durations per (bucket, step), counted in SQL."""
        seconds = self._seconds()
        under = [func.sum(case((seconds <= b, 1), else_=0)) for b in bounds]
        query = (
            select(RunRow.bucket, RunStepRow.name, func.count(), func.sum(seconds), *under)
            .join(RunRow, RunRow.id == RunStepRow.run_id)
            .where(RunStepRow.outcome == "ok", RunStepRow.finished_at.is_not(None))
            .group_by(RunRow.bucket, RunStepRow.name)
            .order_by(RunRow.bucket, RunStepRow.name)
        )
        found = []
        for bucket, step, count, total, *cumulative in self.session.execute(query):
            found.append(
                DurationBuckets(
                    bucket,
                    step,
                    tuple(bounds),
                    tuple(int(c or 0) for c in cumulative),
                    int(count),
                    float(total or 0.0),
                )
            )
        return found

    def oldest_heartbeat(self) -> datetime | None:
        """The last heartbeat of the held lease that beat longest ago (None: no lease held)."""
        query = (
            select(RunHostRow.heartbeat_at)
            .where(RunHostRow.lease_holder.is_not(None), RunHostRow.heartbeat_at.is_not(None))
            .order_by(RunHostRow.heartbeat_at)
            .limit(1)
        )
        found: datetime | None = self.session.execute(query).scalar()
        return found

    def paged_hosts(self, run_ids: Sequence[str]) -> dict[str, set[str]]:
        """Per run, the hosts for which the engine paged (the audit log's `page` entries)."""
        if not run_ids:
            return {}
        query = (
            select(AuditRow.run_id, AuditRow.host)
            .where(AuditRow.action == "page", AuditRow.run_id.in_(list(run_ids)))
            .distinct()
        )
        found: dict[str, set[str]] = {}
        for run_id, host in self.session.execute(query):
            found.setdefault(str(run_id), set()).add(str(host or ""))
        return found

    def wave_counts(self, run_ids: Sequence[str]) -> dict[str, dict[int, dict[str, int]]]:
        """Per run and wave, hosts by state."""
        if not run_ids:
            return {}
        query = (
            select(RunHostRow.run_id, RunHostRow.wave, RunHostRow.state, func.count())
            .where(RunHostRow.run_id.in_(list(run_ids)))
            .group_by(RunHostRow.run_id, RunHostRow.wave, RunHostRow.state)
        )
        found: dict[str, dict[int, dict[str, int]]] = {}
        for run_id, wave, state, n in self.session.execute(query):
            found.setdefault(run_id, {}).setdefault(int(wave), {})[state] = int(n)
        return found

    def runs_with_bucket(self, bucket: str, limit: int) -> list[RunRow]:
        query = (
            select(RunRow)
            .where(RunRow.bucket == bucket)
            .order_by(RunRow.created_at.desc(), RunRow.id.desc())
            .limit(limit)
        )
        return list(self.session.execute(query).scalars())

    def host_steps(self, host: str, run_ids: Sequence[str]) -> list[RunStepRow]:
        """Every step attempt of `host` in the given runs, in the order they were recorded."""
        if not run_ids:
            return []
        query = (
            select(RunStepRow)
            .where(and_(RunStepRow.host == host, RunStepRow.run_id.in_(list(run_ids))))
            .order_by(RunStepRow.id)
        )
        return list(self.session.execute(query).scalars())

    def _seconds(self) -> ColumnElement[float]:
        started, finished = RunStepRow.started_at, RunStepRow.finished_at
        if self.session.get_bind().dialect.name == "sqlite":
            days = func.julianday(finished) - func.julianday(started)
            return cast(days * 86400.0, Float)
        return cast(extract("epoch", finished - started), Float)
