"""`fleetpatch demo`: a generated, realistic fleet to try fleetpatch without a real one.

`demo generate` writes the reports of `fleetpatch.simulate.fleet` as NDJSON, the input of
`fleetpatch ingest`. The clock is read here, at the edge, only when `--now` is not given.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import BinaryIO

import click

from fleetpatch.errors import InputError
from fleetpatch.simulate.fleet import fleet_to_ndjson, generate_fleet

PROGRESS_EVERY = 1000


@click.group()
def demo() -> None:
    """A generated fleet of realistic hosts (real Debian 12 and AlmaLinux 9 package data)."""


def parse_now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--now: not an ISO 8601 date-time: {value!r}") from None
    if parsed.tzinfo is None:
        raise InputError(f"--now: needs a time zone (e.g. {value}Z): {value!r}")
    return parsed.astimezone(UTC)


@demo.command("generate")
@click.option(
    "--hosts",
    "count",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Number of hosts.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same fleet.")
@click.option(
    "--now",
    "now_text",
    metavar="ISO",
    help="Reference time of the reports (default: the current time).",
)
@click.option(
    "--images",
    type=click.IntRange(min=1),
    default=300,
    show_default=True,
    help="Number of machine images the hosts are built from.",
)
@click.option(
    "--output",
    "-o",
    default="-",
    show_default=True,
    metavar="FILE",
    help="NDJSON file to write; '-' for stdout.",
)
def generate(count: int, seed: int, now_text: str | None, images: int, output: str) -> None:
    """Write COUNT host reports as NDJSON (one report per line), ready for `fleetpatch ingest`."""
    now = parse_now(now_text)
    reports = generate_fleet(count, seed=seed, now=now, images=images)
    if output == "-":
        try:
            _write(fleet_to_ndjson(reports), sys.stdout.buffer, count)
        except BrokenPipeError:  # `| head`: the reader has what it wanted; exit quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    try:
        with open(output, "wb") as sink:
            _write(fleet_to_ndjson(reports), sink, count)
    except OSError as exc:
        raise InputError(f"{output}: {exc.strerror}") from None
    click.echo(f"wrote {count} reports to {output}", err=True)


def _write(lines: Iterable[bytes], sink: BinaryIO, count: int) -> None:
    for done, line in enumerate(lines, start=1):
        sink.write(line)
        if count >= PROGRESS_EVERY and done % PROGRESS_EVERY == 0:
            click.echo(f"generated {done}/{count} hosts", err=True)
    sink.flush()
