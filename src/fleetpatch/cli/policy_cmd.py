"""`fleetpatch init` and `fleetpatch policy check|show`: write, validate and list the fleet policy.

The policy path comes from the root `--policy` option (a `Settings` in `ctx.obj`). A policy that
does not validate raises `PolicyError`; the root group prints it, one `file:line:` problem per
line, and exits 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from fleetpatch.cli.render import format_option, render_rows
from fleetpatch.errors import InputError
from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import load_policy, parse_policy
from fleetpatch.policy.records import Bucket, Window
from fleetpatch.policy.values import format_concurrency, format_duration
from fleetpatch.settings import DEFAULT_POLICY_PATH, Settings

SUMMARY_COLUMNS = ("bucket", "owner", "strategy", "windows")
SHOW_COLUMNS = ("bucket", "owner", "strategy", "windows", "max_concurrency", "sla")


@click.command()
@click.option("--force", is_flag=True, help="Overwrite the policy file if it exists.")
@click.pass_obj
def init(settings: Settings, force: bool) -> None:
    """Write a commented example fleet.yaml (or the --policy path) to start from."""
    path = settings.policy_path
    write_example(path, force=force)
    example = parse_policy(EXAMPLE_POLICY, source=str(path))
    names = ", ".join(b.name for b in example.buckets)
    policy_flag = "" if path == DEFAULT_POLICY_PATH else f"--policy {path} "
    click.echo(
        f"wrote {path}: {len(example.owners)} owners, {len(example.buckets)} buckets ({names})"
    )
    click.echo(
        "next steps:\n"
        f"  1. edit {path}: your teams, their contacts, buckets, windows and match rules\n"
        f"  2. fleetpatch {policy_flag}policy check\n"
        "  3. fleetpatch collect > me.json && fleetpatch ingest me.json\n"
        "  4. fleetpatch hosts    (every host should have a bucket and an owner)"
    )


def write_example(path: Path, *, force: bool) -> None:
    """Create the file (refusing to replace one unless `force`); `InputError` if it can't."""
    try:
        with path.open("w" if force else "x", encoding="utf-8") as out:
            out.write(EXAMPLE_POLICY)
    except FileExistsError:
        raise InputError(
            f"{path} already exists; use `fleetpatch init --force` to overwrite it"
        ) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror}") from None


@click.group()
def policy() -> None:
    """Validate and list the fleet policy (fleet.yaml)."""


@policy.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def check(settings: Settings, path: Path | None) -> None:
    """Validate PATH (default: the --policy path); exit 2 listing every problem."""
    loaded = load_policy(path or settings.policy_path)
    click.echo(
        f"{loaded.source}: valid: {len(loaded.owners)} owners, {len(loaded.buckets)} buckets, "
        f"{len(loaded.baselines)} baselines"
    )
    rows = [bucket_row(b) for b in loaded.buckets]
    click.echo(render_rows(rows, SUMMARY_COLUMNS, "table"))


@policy.command()
@format_option
@click.pass_obj
def show(settings: Settings, fmt: str) -> None:
    """List the buckets: owner, strategy, windows, concurrency and SLA."""
    loaded = load_policy(settings.policy_path)
    rows = [bucket_row(b) for b in loaded.buckets]
    click.echo(render_rows(rows, SHOW_COLUMNS, fmt))


def bucket_row(bucket: Bucket) -> dict[str, Any]:
    """One bucket as a row: the table shows the summary columns, JSON keeps every key."""
    sla = bucket.sla
    return {
        "bucket": bucket.name,
        "owner": bucket.owner,
        "strategy": bucket.strategy,
        "windows": [describe_window(w) for w in bucket.windows],
        "max_concurrency": format_concurrency(bucket.concurrency),
        "sla": (
            f"behind<={sla.max_days_behind}d uptime<={sla.max_uptime_days}d "
            f"stale>{format_duration(round(sla.stale_after_days * 86400))}"
        ),
        "gates": [
            {"name": g.name, "phase": g.phase, "command": list(g.command)} for g in bucket.gates
        ],
        "reboot_timeout": format_duration(bucket.reboot_timeout_seconds),
        "announce_days": bucket.announce_days,
        "depends": list(bucket.depends),
        "exclusive": bucket.exclusive,
        "runbook": bucket.runbook,
    }


def describe_window(window: Window) -> str:
    return f"{window.cron} {window.timezone} for {format_duration(window.duration_minutes * 60)}"
