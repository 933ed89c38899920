"""`fleetpatch collect` (report a machine, an image or a chroot) and `fleetpatch schema`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

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
    help="Write the report here instead of standard output.",
)
def collect(root: Path, labels: dict[str, str], hostname: str, output: Path | None) -> None:
    """Print this machine's host report (JSON, schema fleetpatch.report/v1).

    With --root, the running kernel, boot time and boot id are left out: an image does not run.
    """
    collector = LocalCollector(root=root, hostname=hostname, labels=labels)
    report = collector.collect(datetime.now(UTC))
    text = json.dumps(report_to_dict(report), indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@click.group()
def schema() -> None:
    """Print the JSON Schemas of fleetpatch's documents."""


@schema.command("report")
def schema_report() -> None:
    """The JSON Schema of a host report (fleetpatch.report/v1)."""
    click.echo(json.dumps(report_json_schema(), indent=2))
