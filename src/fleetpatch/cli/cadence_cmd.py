"""`windows`, `calendar`, `announce`, `plan`, `forecast`: when each bucket is patched, and how.

Thin: parse the options, call one use case in `fleetpatch.app.cadence`, render.
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from fleetpatch.app.cadence import calendar_feed, send_due_announcements, upcoming_windows
from fleetpatch.cli.common import policy_of, store_of, utcnow
from fleetpatch.cli.render import format_option, render_rows
from fleetpatch.notify import RecordingNotifier, build_notifiers
from fleetpatch.notify.base import Notifier

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
    rows = upcoming_windows(store_of(ctx), policy_of(ctx), now, days=days, bucket=bucket)
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
