"""`fleetpatch run start|show|cancel|resume`, `runs`, `worker`, `halt`, `unhalt`, `audit`,
`notices`."""

from __future__ import annotations

import getpass
import json
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

import click

from fleetpatch.app.notices import DeliveryLimits, notice_report
from fleetpatch.cli.common import policy_of, settings_of, store_of, utcnow
from fleetpatch.cli.render import format_option, render_rows
from fleetpatch.errors import InputError
from fleetpatch.incidents.service import incident_ticker
from fleetpatch.notify import build_notifiers, build_pagers
from fleetpatch.notify.base import Notifier
from fleetpatch.orchestrate.engine import DEFAULT_LEASE_TTL, DEFAULT_PARALLEL, Engine
from fleetpatch.orchestrate.executors import Executor, Journal, LocalExecutor, SimulatedExecutor
from fleetpatch.orchestrate.service import (
    audit_entries,
    cancel_run,
    halt,
    halt_state,
    list_runs,
    resume_run,
    show_run,
    start_run,
    unhalt,
)
from fleetpatch.policy.records import EXECUTORS, Policy
from fleetpatch.policy.values import parse_duration
from fleetpatch.settings import Settings
from fleetpatch.simulate.hostmodel import SimulatedHostModel
from fleetpatch.store import Store

log = logging.getLogger(__name__)

RUN_COLUMNS = ["id", "bucket", "executor", "state", "created_at", "created_by", "hosts", "reason"]
AUDIT_COLUMNS = ["at", "actor", "action", "run", "host", "reason"]
NOTICE_COLUMNS = ["id", "event", "run", "host", "team", "channel", "state", "attempts", "error"]


def actor() -> str:
    """Who acts from the CLI: the OS user (the web layer uses the token's name)."""
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):
        return "os:unknown"


