"""Tables of runs: runs, their hosts (with leases), every step attempt, the audit log, the halt.

`run_hosts` is where work is claimed: a worker owns a host while `lease_holder` is its id and
`lease_expires_at` is in the future, and extends the lease while it works (heartbeat). A lease is
taken with a compare-and-set `UPDATE` (free or expired, else no row changes), which behaves the
same on SQLite and PostgreSQL. `runs.claim_seq` is bumped by whoever starts new hosts of a run, so
on PostgreSQL that row lock serialises the "how many are in flight?" count across workers.

`run_steps` has one row per attempt of a step; an attempt left `running` by a dead worker is marked
`interrupted` when the host is resumed. `audit_log` is append-only: every transition and every
operator action, with who (token name or OS user), when and why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fleetpatch.store.tables import Base
from fleetpatch.store.types import UtcDateTime


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(64), index=True)
    strategy: Mapped[str] = mapped_column(String(32))
    executor: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    override_window: Mapped[bool] = mapped_column(Boolean)
    concurrency_limit: Mapped[int] = mapped_column(Integer)
    allowed_errors: Mapped[int] = mapped_column(Integer)
    forgiven_errors: Mapped[int] = mapped_column(Integer)
    on_window_end: Mapped[str] = mapped_column(String(32))
    on_timeout: Mapped[str] = mapped_column(String(16))
    target: Mapped[dict[str, Any]] = mapped_column(JSON)
    stop_reason: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    claim_seq: Mapped[int] = mapped_column(Integer)


class RunHostRow(Base):
    __tablename__ = "run_hosts"
    __table_args__ = (UniqueConstraint("run_id", "host", name="uq_run_hosts_host"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    host: Mapped[str] = mapped_column(String(255), index=True)
    wave: Mapped[int] = mapped_column(Integer)
    canary: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    step_index: Mapped[int] = mapped_column(Integer)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    target: Mapped[dict[str, Any]] = mapped_column(JSON)
    failed_phase: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    lease_holder: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    waiting_since: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    waiting_for: Mapped[str] = mapped_column(Text)


class RunStepRow(Base):
    __tablename__ = "run_steps"
    # A resumed host's claim, `run show` and the host page read a run's steps by host.
    __table_args__ = (Index("ix_run_steps_run_host", "run_id", "host"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    host: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    holder: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    pgid: Mapped[int | None] = mapped_column(Integer, nullable=True)


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class HaltRow(Base):
    """The fleet-wide andon cord: one row (id 1) while a halt is on."""

    __tablename__ = "fleet_halt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
