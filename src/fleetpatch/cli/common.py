"""What every command needs from the entry point: settings, the store, the policy, the clock."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from fleetpatch.policy.loader import load_policy
from fleetpatch.policy.records import Policy
from fleetpatch.settings import Settings
from fleetpatch.store import Store, open_store


def settings_of(ctx: click.Context) -> Settings:
    settings = ctx.find_root().obj
    if not isinstance(settings, Settings):
        raise click.UsageError("fleetpatch settings missing: run through the `fleetpatch` command")
    return settings


def store_of(ctx: click.Context, *, existing: bool = False) -> Store:
    """`existing`: for read-only commands, a SQLite path that does not exist is an error (exit 2)
    instead of a new, empty store that would answer "no hosts"."""
    store = open_store(settings_of(ctx).db_url, must_exist=existing)
    ctx.call_on_close(store.close)
    return store


def policy_of(ctx: click.Context) -> Policy:
    """The fleet policy; without one, every host is unclassified (said once on stderr)."""
    path = settings_of(ctx).policy_path
    if not path.exists():
        click.echo(
            f"note: no policy at {path}; every host is unclassified (run `fleetpatch init`)",
            err=True,
        )
        return Policy()
    return load_policy(path)


def utcnow() -> datetime:
    return datetime.now(UTC)


def stderr_progress(message: str) -> None:
    if sys.stderr.isatty():
        click.echo(f"… {message}", err=True)
