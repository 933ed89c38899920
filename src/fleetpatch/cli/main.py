"""The `fleetpatch` command: parses input, calls one use case, renders. Nothing else lives here."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click

from fleetpatch import __version__
from fleetpatch.errors import FleetpatchError, InputError
from fleetpatch.settings import Settings


class FleetpatchGroup(click.Group):
    """Turns FleetpatchError into one line on stderr and an exit code; never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)
        except FleetpatchError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(3)


@click.group(cls=FleetpatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fleetpatch")
@click.option(
    "--db",
    metavar="URL",
    help="SQLAlchemy URL or SQLite path [env FLEETPATCH_DB; default ./fleetpatch.db].",
)
@click.option(
    "--policy", metavar="PATH", help="Fleet policy [env FLEETPATCH_POLICY; default ./fleet.yaml]."
)
@click.option(
    "--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False)
)
@click.option("--log-json", is_flag=True, help="Log as JSON lines on stderr.")
@click.pass_context
def cli(
    ctx: click.Context, db: str | None, policy: str | None, log_level: str | None, log_json: bool
) -> None:
    """fleetpatch: predictable, owned and visible OS patching for a whole fleet.

    \b
    Typical first steps:
      fleetpatch init                      write an example fleet.yaml
      fleetpatch collect > me.json         report this machine
      fleetpatch ingest me.json            store the report
      fleetpatch hosts                     list hosts with their bucket and owner

    Exit codes: 0 ok, 1 findings (check commands), 2 bad input, 3 other failure.
    """
    settings = Settings.from_sources(
        os.environ, db=db, policy=policy, log_level=log_level, log_json=log_json
    )
    configure_logging(settings)
    ctx.obj = settings


def configure_logging(settings: Settings) -> None:
    fmt = (
        '{"time":"%(asctime)s","level":"%(levelname)s","logger":"%(name)s","message":"%(message)s"}'
        if settings.log_json
        else "%(levelname)s %(name)s: %(message)s"
    )
    logging.basicConfig(level=settings.log_level, format=fmt, stream=sys.stderr, force=True)


def main() -> None:
    cli(prog_name="fleetpatch")


from fleetpatch.cli.policy_cmd import init as _init, policy as _policy  # noqa: E402, I001

cli.add_command(_init)
cli.add_command(_policy)

from fleetpatch.cli.demo_cmd import demo as _demo  # noqa: E402

cli.add_command(_demo)

from fleetpatch.cli.collect_cmd import collect as _collect, schema as _schema  # noqa: E402, I001

cli.add_command(_collect)
cli.add_command(_schema)

from fleetpatch.cli.versions_cmd import versions as _versions  # noqa: E402

cli.add_command(_versions)

from fleetpatch.cli.upstream_cmd import advisories as _advisories, catalog as _catalog  # noqa: E402, I001

cli.add_command(_catalog)
cli.add_command(_advisories)

from fleetpatch.cli.exposure_cmd import (  # noqa: E402, I001
    cve as _cve,
    drift as _drift,
    evaluate as _evaluate,
    outdated_cmd as _outdated,
    status as _status,
    vulns_cmd as _vulns,
)

for _command in (_evaluate, _status, _outdated, _vulns, _cve, _drift):
    cli.add_command(_command)

from fleetpatch.cli.store_cmd import host as _host, hosts as _hosts, ingest as _ingest  # noqa: E402

cli.add_command(_ingest)
cli.add_command(_hosts)
cli.add_command(_host)

from fleetpatch.cli.cadence_cmd import announce as _announce, calendar as _calendar  # noqa: E402, I001
from fleetpatch.cli.cadence_cmd import windows as _windows  # noqa: E402

cli.add_command(_windows)
cli.add_command(_calendar)
cli.add_command(_announce)

from fleetpatch.cli.serve_cmd import serve as _serve, token as _token  # noqa: E402, I001

cli.add_command(_serve)
cli.add_command(_token)

from fleetpatch.cli.cadence_cmd import forecast as _forecast, plan as _plan  # noqa: E402, I001

cli.add_command(_plan)
cli.add_command(_forecast)
