"""`fleetpatch serve` (the dashboard, API and metrics) and `fleetpatch token create|list|revoke`.

`serve` binds 127.0.0.1 by default, where auth is off unless `--auth` is given, so the demo works
without a token. Bound to any other address it requires auth: `--no-auth` there is refused, and
the default turns auth on. Writes (`POST /api/v1/reports`) always need a reporter token.
The clock is read here, at the edge, and handed to the app.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import click

from fleetpatch.app.tokens import ROLES, create_token, list_tokens, revoke_token
from fleetpatch.cli.render import format_option, render_rows
from fleetpatch.errors import InputError
from fleetpatch.policy.loader import load_policy
from fleetpatch.settings import Settings
from fleetpatch.store import open_store
from fleetpatch.web.context import WebContext

log = logging.getLogger(__name__)
TOKEN_COLUMNS = ("name", "role", "created_at", "last_used_at", "revoked_at")


def utc_now() -> datetime:
    return datetime.now(UTC)


def resolve_auth(host: str, auth: bool | None) -> bool:
    """Auth on or off for a bind address; refuses an unauthenticated non-loopback bind."""
    from fleetpatch.web.security import is_loopback

    if is_loopback(host):
        return bool(auth)
    if auth is False:
        raise InputError(
            f"--host {host}: refusing to serve without auth on a non-loopback address; "
            "drop --no-auth and create tokens with `fleetpatch token create`"
        )
    return True


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option(
    "--auth/--no-auth",
    default=None,
    help="Require tokens for reads. Default: off on loopback, on (and mandatory) elsewhere.",
)
@click.pass_obj
def serve(settings: Settings, host: str, port: int, auth: bool | None) -> None:
    """Serve the dashboard at /, the JSON API at /api/v1, Prometheus metrics at /metrics."""
    import uvicorn

    from fleetpatch.web.app import create_app

    auth_on = resolve_auth(host, auth)
    policy = load_policy(settings.policy_path)
    store = open_store(settings.db_url, must_exist=True)
    if auth_on and not any(t.active and t.role != "reporter" for t in list_tokens(store)):
        click.echo(
            "warning: auth is on and no viewer/operator token exists; "
            "create one with `fleetpatch token create --role viewer --name NAME`",
            err=True,
        )
    app = create_app(settings, store, policy, utc_now, auth=auth_on)
    _warm(app.state.fleetpatch)
    mode = "auth on" if auth_on else "auth off (loopback only)"
    click.echo(f"fleetpatch dashboard on http://{host}:{port}/ ({mode})", err=True)
    # With --log-json uvicorn keeps out of logging, so its records reach the JSON handler too.
    own_logging = None if settings.log_json else uvicorn.config.LOGGING_CONFIG
    uvicorn.run(
        app, host=host, port=port, log_level=settings.log_level.lower(), log_config=own_logging
    )


def _warm(context: WebContext) -> None:
    """Load the catalog and advisory indexes in the background so the first host page is fast."""
    from fleetpatch.app.dashboard import AUTO_FORECAST_HOSTS, filter_choices

    def load() -> None:
        for ecosystem in filter_choices(context.store)["ecosystem"]:
            context.upstream(ecosystem)
        context.upstream_all()  # the packages page and the bucket forecasts look fleet-wide
        log.info("catalog and advisory indexes loaded")
        sizes = {r.key: r.hosts for r in context.figures().by_bucket()}
        for bucket in context.policy.buckets:
            if sizes.get(bucket.name, 0) <= AUTO_FORECAST_HOSTS:
                context.forecast(bucket.name)
        context.time_to_patch()  # reads every patch pair once: seconds at 100,000 hosts
        context.metric_figures()
        log.info("warm-up done: indexes, bucket forecasts, time to patch")

    threading.Thread(target=load, name="warm-upstream", daemon=True).start()


@click.group()
def token() -> None:
    """API tokens for `serve`: roles viewer (read), reporter (ingest only), operator (both)."""


@token.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", required=True, help="A unique name: who or what uses the token.")
@click.pass_obj
def create(settings: Settings, role: str, name: str) -> None:
    """Create a token and print its secret once (only its hash is stored)."""
    store = open_store(settings.db_url)
    try:
        record, secret = create_token(store, name, role, now=utc_now())
    finally:
        store.close()
    click.echo(secret)
    click.echo(
        f"created token {record.name!r} ({record.role}); the secret above is shown only once",
        err=True,
    )


@token.command("list")
@format_option
@click.pass_obj
def list_(settings: Settings, fmt: str) -> None:
    """List tokens (never their secrets)."""
    store = open_store(settings.db_url)
    try:
        records = list_tokens(store)
    finally:
        store.close()
    rows = [{c: getattr(r, c) for c in TOKEN_COLUMNS} for r in records]
    click.echo(render_rows(rows, TOKEN_COLUMNS, fmt))


@token.command("revoke")
@click.argument("name")
@click.pass_obj
def revoke(settings: Settings, name: str) -> None:
    """Revoke a token by name; requests with it are refused from now on."""
    store = open_store(settings.db_url)
    try:
        record = revoke_token(store, name, now=utc_now())
    finally:
        store.close()
    click.echo(f"revoked token {record.name!r}")
