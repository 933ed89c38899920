"""`windows`, `calendar`, `announce`, `plan`, `forecast`: when each bucket is patched, and how.

Thin: parse the options, call one use case in `fleetpatch.app.cadence`, render (plans and
forecasts through `cadence_render.py`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from fleetpatch.app.cadence import (
    BucketForecast,
    bucket_forecast,
    calendar_feed,
    fleet_forecast,
    plan_bucket,
    send_due_announcements,
    upcoming_windows,
)
from fleetpatch.cli.common import policy_of, store_of, utcnow
from fleetpatch.cli.render import format_option, render_object, render_rows
from fleetpatch.notify import RecordingNotifier, build_notifiers
from fleetpatch.notify.base import Notifier
from fleetpatch.policy.records import Concurrency
from fleetpatch.policy.values import format_duration, parse_concurrency
from fleetpatch.schedule.forecast import FixForecast
from fleetpatch.schedule.plan import HostPlan, Plan

WINDOW_COLUMNS = ("bucket", "owner", "local_start", "timezone", "start", "end", "announced")
DELIVERY_COLUMNS = ("key", "team", "notifier", "outcome", "error")

bucket_option = click.option("--bucket", metavar="NAME", help="Only this bucket.")
at_option = click.option(
    "--at",
    "at",
    metavar="TIME",
    help="Answer as of TIME (ISO 8601; UTC unless it has an offset) instead of now.",
)


def parse_at(value: str | None) -> datetime:
    """`--at`, or now. A bad value is a usage error naming the option."""
    if value is None:
        return utcnow()
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a time like 2026-12-01T09:00Z", param_hint="--at"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@click.command()
@bucket_option
@click.option("--days", type=click.FloatRange(min=0), default=30, show_default=True)
@at_option
@format_option
@click.pass_context
def windows(ctx: click.Context, bucket: str | None, days: float, at: str | None, fmt: str) -> None:
    """List the windows that open in the next DAYS days (blackouts cut out)."""
    now = parse_at(at)
    rows = upcoming_windows(
        store_of(ctx, existing=True), policy_of(ctx), now, days=days, bucket=bucket
    )
    click.echo(render_rows([_window_row(asdict(r)) for r in rows], WINDOW_COLUMNS, fmt))


def _window_row(row: dict[str, Any]) -> dict[str, Any]:
    row["announced"] = "yes" if row["announced"] else ("-" if row["announce_at"] is None else "no")
    return row


@click.command()
@bucket_option
@click.option("--days", type=click.FloatRange(min=1), default=90, show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the feed here instead of standard output.",
)
@at_option
@click.pass_context
def calendar(
    ctx: click.Context, bucket: str | None, days: float, output: Path | None, at: str | None
) -> None:
    """Write the iCalendar feed (RFC 5545) of the windows and blackouts ahead."""
    feed = calendar_feed(policy_of(ctx), parse_at(at), days, bucket)
    if output is None:
        sys.stdout.buffer.write(feed)
        sys.stdout.flush()
        return
    output.write_bytes(feed)
    click.echo(f"wrote {output}", err=True)


@click.command()
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@at_option
@format_option
@click.pass_context
def announce(ctx: click.Context, dry_run: bool, at: str | None, fmt: str) -> None:
    """Send the window announcements that are due, each exactly once.

    A delivery is one announcement to one team through one notifier (the policy's `notifiers`).
    Exit 1 when a delivery failed (it is retried on the next run).
    """
    policy = policy_of(ctx)
    notifiers: list[Notifier] = list(build_notifiers(policy.notifiers, os.environ))
    if not notifiers:
        click.echo("note: the policy names no notifiers; nothing can be sent", err=True)
        notifiers = [RecordingNotifier("(none)")] if dry_run else []
    now = parse_at(at)
    results = send_due_announcements(store_of(ctx), policy, notifiers, now, dry_run=dry_run)
    click.echo(render_rows([asdict(r) for r in results], DELIVERY_COLUMNS, fmt))
    if any(r.outcome == "failed" for r in results):
        ctx.exit(1)


def parse_window(value: str) -> datetime | None:
    """`--window next` (None) or a date/time: the first window open at or after it."""
    return None if value == "next" else parse_at(value)


def parse_concurrency_option(value: str | None) -> Concurrency | None:
    if value is None:
        return None
    try:
        return parse_concurrency(int(value) if value.strip().isdigit() else value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--concurrency") from None


concurrency_option = click.option(
    "--concurrency",
    metavar="N|P%",
    help="What if at most N hosts (or P% of the bucket) were patched at once?",
)


@click.command()
@click.argument("bucket")
@click.option(
    "--window",
    default="next",
    show_default=True,
    metavar="next|DATE",
    help="Plan the next window, or the first one open at or after DATE.",
)
@concurrency_option
@at_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def plan(
    ctx: click.Context,
    bucket: str,
    window: str,
    concurrency: str | None,
    at: str | None,
    fmt: str,
) -> None:
    """What BUCKET's window will do: hosts, packages, reboots, waves, steps and durations.

    Hosts come from the last `fleetpatch evaluate`. Read it before the window; diff it after.
    """
    made = plan_bucket(
        store_of(ctx, existing=True),
        policy_of(ctx),
        bucket,
        parse_at(at),
        window=parse_window(window),
        concurrency=parse_concurrency_option(concurrency),
    )
    if fmt == "json":
        click.echo(render_object(plan_dict(made), "json"))
    else:
        click.echo(render_plan(made))


@click.command()
@click.argument("bucket", required=False)
@concurrency_option
@click.option(
    "--soak-days", type=click.FloatRange(min=0), help="Soak before a fix is the baseline."
)
@at_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def forecast(
    ctx: click.Context,
    bucket: str | None,
    concurrency: str | None,
    soak_days: float | None,
    at: str | None,
    fmt: str,
) -> None:
    """When each bucket will be fully patched, and whether its pending work fits the next window.

    Also the promise of the policy: from a fix published now to the whole fleet running it.
    Warnings (work that does not fit its window) go to stderr.
    """
    store, policy, now = store_of(ctx, existing=True), policy_of(ctx), parse_at(at)
    names = [bucket] if bucket else [b.name for b in policy.buckets]
    limit = parse_concurrency_option(concurrency)
    made = [bucket_forecast(store, policy, name, now, concurrency=limit) for name in names]
    fixes = fleet_forecast(store, policy, now, soak_days=soak_days)
    fixes = [f for f in fixes if f.bucket in names]
    rows = [forecast_row(m) for m in made]
    fix_rows = [fix_row(f) for f in fixes]
    if fmt == "json":
        click.echo(render_object({"buckets": rows, "fix": fix_rows}, "json"))
    else:
        click.echo(render_rows(rows, FORECAST_COLUMNS, "table"))
        click.echo("\nFrom a fix published now to every host running it:")
        click.echo(render_rows(fix_rows, FIX_COLUMNS, "table"))
    for warning in (w for m in made for w in m.forecast.warnings):
        click.echo(f"warning: {warning}", err=True)


FORECAST_COLUMNS = (
    "bucket", "hosts", "waves", "work", "next_window", "fits", "fully_patched_by", "windows",
)  # fmt: skip
FIX_COLUMNS = ("bucket", "hosts", "baseline_at", "first_window", "fully_patched_by", "days")


def plan_dict(made: Plan) -> dict[str, Any]:
    """The plan as JSON: every field, with the totals a reader wants."""
    data = asdict(made)
    data.update(hosts=made.hosts, seconds=made.seconds, fits=made.fits)
    for wave, raw in zip(made.waves, data["waves"], strict=True):
        raw["seconds"] = wave.seconds
        for host, raw_host in zip(wave.hosts, raw["hosts"], strict=True):
            raw_host["seconds"] = host.seconds
    return data


def render_plan(made: Plan) -> str:
    window = made.window
    when = "no window opens" if window is None else f"{_time(window.start)} to {_time(window.end)}"
    fits = {True: "yes", False: "NO", None: "-"}[made.fits]
    lines = [
        f"Plan for {made.bucket} (owner {made.owner}, strategy {made.strategy})",
        f"  window: {when}",
        f"  {made.hosts} of {made.bucket_size} hosts need work ({made.up_to_date} up to date), "
        f"{len(made.waves)} waves, at most {made.concurrency} at once",
        f"  expected duration: {format_duration(round(made.seconds))}; fits the window: {fits}",
    ]
    for wave in made.waves:
        title = " (canary)" if wave.canary else ""
        lines.append(f"\nWave {wave.number}{title}: {format_duration(round(wave.seconds))}")
        lines += [f"  {line}" for line in _host_lines(wave.hosts)]
    return "\n".join(lines)


def _host_lines(hosts: Sequence[HostPlan]) -> list[str]:
    rows = [
        {
            "host": h.hostname,
            "why": ",".join(h.reasons),
            "packages": _packages(h),
            "reboot": ", ".join(h.reboot_reasons) if h.reboot_expected else "no",
            "steps": " > ".join(f"{s.name} {format_duration(round(s.seconds))}" for s in h.steps),
            "duration": format_duration(round(h.seconds)),
        }
        for h in hosts
    ]
    columns = ("host", "why", "packages", "reboot", "steps", "duration")
    return render_rows(rows, columns, "table").splitlines()


def _packages(host: HostPlan) -> str:
    shown = [f"{p.name} {p.installed}->{p.candidate}" for p in host.packages[:3]]
    more = len(host.packages) - len(shown)
    return "; ".join(shown) + (f" (+{more} more)" if more > 0 else "") if shown else "-"


def forecast_row(made: BucketForecast) -> dict[str, Any]:
    f = made.forecast
    return {
        "bucket": f.bucket,
        "hosts": f.hosts,
        "waves": f.waves,
        "work": format_duration(round(f.work_seconds)),
        "work_seconds": f.work_seconds,
        "next_window": f.next_window.start if f.next_window else None,
        "fits": {True: "yes", False: "NO", None: "-"}[f.fits_next_window],
        "fully_patched_by": f.fully_patched_by,
        "fully_patched_median": f.fully_patched_median,
        "windows": f.windows_needed,
        "expected_failures": round(f.expected_failures, 2),
        "warnings": list(f.warnings),
    }


def fix_row(fix: FixForecast) -> dict[str, Any]:
    return {
        "bucket": fix.bucket,
        "hosts": fix.hosts,
        "published": fix.published,
        "baseline_at": fix.baseline_at,
        "first_window": fix.first_window,
        "fully_patched_by": fix.fully_patched_by,
        "days": None if fix.days is None else round(fix.days, 1),
    }


def _time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")
