"""`fleetpatch ingest`, `hosts` and `host NAME`: put reports in, see hosts as they stand.

Thin: open inputs, call one use case, render. Rejected reports are listed on stderr, one line
each, and make `ingest` exit 2 after the good reports were stored; an input with no report at all
is exit 2 with nothing stored.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from fleetpatch.app.hosts import STATUS_FILTERS, HostDetail, HostSummary, list_hosts, show_host
from fleetpatch.app.ingest import Progress, Source
from fleetpatch.app.ingest import ingest as ingest_reports
from fleetpatch.cli.common import policy_of, store_of, utcnow
from fleetpatch.cli.render import format_option, render_object, render_rows

PROGRESS_MIN_BYTES = 8 * 1024 * 1024
PARALLEL_MIN_CPUS = 4
"""Below this, worker processes cost more than they bring: workers spend ~1.7x the CPU of one
process (decoding is duplicated per worker, results are pickled), measured on 2 cores."""
HOST_COLUMNS = (
    "hostname",
    "bucket",
    "owner",
    "ecosystem",
    "os",
    "update",
    "security",
    "reboot",
    "days_behind",
    "packages",
    "running_kernel",
    "uptime_days",
    "last_report",
    "labels",
)


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, allow_dash=True)
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help=f"Processes that validate large inputs (0: one per CPU with {PARALLEL_MIN_CPUS}+ CPUs, "
    "else 1).",
)
@click.pass_context
def ingest(ctx: click.Context, files: tuple[str, ...], workers: int) -> None:
    """Store host reports from FILE... ('-' for stdin): JSON object, JSON array or NDJSON.

    The same report twice is stored once. Bad reports are listed on stderr and make the exit
    code 2; the good ones in the same input are stored anyway. A FILE with no report at all
    (empty, blank, `[]`) is exit 2 and nothing is stored.
    """
    store = store_of(ctx)
    with ExitStack() as stack:
        sources = [_open(stack, f) for f in files]
        progress = stack.enter_context(_progress_bar(files))
        summary = ingest_reports(
            store, sources, workers=workers or _auto_workers(), progress=progress
        )
    for rejection in summary.rejected:
        click.echo(f"rejected: {rejection}", err=True)
    rejected = len(summary.rejected)
    click.echo(f"stored {summary.stored}, duplicate {summary.duplicates}, rejected {rejected}")
    if rejected:
        ctx.exit(2)


def _auto_workers() -> int:
    cpus = os.cpu_count() or 1
    return cpus if cpus >= PARALLEL_MIN_CPUS else 1


def _open(stack: ExitStack, name: str) -> Source:
    if name == "-":
        return Source("<stdin>", sys.stdin.buffer)
    path = Path(name)
    return Source(name, stack.enter_context(path.open("rb")), path)


@contextmanager
def _progress_bar(files: tuple[str, ...]) -> Iterator[Progress | None]:
    size = sum(Path(f).stat().st_size for f in files if f != "-")
    if not sys.stderr.isatty() or "-" in files or size < PROGRESS_MIN_BYTES:
        yield None
        return
    with click.progressbar(length=size, label="ingest", file=sys.stderr) as bar:

        def advance(consumed: int) -> None:
            bar.update(consumed)

        yield advance


@click.command()
@click.option("--bucket", metavar="B", help="Only hosts in this bucket.")
@click.option("--owner", metavar="T", help="Only hosts owned by this team.")
@click.option("--unclassified", is_flag=True, help="Only hosts no bucket claims.")
@click.option(
    "--status",
    "states",
    multiple=True,
    type=click.Choice(sorted(STATUS_FILTERS)),
    help="Only hosts in this evaluated state (repeat to combine; see `fleetpatch evaluate`).",
)
@format_option
@click.pass_context
def hosts(
    ctx: click.Context,
    bucket: str | None,
    owner: str | None,
    unclassified: bool,
    states: tuple[str, ...],
    fmt: str,
) -> None:
    """List hosts with their bucket, owner, evaluated states, packages, kernel, uptime and last
    report. State columns come from the last `fleetpatch evaluate` ("-" before it).

    A --bucket or --owner the policy does not know exits 2 and suggests the closest names; a
    known bucket without hosts prints an empty table.
    """
    store = store_of(ctx, existing=True)
    found = list_hosts(
        store,
        policy_of(ctx),
        bucket=bucket,
        owner=owner,
        unclassified=unclassified,
        status=states,
        now=utcnow(),
    )
    click.echo(render_rows([_host_row(s) for s in found], HOST_COLUMNS, fmt))


def _host_row(summary: HostSummary) -> dict[str, Any]:
    row = asdict(summary)
    row["labels"] = dict(summary.labels)
    row["conflict"] = list(summary.conflict)
    row["states"] = sorted(summary.states)
    return row


@click.command()
@click.argument("name")
@click.option("--history", "history_size", type=click.IntRange(min=1), default=10)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def host(ctx: click.Context, name: str, history_size: int, fmt: str) -> None:
    """Show one host: facts, kernels, reboot evidence, uptime and its recent reports.

    An unknown NAME exits 2 and suggests the closest hostnames.
    """
    store = store_of(ctx, existing=True)
    detail = show_host(store, policy_of(ctx), name, history=history_size, now=utcnow())
    facts = _facts(detail)
    history = [asdict(e) for e in detail.history]
    if fmt == "json":
        click.echo(render_object({**facts, "history": history}, "json"))
        return
    click.echo(render_object(facts, "table"))
    click.echo(f"\nreports: {detail.total_reports} (newest {len(history)} shown)")
    columns = ("collected_at", "received_at", "packages", "running_kernel", "reboot_required")
    click.echo(render_rows(history, columns, "table"))


def _facts(detail: HostDetail) -> dict[str, Any]:
    latest, summary = detail.latest, detail.summary
    reboot = latest.reboot_required
    return {
        **_host_row(summary),
        "machine_id": latest.machine_id,
        "arch": latest.arch,
        "collector": latest.collector,
        "kernels_installed": list(latest.kernel.installed),
        "boot_time": latest.boot_time,
        "boot_id": latest.boot_id,
        "reboot_since": reboot.since,
        "reboot_packages": list(reboot.packages),
        "image_id": None if latest.image is None else latest.image.id,
        "image_name": None if latest.image is None else latest.image.name,
        "received_at": latest.received_at,
        "package_set_id": latest.package_set_id,
    }
