"""`fleetpatch collect` (report a machine, an image or a chroot; print it, write it, or post it
to a server with a spool for when the server is down) and `fleetpatch schema`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from fleetpatch.agent.deliver import deliver
from fleetpatch.agent.push import PushTarget
from fleetpatch.agent.spool import Spool, default_directory
from fleetpatch.errors import InputError
from fleetpatch.inventory.collector import LocalCollector
from fleetpatch.inventory.schema import report_json_schema, report_to_dict


def _labels(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for value in values:
        key, sep, label = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}", ctx, param)
        labels[key.strip()] = label.strip()
    return labels


@click.command()
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("/"),
    show_default=True,
    help="Collect from an image or chroot mounted here instead of this machine.",
)
@click.option(
    "--label",
    "labels",
    multiple=True,
    metavar="KEY=VALUE",
    callback=_labels,
    help="Attach a label (repeatable).",
)
@click.option("--hostname", default="", help="Report under this name instead of the host's own.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report here (instead of standard output; as well as posting with --post).",
)
@click.option(
    "--post",
    "server",
    metavar="URL",
    help="Send the report to this fleetpatch server (https://HOST[:PORT]) with a reporter token.",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File holding the reporter token for --post (keep it readable by root only).",
)
@click.option(
    "--ca-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CA certificates to verify the server with (default: the system's).",
)
@click.option(
    "--spool-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep reports that could not be sent here, and send them first next time "
    "[default: /var/spool/fleetpatch as root, else ~/.local/state/fleetpatch/spool].",
)
@click.option(
    "--spool-max",
    type=click.IntRange(1, 100_000),
    default=100,
    show_default=True,
    help="At most this many spooled reports (the oldest are dropped first, and said so).",
)
@click.option(
    "--allow-http",
    is_flag=True,
    help="Allow plain http:// to a non-loopback server (the token then crosses in clear).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1, 600),
    default=30.0,
    show_default=True,
    help="Seconds per attempt to reach the server.",
)
@click.option("--quiet", "-q", is_flag=True, help="With --post: say nothing when all went well.")
def collect(
    root: Path,
    labels: dict[str, str],
    hostname: str,
    output: Path | None,
    server: str | None,
    token_file: Path | None,
    ca_file: Path | None,
    spool_dir: Path | None,
    spool_max: int,
    allow_http: bool,
    timeout: float,
    quiet: bool,
) -> None:
    """Print this machine's host report (JSON, schema fleetpatch.report/v1), or post it.

    With --root, the running kernel, boot time and boot id are left out: an image does not run.

    With --post URL the report goes to the server's POST /api/v1/reports. A report the server
    could not take now (down, unreachable, 5xx, token refused) is kept in the spool and sent
    first on the next run; the same report twice is stored once. Exit 0 delivered, 2 rejected
    by the server (or bad input), 3 not delivered (kept in the spool).

    \b
    Examples:
      fleetpatch collect > me.json
      fleetpatch collect --post https://fleetpatch.example.org --token-file /etc/fleetpatch/token
      fleetpatch collect --root /mnt/image --hostname ami-0abc > image.json
    """
    target = _target(server, token_file, ca_file, allow_http, timeout) if server else None
    collector = LocalCollector(root=root, hostname=hostname, labels=labels)
    report = collector.collect(datetime.now(UTC))
    text = json.dumps(report_to_dict(report), indent=2) + "\n"
    if output is not None:
        output.write_text(text, encoding="utf-8")
    if target is None:
        if output is None:
            click.echo(text, nl=False)
        return
    spool = Spool(spool_dir or default_directory(), max_reports=spool_max)
    result = deliver(target, spool, text.encode("utf-8"))
    for line in result.lines:
        if result.status or not quiet or line.startswith("spool "):
            click.echo(line, err=True)
    if result.status:
        raise SystemExit(result.status)


def _target(
    server: str, token_file: Path | None, ca_file: Path | None, allow_http: bool, timeout: float
) -> PushTarget:
    if token_file is None:
        raise InputError("--post needs --token-file (a file holding a reporter token)")
    try:
        token = token_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--token-file {token_file}: cannot read it: {exc}") from exc
    return PushTarget.build(server, token, ca_file=ca_file, allow_http=allow_http, timeout=timeout)


@click.group()
def schema() -> None:
    """Print the JSON Schemas of fleetpatch's documents."""


@schema.command("report")
def schema_report() -> None:
    """The JSON Schema of a host report (fleetpatch.report/v1)."""
    click.echo(json.dumps(report_json_schema(), indent=2))
