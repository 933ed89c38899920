"""The engine: workers claim hosts of live runs under leases and move them one step at a time.

A tick, for each live run (oldest first):

1. In one write transaction with the run's row locked: ask `runs.rate.decide` what may happen
   (the counts come from the store, so limits hold across workers), apply the run event (start,
   halt, unhalt, stop, finish) with an audit entry, and take the leases of the hosts to start and
   of the in-flight hosts that no live worker holds.
2. Work the hosts it holds in a small thread pool: each host takes its steps in order until it
   finishes, fails, must wait (a blocker, the window's end, a report not yet in) or the fleet is
   halted. A heartbeat thread extends the leases meanwhile.

Every step attempt is a row (`running` before the executor is called, its outcome after), so a
worker that dies mid-step leaves a `running` attempt: the next worker to take the host (after the
lease expired) ends the step's recorded process group if it is still alive, marks the attempt
`interrupted` and runs the step again. A step recorded `ok` never runs again.

Notices (`app/notices.py`) are written in the transaction that makes their change: run events
when a run starts, stops, is halted or finishes and when a wave's hosts have all finished, a page
trigger where a host is paged and its resolve when a host that was paged is later done. The end of
each tick delivers the due ones through the worker's notifiers, bounded in number and time.

The engine never waits without a deadline: every step has its timeout; a blocker or the verify
step waits at most its timeout across ticks; `on_timeout` decides what a missed deadline does
(`page`: the host is blocked and the owner paged, `block`: blocked, `skip`: skipped).
"""

from __future__ import annotations

import hashlib
import logging
import socket
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from fleetpatch.app.notices import (
    DeliveryLimits,
    done_waves,
    enqueue_page,
    enqueue_resolves,
    enqueue_run_event,
    event_channels,
    page_channels,
)
from fleetpatch.app.notices import deliver_notices as deliver
from fleetpatch.notify.base import Notifier
from fleetpatch.orchestrate.blockers import check_blockers
from fleetpatch.orchestrate.executors import (
    Executor,
    HostUnreachable,
    StepContext,
    StepFailed,
    StepTimedOut,
    Verification,
    Verifier,
    end_group,
)
from fleetpatch.orchestrate.verify import ReportVerifier
from fleetpatch.policy.records import Bucket, Policy
from fleetpatch.runs.machine import transition
from fleetpatch.runs.rate import Decision, HostView, RunView, WindowView, decide
from fleetpatch.runs.records import TERMINAL_HOST_STATES, StepSpec
from fleetpatch.schedule.buckets import next_window
from fleetpatch.store import Store
from fleetpatch.store.notices import NoticeRepository
from fleetpatch.store.runs import RunRepository
from fleetpatch.store.tables_runs import RunHostRow, RunRow, RunStepRow

log = logging.getLogger(__name__)

DEFAULT_LEASE_TTL = 120.0
DEFAULT_PARALLEL = 8
# A host takes at most this many steps per claim before it goes back to the pool.
MAX_STEPS_PER_CLAIM = 64
ENGINE_ACTOR = "engine"
# The run events that owners are told of (a halt stops the run as a stop does).
RUN_EVENT_NOTICES = {
    "start": "run.started",
    "finish": "run.finished",
    "stop": "run.stopped",
    "halt": "run.stopped",
}

Clock = Callable[[], datetime]
HostOutcome = Literal["continue", "done", "wait", "stop", "lost"]


@dataclass
class TickReport:
    runs: int = 0
    started: int = 0
    steps: int = 0
    events: list[str] = field(default_factory=list)
    notices: int = 0  # deliveries settled this tick (sent, failed or abandoned)

    @property
    def busy(self) -> bool:
        return bool(self.started or self.steps or self.events or self.notices)


