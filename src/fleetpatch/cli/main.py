"""The `fleetpatch` command: parses input, calls one use case, renders. Nothing else lives here."""

from __future__ import annotations

import os
from typing import Any

import click

from fleetpatch import __version__
from fleetpatch.cli.agent_cmd import agent
from fleetpatch.cli.cadence_cmd import announce, calendar, forecast, plan, windows
from fleetpatch.cli.collect_cmd import collect, schema
from fleetpatch.cli.demo_cmd import demo
from fleetpatch.cli.exposure_cmd import cve, drift, evaluate, outdated_cmd, status, vulns_cmd
from fleetpatch.cli.incident_cmd import incident, incidents
from fleetpatch.cli.logs import configure_logging
from fleetpatch.cli.policy_cmd import init, policy
from fleetpatch.cli.run_cmd import audit, halt_cmd, notices, run, runs, unhalt_cmd, worker
from fleetpatch.cli.serve_cmd import serve, token
from fleetpatch.cli.store_cmd import host, hosts, ingest
from fleetpatch.cli.upstream_cmd import advisories, catalog
from fleetpatch.cli.versions_cmd import versions
from fleetpatch.errors import FleetpatchError
from fleetpatch.settings import Settings


class FleetpatchGroup(click.Group):
    """Turns FleetpatchError into one line on stderr and an exit code; never a traceback.

    `--help` lists commands in the order they were added (the order of a workflow), not A to Z.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FleetpatchError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


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
@click.option(
    "--log-json",
    is_flag=True,
    help="Log one JSON object per line on stderr (time, level, logger, message, host, run, step, "
    "exc) [env FLEETPATCH_LOG_FORMAT=json].",
)
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

    Exit codes: 0 ok, 1 findings (check commands), 2 bad input (an unknown host, bucket,
    owner, CVE or run id names the closest known ones), 3 other failure.
    """
    settings = Settings.from_sources(
        os.environ, db=db, policy=policy, log_level=log_level, log_json=log_json
    )
    configure_logging(settings)
    ctx.obj = settings


def main() -> None:
    cli(prog_name="fleetpatch")


# In the order `--help` is read: set up, report, upstream, evaluate, look, plan, serve, tools.
COMMANDS: tuple[click.Command, ...] = (
    init,
    policy,
    collect,
    agent,
    ingest,
    schema,
    catalog,
    advisories,
    evaluate,
    status,
    hosts,
    host,
    outdated_cmd,
    vulns_cmd,
    cve,
    drift,
    windows,
    calendar,
    plan,
    forecast,
    announce,
    serve,
    token,
    demo,
    versions,
    run,
    runs,
    worker,
    halt_cmd,
    unhalt_cmd,
    audit,
    notices,
    incident,
    incidents,
)
for _command in COMMANDS:
    cli.add_command(_command)
