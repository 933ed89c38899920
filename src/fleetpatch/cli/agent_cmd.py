"""`fleetpatch agent install`: make this host report itself daily and after every package change."""

from __future__ import annotations

from pathlib import Path

import click

from fleetpatch.agent import install as install_cmd
from fleetpatch.agent import units
from fleetpatch.agent.push import PushTarget
from fleetpatch.errors import InputError


@click.group()
def agent() -> None:
    """The reporting agent: `collect --post` run by a systemd timer and package hooks."""


@agent.command("install")
@click.option("--url", required=True, help="The fleetpatch server, as for `collect --post`.")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("/etc/fleetpatch/token"),
    show_default=True,
    help="Root-only file holding a reporter token (handed to the service as a credential).",
)
@click.option(
    "--ca-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CA certificates to verify the server with (default: the system's).",
)
@click.option(
    "--on-calendar",
    default="daily",
    show_default=True,
    help="When to report (a systemd OnCalendar= expression, e.g. 'daily' or '*-*-* 06:00').",
)
@click.option(
    "--randomized-delay",
    default="1h",
    show_default=True,
    help="Spread the reports of many hosts over this long (RandomizedDelaySec=).",
)
@click.option("--allow-http", is_flag=True, help="Allow a plain http:// non-loopback server.")
@click.option("--dry-run", is_flag=True, help="Print the files instead of installing them.")
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the files here instead of installing them (nothing is enabled).",
)
def install(
    url: str,
    token_file: Path,
    ca_file: Path | None,
    on_calendar: str,
    randomized_delay: str,
    allow_http: bool,
    dry_run: bool,
    output_dir: Path | None,
) -> None:
    """Install a systemd service + timer that post this host's report, and apt/dnf hooks.

    The service runs `fleetpatch collect --post URL` as a dynamic user with no capabilities and
    a read-only system, its spool in /var/lib/fleetpatch-agent, the token passed as a systemd
    credential. The timer fires daily (--on-calendar), spread by --randomized-delay, and catches
    up after downtime (Persistent=true). The apt hook (DPkg::Post-Invoke) and the dnf
    post-transaction action start the service after every package transaction.

    \b
    Examples:
      fleetpatch agent install --url https://fleetpatch.example.org --dry-run
      fleetpatch agent install --url https://fp.example.org --token-file /etc/fleetpatch/token
      fleetpatch agent install --url https://fp.example.org --output-dir image/etc/systemd/system
    """
    PushTarget.build(url, "checked-later", allow_http=allow_http)  # the URL rule of --post
    config = units.AgentConfig(
        executable=install_cmd.executable(),
        url=url,
        token_file=token_file,
        on_calendar=on_calendar,
        randomized_delay=randomized_delay,
        ca_file=ca_file,
        allow_http=allow_http,
    )
    try:
        files = units.files(config)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    if dry_run:
        for name, text in files.items():
            click.echo(f"# {name}\n{text}")
        return
    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (output_dir / name).write_text(text, encoding="utf-8")
            click.echo(f"wrote {output_dir / name}")
        return
    for line in install_cmd.install(files, token_file):
        click.echo(line)