@dataclass
class _Claim:
    """What the holder of a host's lease knows of the host's step rows while it holds the lease.

    Only the holder writes them, so they are read once per claim (`known` false), and not at all
    for a host the claim took from the queue, which has none yet. Saves a scan per step.
    """

    known: bool = False
    attempts: Counter[str] = field(default_factory=Counter)
    open_verify: tuple[int, int] | None = None  # (id, attempt) of a verify still being polled


def default_holder() -> str:
    import os

    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


class Engine:
    def __init__(
        self,
        store: Store,
        policy: Policy,
        executors: Mapping[str, Executor],
        *,
        clock: Clock,
        holder: str | None = None,
        lease_ttl: float = DEFAULT_LEASE_TTL,
        parallel: int = DEFAULT_PARALLEL,
        verifier: Verifier | None = None,
        notifiers: Sequence[Notifier] = (),
        delivery: DeliveryLimits | None = None,
        on_tick: Callable[[datetime], object] | None = None,
    ) -> None:
        if lease_ttl <= 0:
            raise ValueError("lease_ttl must be positive")
        self.store = store
        self.policy = policy
        self.executors = dict(executors)
        self.clock = clock
        self.holder = holder or default_holder()
        self.lease_ttl = lease_ttl
        self.parallel = max(1, parallel)
        self.verifier = verifier or ReportVerifier(store)
        self.notifiers = tuple(notifiers)
        self.delivery = delivery or DeliveryLimits()
        self._tells_events = bool(event_channels(policy))
        self._pages = bool(page_channels(policy))
        self._waves_told: set[tuple[str, int]] = set()
        self._stopping = threading.Event()
        # Work of the layers above done each tick before delivery (incidents: status slots).
        self.on_tick = on_tick

    def request_stop(self) -> None:
        """Finish the steps in progress, start no new one (SIGTERM)."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def pause(self, seconds: float) -> None:
        """Sleep between idle ticks; a stop request ends the pause at once."""
        self._stopping.wait(seconds)

    # -- ticks -----------------------------------------------------------------------------

    def tick(self) -> TickReport:
        report = TickReport()
        with self.store.session() as session:
            run_ids = RunRepository(session).live_ids()
        for run_id in run_ids:
            if self._stopping.is_set():
                break
            report.runs += 1
            work = self._decide(run_id, report)
            if work:
                self._work(run_id, work, report)
        if self.on_tick is not None and not self._stopping.is_set():
            self.on_tick(self.clock())
        self.deliver_notices(report)
        return report

    def deliver_notices(self, report: TickReport | None = None) -> None:
        """Send the outbox's due notices, bounded by `delivery` (per tick, and in time)."""
        if not self.notifiers or self._stopping.is_set():
            return
        done = deliver(
            self.store, self.notifiers, holder=self.holder, now=self.clock(), limits=self.delivery
        )
        if report is not None:
            report.notices += done.sent + done.failed + done.abandoned

    def run_until_idle(
        self, *, max_ticks: int = 100_000, idle: Callable[[], None] | None = None
    ) -> int:
        """Tick until no run has a runnable step. Returns the number of ticks."""
        for count in range(1, max_ticks + 1):
            done = self.tick()
            if self._stopping.is_set() or not self._has_runnable():
                return count
            if not done.busy and idle is not None:
                idle()
        return max_ticks

    def _has_runnable(self) -> bool:
        """A live run with a host that can move: queued ones while the window is open, in-flight
        ones not waiting, or a run event due."""
        now = self.clock()
        with self.store.session() as session:
            repo = RunRepository(session)
            if repo.halt() is not None:
                return False
            for run_id in repo.live_ids():
                run = repo.get(run_id)
                if run is None:
                    continue
                hosts = repo.hosts(run_id)
                decision = decide(self._view(run, hosts, halted=False), self._window(run, now))
                if decision.event or decision.start:
                    return True
                for h in hosts:
                    if h.state in TERMINAL_HOST_STATES or h.state == "queued":
                        continue
                    leased = h.lease_holder and h.lease_expires_at and h.lease_expires_at >= now
                    if leased and h.lease_holder != self.holder:
                        return True  # another worker has it: it will move
                    if not h.waiting_for:
                        return True
        return False

    # -- deciding --------------------------------------------------------------------------

    def _decide(self, run_id: str, report: TickReport) -> list[tuple[str, bool]]:
        """The hosts to work now, each with whether it just left the queue."""
        now = self.clock()
        with self.store.session(write=True) as session:
            repo = RunRepository(session)
            run = repo.lock(run_id)
            if run is None:
                return []
            halted = repo.halt() is not None
            hosts = repo.hosts(run_id)
            decision = decide(self._view(run, hosts, halted=halted), self._window(run, now))
            self._tell_waves(repo, run, hosts, now)
            self._apply_event(repo, run, decision, now, report, hosts)
            work: list[tuple[str, bool]] = []
            by_name = {h.host: h for h in hosts}
            for name in decision.start:
                if repo.claim(run_id, name, self.holder, now, self.lease_ttl):
                    row = by_name[name]
                    row.state = StepSpec.from_json(row.steps[0]).phase if row.steps else "verifying"
                    row.started_at = now
                    repo.audit(
                        at=now,
                        actor=ENGINE_ACTOR,
                        action="host.start",
                        run_id=run_id,
                        host=name,
                        detail={"wave": row.wave, "holder": self.holder},
                    )
                    report.started += 1
                    work.append((name, True))
            for name in decision.advance:
                row = by_name[name]
                if row.waiting_for and not self._wait_over(run, row, now):
                    continue
                previous = row.lease_holder
                expired = previous is not None and previous != self.holder
                if repo.claim(run_id, name, self.holder, now, self.lease_ttl):
                    if expired:
                        repo.audit(
                            at=now,
                            actor=ENGINE_ACTOR,
                            action="host.resume",
                            run_id=run_id,
                            host=name,
                            reason=f"lease of {previous} expired; resuming from its last "
                            "recorded step",
                            detail={"from": previous},
                        )
                    work.append((name, False))
            return work if not halted and run.state in ("running", "stopped") else []

    def _tell_waves(
        self, repo: RunRepository, run: RunRow, hosts: Sequence[RunHostRow], now: datetime
    ) -> None:
        """A `wave.done` notice for each wave whose hosts all finished (once: the outbox's
        unique key holds across workers, this cache saves asking again every tick)."""
        if not self._tells_events:
            return
        new = [
            w
            for w in done_waves(hosts, TERMINAL_HOST_STATES)
            if (run.id, w) not in self._waves_told
        ]
        for wave in new:
            enqueue_run_event(
                NoticeRepository(repo.session),
                self.policy,
                run,
                hosts,
                "wave.done",
                "",
                now,
                wave=wave,
            )
            self._waves_told.add((run.id, wave))

    def _apply_event(
        self,
        repo: RunRepository,
        run: RunRow,
        decision: Decision,
        now: datetime,
        report: TickReport,
        hosts: Sequence[RunHostRow] = (),
    ) -> None:
        if decision.event is None:
            return
        run.state = transition(run.state, decision.event)
        run.updated_at = now
        if decision.event == "stop":
            run.stop_reason = decision.reason
        if decision.event == "finish":
            run.finished_at = now
        repo.audit(
            at=now,
            actor=ENGINE_ACTOR,
            action=f"run.{decision.event}",
            run_id=run.id,
            reason=decision.reason,
        )
        told = RUN_EVENT_NOTICES.get(decision.event)
        if told and self._tells_events:
            enqueue_run_event(
                NoticeRepository(repo.session), self.policy, run, hosts, told, decision.reason, now
            )
        report.events.append(f"{run.id}: {decision.event} ({decision.reason})")
        log.info("run %s: %s (%s)", run.id, decision.event, decision.reason, extra={"run": run.id})

    def _view(self, run: RunRow, hosts: Sequence[RunHostRow], *, halted: bool) -> RunView:
        return RunView(
            state=run.state,
            hosts=[HostView(h.host, h.wave, h.state, h.canary) for h in hosts],
            limit=run.concurrency_limit,
            allowed_errors=run.allowed_errors,
            forgiven_errors=run.forgiven_errors,
            halted=halted,
        )

    def _window(self, run: RunRow, now: datetime) -> WindowView:
        if run.override_window:
            return WindowView(True, True, "window overridden")
        bucket = self.policy.bucket(run.bucket)
        if bucket is None:
            return WindowView(False, False, f"bucket {run.bucket!r} is not in the policy")
        opening = next_window(self.policy, bucket, now)
        if opening is None or not opening.contains(now):
            when = f"; next opens {opening.start.isoformat()}" if opening else ""
            return WindowView(False, False, f"outside the window{when}")
        if now >= opening.end - timedelta(seconds=bucket.cutoff_seconds):
            return WindowView(False, True, "in the window's cutoff: no new host starts")
        return WindowView(True, True, "")

    def _wait_over(self, run: RunRow, row: RunHostRow, now: datetime) -> bool:
        """A waiting host is worth a visit: its wait may have ended or passed its deadline."""
        if row.waiting_for.startswith("window"):
            return self._window(run, now).in_window
        return True

    # -- working ---------------------------------------------------------------------------

    def _work(self, run_id: str, hosts: Sequence[tuple[str, bool]], report: TickReport) -> None:
        beat = threading.Event()
        heart = threading.Thread(target=self._heartbeat, args=(beat, run_id), daemon=True)
        heart.start()
        try:
            workers = min(self.parallel, len(hosts))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fp-host") as pool:
                for steps in pool.map(lambda h: self._work_host(run_id, *h), hosts):
                    report.steps += steps
        finally:
            beat.set()
            heart.join(timeout=5)

    def _open_step(
        self, run_id: str, host: str, name: str, attempt: int, now: datetime
    ) -> RunStepRow:
        """The record of a step attempt as it starts: `running` until its end is recorded."""
        return RunStepRow(
            run_id=run_id,
            host=host,
            name=name,
            attempt=attempt,
            outcome="running",
            holder=self.holder,
            started_at=now,
            finished_at=None,
            message="",
            evidence={},
            pgid=None,
        )

    def _heartbeat(self, stop: threading.Event, run_id: str) -> None:
        interval = max(0.05, self.lease_ttl / 3)
        while not stop.wait(interval):
            try:
                with self.store.session(write=True) as session:
                    RunRepository(session).renew(self.holder, self.clock(), self.lease_ttl)
            except Exception:  # the next beat retries; a lost lease is detected before writes
                log.exception("run %s: lease heartbeat failed", run_id, extra={"run": run_id})

    def _work_host(self, run_id: str, host: str, fresh: bool = False) -> int:
        steps = 0
        claim = _Claim(known=fresh)
        outcome: HostOutcome = "lost"
        try:
            for _ in range(MAX_STEPS_PER_CLAIM):
                outcome = self._one_step(run_id, host, claim)
                if outcome in ("continue", "done"):
                    steps += 1
                if outcome != "continue" or self._stopping.is_set():
                    break
        except Exception:
            log.exception(
                "run %s host %s: unexpected error; the host is left to resume",
                run_id,
                host,
                extra={"run": run_id, "host": host},
            )
        finally:
            if outcome != "done":  # a finished host's lease went in the transaction that ended it
                with self.store.session(write=True) as session:
                    RunRepository(session).release(run_id, host, self.holder)
        return steps

    def _one_step(self, run_id: str, host: str, claim: _Claim) -> HostOutcome:
        now = self.clock()
        step_id: int | None = None
        with self.store.session(write=True) as session:
            repo = RunRepository(session)
            run, row = repo.get(run_id, with_target=False), repo.host(run_id, host, lock=True)
            if run is None or row is None or not self._held(row, now):
                return "lost"
            if repo.halt() is not None or run.state not in ("running", "stopped"):
                return "stop"
            if row.state in TERMINAL_HOST_STATES:
                return "stop"
            specs = [StepSpec.from_json(s) for s in row.steps]
            if row.step_index >= len(specs):
                self._finish_host(repo, run, row, "done", now, "every step passed")
                return "stop"
            spec = specs[row.step_index]
            if not claim.known:
                self._settle_interrupted(repo, run, row, spec, now, claim)
            if spec.kind == "verify" and claim.open_verify is not None:
                attempt = claim.open_verify[1]
            else:
                attempt = claim.attempts[spec.name] + 1
            names = tuple(s.name for s in specs)
            bucket = self.policy.bucket(run.bucket)
            target = dict(row.target)
            needs_blockers = (
                (spec.disruptive or row.step_index == 0)
                and bucket is not None
                and bool(bucket.blockers)
            )
            window_closed = (
                spec.disruptive
                and run.on_window_end == "abort_in_flight"
                and not self._window(run, now).in_window
            )
            if spec.kind != "verify" and not window_closed and not needs_blockers:
                # Nothing to check outside the store first: the attempt's record starts here.
                step_id = self._record_begin(repo, row, spec, attempt, now, claim)
        if window_closed:
            return self._wait(
                run_id,
                host,
                "window: closed before a disruptive step "
                f"({spec.name}); continues in the next window",
                now,
                None,
            )
        if needs_blockers and bucket is not None:
            blocked = check_blockers(bucket.blockers)
            if blocked:
                return self._wait(run_id, host, f"blocker: {blocked}", now, bucket)
        if spec.kind == "verify":
            ctx = StepContext(
                run_id, run.bucket, host, spec, attempt, target, names, since=row.started_at
            )
            return self._verify(ctx, now, run.executor, claim)
        if step_id is None:
            step_id = self._begin(run_id, host, spec, attempt, now, claim)
        if step_id is None:
            return "lost"
        recorded = step_id
        ctx = StepContext(
            run_id,
            run.bucket,
            host,
            spec,
            attempt,
            target,
            names,
            on_started=lambda pgid: self._record_pgid(recorded, pgid),
            since=row.started_at,
        )
        executor = self.executors[run.executor]
        try:
            result = executor.run(ctx)
        except StepTimedOut as exc:
            return self._end(run_id, host, step_id, "timeout", str(exc), exc.evidence, spec)
        except HostUnreachable as exc:
            return self._end(
                run_id, host, step_id, "failed", f"unreachable: {exc}", exc.evidence, spec
            )
        except StepFailed as exc:
            return self._end(run_id, host, step_id, "failed", str(exc), exc.evidence, spec)
        return self._end(run_id, host, step_id, "ok", result.message, dict(result.evidence), spec)

    def _held(self, row: RunHostRow, now: datetime) -> bool:
        """Whether this worker holds the host's lease (`row` read in the current transaction)."""
        expires = row.lease_expires_at
        return row.lease_holder == self.holder and expires is not None and expires >= now

    def _settle_interrupted(
        self,
        repo: RunRepository,
        run: RunRow,
        row: RunHostRow,
        spec: StepSpec,
        now: datetime,
        claim: _Claim,
    ) -> None:
        """At the start of a claim: count the host's attempts, and end the ones a dead worker
        left `running` (their process group ended, marked interrupted), except a verify still
        being polled, which goes on with the same attempt."""
        for attempt in repo.steps(run.id, row.host):
            claim.attempts[attempt.name] += 1
            if attempt.outcome != "running":
                continue
            if attempt.name == spec.name and spec.kind == "verify":
                claim.open_verify = (int(attempt.id), int(attempt.attempt))
                continue
            ended = (
                bool(attempt.pgid) and _local(attempt.holder) and end_group(int(attempt.pgid or 0))
            )
            attempt.outcome = "interrupted"
            attempt.finished_at = now
            attempt.message = (
                f"interrupted: {attempt.holder} stopped before recording the end"
                + ("; its process group was ended" if ended else "")
                + "; the step runs again"
            )
        claim.known = True

    def _begin(
        self, run_id: str, host: str, spec: StepSpec, attempt: int, now: datetime, claim: _Claim
    ) -> int | None:
        with self.store.session(write=True) as session:
            repo = RunRepository(session)
            row = repo.host(run_id, host, lock=True)
            if row is None or not self._held(row, now):
                return None
            return self._record_begin(repo, row, spec, attempt, now, claim)

    def _record_begin(
        self,
        repo: RunRepository,
        row: RunHostRow,
        spec: StepSpec,
        attempt: int,
        now: datetime,
        claim: _Claim,
    ) -> int:
        """The attempt's `running` record, committed before the executor is called."""
        if row.state != spec.phase:
            row.state = spec.phase
        row.waiting_for, row.waiting_since = "", None
        step_id = repo.add_step(self._open_step(row.run_id, row.host, spec.name, attempt, now))
        claim.attempts[spec.name] = attempt
        return step_id

    def _record_pgid(self, step_id: int, pgid: int) -> None:
        with self.store.session(write=True) as session:
            step = RunRepository(session).step(step_id)
            if step is not None:
                step.pgid = pgid

    def _end(
        self,
        run_id: str,
        host: str,
        step_id: int,
        outcome: Literal["ok", "failed", "timeout"],
        message: str,
        evidence: Mapping[str, Any],
        spec: StepSpec,
    ) -> HostOutcome:
        now = self.clock()
        with self.store.session(write=True) as session:
            repo = RunRepository(session)
            row = repo.host(run_id, host, lock=True)
            if row is None:
                return "lost"
            if not self._held(row, now):
                # Another worker took the host over: its resume marks this attempt interrupted.
                log.warning(
                    "run %s host %s: lease lost during %s",
                    run_id,
                    host,
                    spec.name,
                    extra={"run": run_id, "host": host, "step": spec.name},
                )
                return "lost"
            if not repo.end_step(step_id, outcome, now, message[:2000], evidence):
                return "lost"
            if row.state in TERMINAL_HOST_STATES:  # cancelled meanwhile: record, do not advance
                return "stop"
            if outcome == "ok":
                row.step_index += 1
                if row.step_index < len(row.steps):
                    return "continue"
            run = repo.get(run_id, with_target=False)
            if run is None:
                return "lost"
            if outcome == "ok":
                self._finish_host(repo, run, row, "done", now, "every step passed")
                return "done"
            self._fail_host(repo, run, row, spec, outcome, message, now)
            return "done"

    def _verify(self, ctx: StepContext, now: datetime, executor: str, claim: _Claim) -> HostOutcome:
        verifier = self.executors.get(executor)
        check: Verifier = verifier if isinstance(verifier, Verifier) else self.verifier
        found: Verification = check.verify(ctx)
        with self.store.session(write=True) as session:
            repo = RunRepository(session)
            run = repo.get(ctx.run_id, with_target=False)
            row = repo.host(ctx.run_id, ctx.host, lock=True)
            if run is None or row is None or not self._held(row, now):
                return "lost"
            step = None
            if claim.open_verify is not None:
                step = repo.step(claim.open_verify[0])
            if step is None or step.outcome != "running":
                step = self._open_step(ctx.run_id, ctx.host, "verify", ctx.attempt, now)
                session.add(step)
                row.state = "verifying"
                claim.attempts["verify"] = ctx.attempt
            step.message, step.evidence = found.message[:2000], dict(found.evidence)
            if found.done:
                step.outcome, step.finished_at = "ok", now
                row.step_index += 1
                self._finish_host(repo, run, row, "done", now, found.message)
                return "done"
            if now - step.started_at >= timedelta(seconds=ctx.step.timeout_seconds):
                step.outcome, step.finished_at = "timeout", now
                self._fail_host(
                    repo,
                    run,
                    row,
                    ctx.step,
                    "timeout",
                    f"verify: {found.message} after {ctx.step.timeout_seconds}s",
                    now,
                )
                return "done"
            row.waiting_for = f"report: {found.message}"
            row.waiting_since = row.waiting_since or now
            return "wait"

    def _wait(
        self, run_id: str, host: str, why: str, now: datetime, bucket: Bucket | None
    ) -> HostOutcome:
        with self.store.session(write=True) as session:
            repo = RunRepository(session)
            run = repo.get(run_id, with_target=False)
            row = repo.host(run_id, host, lock=True)
            if run is None or row is None or not self._held(row, now):
                return "lost"
            if row.waiting_for != why:
                row.waiting_for = why
                row.waiting_since = row.waiting_since or now
                repo.audit(
                    at=now,
                    actor=ENGINE_ACTOR,
                    action="host.wait",
                    run_id=run_id,
                    host=host,
                    reason=why,
                )
            limit = bucket.timeouts.blocked if bucket is not None else None
            since = row.waiting_since or now
            if limit is not None and now - since >= timedelta(seconds=limit):
                spec = StepSpec.from_json(row.steps[min(row.step_index, len(row.steps) - 1)])
                self._fail_host(repo, run, row, spec, "timeout", f"waited {limit}s: {why}", now)
                return "done"
            return "wait"

    def _fail_host(
        self,
        repo: RunRepository,
        run: RunRow,
        row: RunHostRow,
        spec: StepSpec,
        outcome: str,
        message: str,
        now: datetime,
    ) -> None:
        phase = spec.phase
        reason = f"{spec.name}: {message}"
        if outcome == "timeout":
            state = {"page": "blocked", "block": "blocked", "skip": "skipped"}[run.on_timeout]
            page = run.on_timeout == "page"
        else:
            state, page = "failed", True
        self._finish_host(repo, run, row, state, now, reason, failed_phase=phase)
        if page:
            key = dedup_key(run.id, row.host, spec.name)
            repo.audit(
                at=now,
                actor=ENGINE_ACTOR,
                action="page",
                run_id=run.id,
                host=row.host,
                reason=reason,
                detail={"dedup_key": key, "bucket": run.bucket, "phase": phase, "state": state},
            )
            if self._pages:
                enqueue_page(
                    NoticeRepository(repo.session),
                    self.policy,
                    run,
                    row,
                    dedup_key=key,
                    step=spec.name,
                    now=now,
                )
            log.warning(
                "page: run %s host %s %s (%s)",
                run.id,
                row.host,
                state,
                reason,
                extra={"run": run.id, "host": row.host, "step": spec.name},
            )

    def _finish_host(
        self,
        repo: RunRepository,
        run: RunRow,
        row: RunHostRow,
        state: str,
        now: datetime,
        reason: str,
        *,
        failed_phase: str = "",
    ) -> None:
        row.state = state
        row.finished_at = now
        row.lease_holder = row.lease_expires_at = None  # a finished host is nobody's, at once
        row.reason = reason[:2000]
        row.failed_phase = failed_phase
        row.waiting_for, row.waiting_since = "", None
        repo.audit(
            at=now,
            actor=ENGINE_ACTOR,
            action=f"host.{state}",
            run_id=run.id,
            host=row.host,
            reason=reason[:2000],
            detail={"phase": failed_phase} if failed_phase else {},
        )
        if state == "done" and self._pages:
            enqueue_resolves(NoticeRepository(repo.session), run, row.host, now)


def dedup_key(run_id: str, host: str, step: str) -> str:
    """Stable per (run, host, step): a resent page is the same incident, never a second one."""
    return "fleetpatch-" + hashlib.sha256(f"{run_id}/{host}/{step}".encode()).hexdigest()[:24]


def _local(holder: str) -> bool:
    """Whether a lease holder id names a process of this machine (its group may be ended here)."""
    return holder.split(":", 1)[0] == socket.gethostname()