def _duration(_ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(parse_duration(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param=param) from None


@click.group("run")
def run() -> None:
    """Start, inspect, cancel and resume runs: one bucket's strategy over its hosts, in waves.

    \b
    fleetpatch run start databases --dry-run        # the waves, steps and frozen target
    fleetpatch run start databases                  # create it; prints the run id last
    fleetpatch worker --until-idle                  # execute (or run `fleetpatch worker`)
    fleetpatch run show RUN --format json           # every host, step, attempt, evidence
    """


@run.command("start")
@click.argument("bucket")
@click.option("--hosts", "hosts", help="Only these hosts of the bucket (comma-separated).")
@click.option(
    "--executor",
    type=click.Choice(EXECUTORS),
    help="Who does the steps; the bucket's `executor:` by default. `simulated` is a fake.",
)
@click.option("--dry-run", is_flag=True, help="Print the run without creating it.")
@click.option(
    "--override-window",
    is_flag=True,
    help="Start hosts outside the bucket's windows (critical fixes; needs --reason; audited).",
)
@click.option("--reason", default="", help="Why: kept in the run and the audit log.")
@format_option
@click.pass_context
def run_start(
    ctx: click.Context,
    bucket: str,
    hosts: str | None,
    executor: str | None,
    dry_run: bool,
    override_window: bool,
    reason: str,
    fmt: str,
) -> None:
    """Plan BUCKET's hosts that need work into a run with a frozen target, and create it.

    The target is fixed now: every host gets exactly these package versions, even if newer ones
    are published during the run. Hosts start only inside the bucket's windows (before their
    cutoff) unless --override-window. The new run's id is alone on the last line of stdout.
    """
    names = [h.strip() for h in hosts.split(",") if h.strip()] if hosts else None
    store = store_of(ctx, existing=True)
    started = start_run(
        store,
        policy_of(ctx),
        bucket,
        now=utcnow(),
        actor=actor(),
        executor=executor,
        hosts=names,
        dry_run=dry_run,
        override_window=override_window,
        reason=reason,
    )
    rows = [
        {
            "wave": h.wave,
            "host": h.host,
            "canary": h.canary,
            "steps": " ".join(h.steps),
            "packages": len(h.packages),
        }
        for h in started.hosts
    ]
    for note in started.notes:
        click.echo(f"note: {note}", err=True)
    if fmt == "json":
        body: dict[str, Any] = {
            "id": started.id,
            "bucket": started.bucket,
            "executor": started.executor,
            "max_concurrency": started.concurrency,
            "max_errors": started.allowed_errors,
            "target": started.target,
            "hosts": [
                {
                    "host": h.host,
                    "wave": h.wave,
                    "canary": h.canary,
                    "steps": list(h.steps),
                    "packages": dict(h.packages),
                }
                for h in started.hosts
            ],
        }
        click.echo(json.dumps(body, indent=2, sort_keys=True))
    else:
        click.echo(render_rows(rows, ["wave", "host", "canary", "steps", "packages"], fmt))
        packages = sum(len(v) for v in started.target.get("packages", {}).values())
        click.echo(
            f"{len(started.hosts)} host(s) in {len({h.wave for h in started.hosts})} wave(s), "
            f"{packages} package level(s) frozen, executor {started.executor}"
            + (" (simulated: no real host is touched)" if started.executor == "simulated" else "")
            + f", at most {started.concurrency} at once, stops at failure "
            f"{started.allowed_errors + 1}"
        )
    if dry_run:
        click.echo("dry run: nothing created", err=True)
    elif started.id is not None:
        click.echo(started.id)


@run.command("show")
@click.argument("run_id")
@format_option
@click.pass_context
def run_show(ctx: click.Context, run_id: str, fmt: str) -> None:
    """One run: its state, target, and per host the wave, state, steps, attempts and evidence."""
    doc = show_run(store_of(ctx, existing=True), run_id)
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2, sort_keys=True))
        return
    if fmt == "table":
        click.echo(
            f"{doc['id']}  bucket {doc['bucket']}  executor {doc['executor']}  state {doc['state']}"
            + (f"  ({doc['stop_reason']})" if doc["stop_reason"] else "")
        )
    rows = [
        {
            "wave": h["wave"],
            "host": h["host"],
            "state": h["state"],
            "failed_phase": h["failed_phase"] or "",
            "steps": " ".join(f"{s['name']}:{s['outcome']}" for s in h["steps"]),
            "why": h["reason"] or h["waiting_for"] or "",
        }
        for h in doc["hosts"]
    ]
    click.echo(render_rows(rows, ["wave", "host", "state", "failed_phase", "steps", "why"], fmt))
    if fmt == "table":
        problems = notice_report(store_of(ctx), now=utcnow(), run_id=run_id, problems_only=True)
        if problems:
            by_state: dict[str, int] = {}
            for p in problems:
                by_state[p["state"]] = by_state.get(p["state"], 0) + 1
            tally = ", ".join(f"{n} {s}" for s, n in sorted(by_state.items()))
            click.echo(f"notices needing a look: {tally} (fleetpatch notices --run {run_id})")


@run.command("cancel")
@click.argument("run_id")
@click.option("--reason", required=True, help="Why (audited).")
@click.pass_context
def run_cancel(ctx: click.Context, run_id: str, reason: str) -> None:
    """Stop RUN for good: queued hosts are skipped, hosts in flight are blocked where they are."""
    cancel_run(
        store_of(ctx, existing=True),
        run_id,
        now=utcnow(),
        actor=actor(),
        reason=reason,
        policy=policy_of(ctx),
    )
    click.echo(f"cancelled {run_id}")


@run.command("resume")
@click.argument("run_id")
@click.option("--reason", required=True, help="Why it is safe to go on (audited).")
@click.pass_context
def run_resume(ctx: click.Context, run_id: str, reason: str) -> None:
    """Resume a stopped RUN; the failures so far no longer count against its error budget."""
    resume_run(store_of(ctx, existing=True), run_id, now=utcnow(), actor=actor(), reason=reason)
    click.echo(f"resumed {run_id}")


