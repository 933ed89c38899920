"""Runs in the store: create, read, claim under leases, record step attempts, audit, halt.

Claims are compare-and-set `UPDATE`s: a worker takes a host only when no one holds it or its
holder's lease has expired, and only the holder may record its steps or release it. Callers pass
the time: the store never reads the clock (tests run at fixed times, and PostgreSQL's `now()`
is never used, so a worker's clock decides and `faketime` moves it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, defer

from fleetpatch.runs.records import LIVE_RUN_STATES
from fleetpatch.store.tables_runs import AuditRow, HaltRow, RunHostRow, RunRow, RunStepRow


class RunRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # runs -------------------------------------------------------------------------------------

    def add(self, run: RunRow, hosts: Sequence[RunHostRow]) -> None:
        self.session.add(run)
        self.session.flush()
        self.session.add_all(hosts)
        self.session.flush()

    def add_planned(self, run: RunRow, hosts: Sequence[Mapping[str, Any]]) -> None:
        """A new run and its host rows (as column mappings), the hosts in one bulk insert."""
        self.session.add(run)
        self.session.flush()
        if hosts:
            self.session.execute(insert(RunHostRow), [dict(h) for h in hosts])

    def get(self, run_id: str, *, with_target: bool = True) -> RunRow | None:
        """The run; `with_target=False` leaves its frozen target (large for big runs) unread
        until it is used, as the engine's per-step reads never do."""
        if with_target:
            return self.session.get(RunRow, run_id)
        return self.session.get(RunRow, run_id, options=[defer(RunRow.target)])

    def ids(self) -> list[str]:
        return list(self.session.execute(select(RunRow.id)).scalars())

    def buckets(self) -> list[str]:
        """The buckets that have runs, A to Z (a bucket since renamed in the policy included)."""
        query = select(RunRow.bucket).distinct().order_by(RunRow.bucket)
        return list(self.session.execute(query).scalars())

    def listing(self, *, bucket: str | None = None, limit: int = 100) -> list[RunRow]:
        query = select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id.desc()).limit(limit)
        if bucket:
            query = query.where(RunRow.bucket == bucket)
        return list(self.session.execute(query).scalars())

    def live_ids(self) -> list[str]:
        query = (
            select(RunRow.id)
            .where(RunRow.state.in_(sorted(LIVE_RUN_STATES)))
            .order_by(RunRow.created_at, RunRow.id)
        )
        return list(self.session.execute(query).scalars())

    def lock(self, run_id: str) -> RunRow | None:
        """The run, with its row locked until the transaction ends (serialises host starts)."""
        self.session.execute(
            update(RunRow).where(RunRow.id == run_id).values(claim_seq=RunRow.claim_seq + 1)
        )
        return self.session.get(RunRow, run_id, populate_existing=True)

    def host_counts(self, run_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        query = (
            select(RunHostRow.run_id, RunHostRow.state, func.count())
            .where(RunHostRow.run_id.in_(list(run_ids)))
            .group_by(RunHostRow.run_id, RunHostRow.state)
        )
        found: dict[str, dict[str, int]] = {}
        for run_id, state, count in self.session.execute(query):
            found.setdefault(run_id, {})[state] = int(count)
        return found

    # hosts ------------------------------------------------------------------------------------

    def hosts(self, run_id: str) -> list[RunHostRow]:
        query = (
            select(RunHostRow)
            .where(RunHostRow.run_id == run_id)
            .order_by(RunHostRow.wave, RunHostRow.host)
        )
        return list(self.session.execute(query).scalars())

    def host(self, run_id: str, host: str, *, lock: bool = False) -> RunHostRow | None:
        """The host's row as stored now; `lock` holds it (on PostgreSQL) until the transaction
        ends, so no claim can take the lease between a holder's check and its writes."""
        query = select(RunHostRow).where(RunHostRow.run_id == run_id, RunHostRow.host == host)
        if lock:
            query = query.with_for_update()
        return self.session.execute(query.execution_options(populate_existing=True)).scalar()

    def runs_of_host(self, host: str, limit: int = 20) -> list[tuple[RunRow, RunHostRow]]:
        query = (
            select(RunRow, RunHostRow)
            .join(RunHostRow, RunHostRow.run_id == RunRow.id)
            .where(RunHostRow.host == host)
            .order_by(RunRow.created_at.desc())
            .limit(limit)
        )
        return [(r, h) for r, h in self.session.execute(query)]

    def claim(self, run_id: str, host: str, holder: str, now: datetime, ttl: float) -> bool:
        """Take the host's lease: free, expired, or already ours. True when we hold it now."""
        result = self.session.execute(
            update(RunHostRow)
            .where(
                RunHostRow.run_id == run_id,
                RunHostRow.host == host,
                or_(
                    RunHostRow.lease_holder.is_(None),
                    RunHostRow.lease_holder == holder,
                    RunHostRow.lease_expires_at < now,
                ),
            )
            .values(
                lease_holder=holder,
                lease_expires_at=now + timedelta(seconds=ttl),
                heartbeat_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def renew(self, holder: str, now: datetime, ttl: float) -> int:
        """Heartbeat: extend every lease `holder` still holds. Returns how many."""
        result = self.session.execute(
            update(RunHostRow)
            .where(RunHostRow.lease_holder == holder)
            .values(lease_expires_at=now + timedelta(seconds=ttl), heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0))

    def release(self, run_id: str, host: str, holder: str) -> None:
        self.session.execute(
            update(RunHostRow)
            .where(
                RunHostRow.run_id == run_id,
                RunHostRow.host == host,
                RunHostRow.lease_holder == holder,
            )
            .values(lease_holder=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )

    def leases(self) -> list[RunHostRow]:
        query = select(RunHostRow).where(RunHostRow.lease_holder.is_not(None))
        return list(self.session.execute(query).scalars())

    # steps ------------------------------------------------------------------------------------

    def steps(self, run_id: str, host: str | None = None) -> list[RunStepRow]:
        query = select(RunStepRow).where(RunStepRow.run_id == run_id).order_by(RunStepRow.id)
        if host is not None:
            query = query.where(RunStepRow.host == host)
        return list(self.session.execute(query).scalars())

    def step(self, step_id: int) -> RunStepRow | None:
        return self.session.get(RunStepRow, step_id)

    def add_step(self, step: RunStepRow) -> int:
        """Record a step attempt; returns its id."""
        self.session.add(step)
        self.session.flush()
        return int(step.id)

    def end_step(
        self,
        step_id: int,
        outcome: str,
        at: datetime,
        message: str,
        evidence: Mapping[str, Any],
    ) -> bool:
        """Record how an attempt ended, without reading it first. False when it is not there."""
        result = self.session.execute(
            update(RunStepRow)
            .where(RunStepRow.id == step_id)
            .values(outcome=outcome, finished_at=at, message=message, evidence=dict(evidence))
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def step_durations(
        self, bucket: str, limit: int = 200, *, leave_out: Sequence[str] = ("simulated",)
    ) -> dict[str, list[float]]:
        """Measured seconds of the bucket's completed steps, oldest first, per step name; runs of
        the `leave_out` executors (the simulated one: its clock is a model's) do not count."""
        query = (
            select(RunStepRow.name, RunStepRow.started_at, RunStepRow.finished_at)
            .join(RunRow, RunRow.id == RunStepRow.run_id)
            .where(
                RunRow.bucket == bucket,
                RunRow.executor.not_in(list(leave_out)),
                RunStepRow.outcome == "ok",
                RunStepRow.finished_at.is_not(None),
            )
            .order_by(RunStepRow.id.desc())
            .limit(limit * 20)
        )
        found: dict[str, list[float]] = {}
        for name, started, finished in self.session.execute(query):
            if finished is None:
                continue
            seconds = (finished - started).total_seconds()
            found.setdefault(name, []).insert(0, seconds)
        return {k: v[-limit:] for k, v in found.items()}

    # audit and halt ---------------------------------------------------------------------------

    def audit(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        run_id: str | None = None,
        host: str | None = None,
        reason: str = "",
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        self.session.add(
            AuditRow(
                at=at,
                actor=actor,
                action=action,
                run_id=run_id,
                host=host,
                reason=reason,
                detail=dict(detail or {}),
            )
        )

    def audit_log(
        self, *, run_id: str | None = None, since: datetime | None = None, limit: int = 1000
    ) -> list[AuditRow]:
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if run_id:
            query = query.where(AuditRow.run_id == run_id)
        if since is not None:
            query = query.where(AuditRow.at >= since)
        return list(reversed(list(self.session.execute(query).scalars())))

    def halt(self) -> HaltRow | None:
        return self.session.get(HaltRow, 1, populate_existing=True)

    def set_halt(self, *, reason: str, actor: str, at: datetime) -> bool:
        """Pull the cord. False when it was pulled already (the first reason stands)."""
        if self.halt() is not None:
            return False
        self.session.add(HaltRow(id=1, reason=reason, actor=actor, at=at))
        self.session.flush()
        return True

    def clear_halt(self) -> bool:
        result = self.session.execute(delete(HaltRow).where(HaltRow.id == 1))
        return bool(getattr(result, "rowcount", 0))