@click.command("runs")
@click.option("--bucket", help="Only this bucket's runs.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@format_option
@click.pass_context
def runs(ctx: click.Context, bucket: str | None, limit: int, fmt: str) -> None:
    """Runs, newest first, with their hosts by state.

    A --bucket that neither the policy nor any run knows exits 2 with the closest names.
    """
    store = store_of(ctx, existing=True)
    policy = policy_of(ctx) if bucket else None  # only a bucket filter needs the policy
    found = list_runs(store, bucket=bucket, limit=limit, policy=policy)
    if fmt == "json":
        click.echo(json.dumps(found, indent=2, sort_keys=True))
        return
    rows = [
        {**r, "hosts": " ".join(f"{k}={v}" for k, v in r["hosts_by_state"].items())} for r in found
    ]
    click.echo(render_rows(rows, RUN_COLUMNS, fmt))


def build_executors(
    policy: Policy,
    *,
    journal: Path | None,
    seed: int,
    hang_rate: float,
    step_sleep: float,
    store: Store | None = None,
    settings: Settings | None = None,
) -> dict[str, Executor]:
    model = SimulatedHostModel(
        seed=seed,
        failure_rate={b.name: b.failure_rate for b in policy.buckets},
        hang_rate=hang_rate,
    )
    found: dict[str, Executor] = {
        "simulated": SimulatedExecutor(model, Journal(journal), sleep=step_sleep),
        "local": LocalExecutor(),
    }
    if store is not None:  # asyncssh itself is imported only when a host is reached
        from fleetpatch.orchestrate.ssh import SshExecutor

        found["ssh"] = SshExecutor(
            store,
            policy,
            default_known_hosts=settings.ssh_known_hosts if settings else None,
            agent_path=settings.ssh_agent_path if settings else None,
            env=os.environ,
        )
    return found


@click.command("worker")
@click.option("--once", is_flag=True, help="Do one tick and exit.")
@click.option("--until-idle", is_flag=True, help="Work until no run has a runnable step; exit 0.")
@click.option(
    "--lease-ttl",
    callback=_duration,
    default=f"{int(DEFAULT_LEASE_TTL)}s",
    show_default=True,
    help="How long a host stays ours without a heartbeat (then another worker resumes it).",
)
@click.option(
    "--parallel",
    type=click.IntRange(1, 256),
    default=DEFAULT_PARALLEL,
    show_default=True,
    help="Hosts this worker works at once (the run's max_concurrency still holds).",
)
@click.option(
    "--poll", callback=_duration, default="5s", show_default=True, help="Pause between idle ticks."
)
@click.option(
    "--notices-per-tick",
    type=click.IntRange(0, 1000),
    default=DeliveryLimits().per_tick,
    show_default=True,
    help="Notices (run events, pages) delivered at most per tick; 0 delivers none.",
)
@click.option(
    "--sim-journal",
    type=click.Path(dir_okay=False, path_type=Path),
    help="simulated executor: append every side effect to this JSON-lines file.",
)
@click.option(
    "--sim-seed",
    type=int,
    default=0,
    show_default=True,
    help="simulated executor: seed of its host model.",
)
@click.option(
    "--sim-hang-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="simulated executor: share of steps that never end.",
)
@click.option(
    "--sim-step-sleep",
    type=click.FloatRange(0, 60),
    default=0.0,
    show_default=True,
    help="simulated executor: real seconds each step takes.",
)
@click.pass_context
def worker(
    ctx: click.Context,
    once: bool,
    until_idle: bool,
    lease_ttl: float,
    parallel: int,
    poll: float,
    notices_per_tick: int,
    sim_journal: Path | None,
    sim_seed: int,
    sim_hang_rate: float,
    sim_step_sleep: float,
) -> None:
    """Execute runs: claim hosts under leases and take their steps.

    Several workers may run at once (on PostgreSQL they share the work; on SQLite one is enough
    and a second is harmless). Alone, `fleetpatch worker` runs as a service: SIGTERM finishes
    the current steps and releases the leases. A host whose worker died is resumed by the next
    worker from its last recorded step once the lease expired.

    Each tick also delivers the notices in the outbox (run events to the owner's webhook,
    Slack and e-mail notifiers; pages to PagerDuty with the routing key from the variable the
    team's pager_key names): see `fleetpatch notices`.
    """
    if once and until_idle:
        raise InputError("give --once or --until-idle, not both")
    policy = policy_of(ctx)
    senders: list[Notifier] = []
    if notices_per_tick:
        senders += build_notifiers(policy.notifiers, os.environ)
        senders += build_pagers(policy.notifiers, policy.owners, os.environ)
    store = store_of(ctx, existing=True)
    engine = Engine(
        store,
        policy,
        build_executors(
            policy,
            journal=sim_journal,
            seed=sim_seed,
            hang_rate=sim_hang_rate,
            step_sleep=sim_step_sleep,
            store=store,
            settings=settings_of(ctx),
        ),
        clock=utcnow,
        lease_ttl=lease_ttl,
        parallel=parallel,
        notifiers=senders,
        delivery=DeliveryLimits(per_tick=notices_per_tick),
        on_tick=incident_ticker(store, policy),
    )
    signal.signal(signal.SIGTERM, lambda *_: engine.request_stop())
    if once:
        report = engine.tick()
        click.echo(f"tick: {report.runs} run(s), {report.started} started, {report.steps} step(s)")
        return
    if until_idle:
        ticks = engine.run_until_idle(idle=lambda: time.sleep(min(poll, 0.2)))
        click.echo(f"idle after {ticks} tick(s)")
        return
    click.echo(f"worker {engine.holder} started (lease {lease_ttl:g}s)", err=True)
    while not engine.stopping:
        report = engine.tick()
        for event in report.events:
            click.echo(event, err=True)
        if not report.busy:
            engine.pause(poll)
    click.echo("worker stopped: steps finished, leases released", err=True)


@click.command("halt")
@click.option("--reason", required=True, help="What is wrong (shown on every page; audited).")
@click.pass_context
def halt_cmd(ctx: click.Context, reason: str) -> None:
    """The andon cord: every worker starts no new step, fleet-wide, from its next tick."""
    pulled = halt(store_of(ctx), now=utcnow(), actor=actor(), reason=reason)
    click.echo("halted: no new step starts anywhere" if pulled else "already halted")


@click.command("unhalt")
@click.option("--reason", default="", help="Why it is safe again (audited).")
@click.pass_context
def unhalt_cmd(ctx: click.Context, reason: str) -> None:
    """Lift the halt: halted runs go on from where they stopped."""
    store = store_of(ctx)
    was = halt_state(store)
    lifted = unhalt(store, now=utcnow(), actor=actor(), reason=reason)
    click.echo(f"halt lifted (was: {was['reason']})" if lifted and was else "not halted")


@click.command("audit")
@click.option("--run", "run_id", help="Only this run's entries.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@format_option
@click.pass_context
def audit(ctx: click.Context, run_id: str | None, limit: int, fmt: str) -> None:
    """Every run transition and operator action: who, when, what and why (oldest first)."""
    found = audit_entries(store_of(ctx, existing=True), run_id=run_id, limit=limit)
    if fmt == "json":
        click.echo(json.dumps(found, indent=2, sort_keys=True))
        return
    click.echo(render_rows(found, AUDIT_COLUMNS, fmt))


@click.command("notices")
@click.option("--run", "run_id", help="Only this run's notices.")
@click.option(
    "--all", "show_all", is_flag=True, help="Every delivery, not only those needing a look."
)
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@format_option
@click.pass_context
def notices(ctx: click.Context, run_id: str | None, show_all: bool, limit: int, fmt: str) -> None:
    """Deliveries of run events and pages that need a look (oldest first).

    \b
    unsettled  claimed, and its sender stopped before recording the outcome: it may or
               may not have arrived. Run events are never resent on their own (check the
               channel); pages are resent (PagerDuty drops the copy by its dedup_key).
    failed     a retryable failure; tried again later (see next_at), a bounded number of times.
    abandoned  a permanent failure (e.g. HTTP 400) or out of attempts: it was not delivered.

    With --all, sent and pending deliveries too.
    """
    found = notice_report(
        store_of(ctx, existing=True),
        now=utcnow(),
        run_id=run_id,
        problems_only=not show_all,
        limit=limit,
    )
    if fmt == "json":
        click.echo(json.dumps(found, indent=2, sort_keys=True))
        return
    click.echo(render_rows(found, NOTICE_COLUMNS, fmt))
