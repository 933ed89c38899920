"""`fleetpatch demo`: a generated, realistic fleet to try fleetpatch without a real one.

`fleetpatch demo` builds `DIR/fleetpatch.db` (fresh) and `DIR/fleet.yaml` (the example policy)
with a fleet of real Debian 12 and AlmaLinux 9 package sets, real AlmaLinux advisories and 90
days of history (`fleetpatch.app.demo`), then three runs worked by the engine with the simulated
executor on a virtual clock (`fleetpatch.orchestrate.demo_runs`; `--no-runs` leaves them out),
prints a summary, then serves the dashboard through the `serve` command (loopback, no auth) and
prints its URL; `--no-serve` stops after the summary.
`demo generate` writes the reports of `fleetpatch.simulate.fleet` as NDJSON, the input of
`fleetpatch ingest`. The clock is read here, at the edge, only when `--now` is not given.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

from fleetpatch.errors import InputError
from fleetpatch.simulate.fleet import fleet_to_ndjson, generate_fleet

if TYPE_CHECKING:
    from fleetpatch.app.demo import DemoSummary
    from fleetpatch.orchestrate.demo_runs import DemoRuns

PROGRESS_EVERY = 1000
DB_FILE = "fleetpatch.db"
POLICY_FILE = "fleet.yaml"


@click.group(invoke_without_command=True)
@click.option(
    "--hosts",
    "count",
    type=click.IntRange(min=1),
    default=400,
    show_default=True,
    help="Number of hosts.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same fleet.")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo"),
    show_default=True,
    help="Where fleetpatch.db and fleet.yaml are (re)created.",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--no-serve", is_flag=True, help="Build the demo and exit; do not serve it.")
@click.option(
    "--runs/--no-runs",
    default=True,
    show_default=True,
    help="Add three runs worked by the simulated executor (finished, stopped, in progress).",
)
@click.option(
    "--every",
    type=click.IntRange(1, 90),
    default=2,
    show_default=True,
    metavar="DAYS",
    help="Hosts report and the fleet is evaluated every DAYS days of the 90.",
)
@click.option(
    "--now",
    "now_text",
    metavar="ISO",
    help="End of the 90 days of history (default: the current time).",
)
@click.pass_context
def demo(
    ctx: click.Context,
    count: int,
    seed: int,
    directory: Path,
    port: int,
    no_serve: bool,
    runs: bool,
    every: int,
    now_text: str | None,
) -> None:
    """Build a realistic demo fleet with 90 days of history, then serve its dashboard.

    \b
    Hosts: the four buckets of the example policy (Kubernetes nodes, databases, stateless
    hosts, bare metal) plus a few unclassified ones, from real Debian 12 and AlmaLinux 9
    package versions, with the real AlmaLinux 9 advisories. `DIR/fleetpatch.db` is deleted
    and rebuilt; `DIR/fleet.yaml` is rewritten with the example policy.
    """
    if ctx.invoked_subcommand is not None:
        return
    from fleetpatch.app.demo import build_demo
    from fleetpatch.cli.serve_cmd import serve
    from fleetpatch.orchestrate.demo_runs import build_demo_runs
    from fleetpatch.policy.example import EXAMPLE_POLICY
    from fleetpatch.policy.loader import parse_policy
    from fleetpatch.store import open_store

    now = parse_now(now_text)
    db_path, policy_path = _fresh_files(directory, EXAMPLE_POLICY)
    settings = replace(ctx.find_root().obj, db_url=f"sqlite:///{db_path}", policy_path=policy_path)
    store = open_store(settings.db_url)
    policy = parse_policy(EXAMPLE_POLICY, str(policy_path))
    started = time.perf_counter()
    try:
        summary = build_demo(
            store,
            policy,
            hosts=count,
            seed=seed,
            now=now,
            every=every,
            progress=lambda message: click.echo(f"... {message}", err=True),
        )
        made = None
        if runs:
            click.echo("... working three runs with the simulated executor", err=True)
            made = build_demo_runs(store, policy, now=now, seed=seed)
    finally:
        store.close()
    seconds = time.perf_counter() - started
    click.echo(_summary_text(summary, db_path, policy_path, seconds))
    if made is not None:
        click.echo(_runs_text(made))
    if no_serve:
        return
    ctx.obj = settings
    ctx.invoke(serve, host="127.0.0.1", port=port, auth=None)


def _fresh_files(directory: Path, policy_text: str) -> tuple[Path, Path]:
    """Delete the old demo store (with its WAL files) and write the example policy."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        db_path = (directory / DB_FILE).resolve()
        for suffix in ("", "-wal", "-shm", "-journal"):
            db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
        policy_path = (directory / POLICY_FILE).resolve()
        policy_path.write_text(policy_text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--dir {directory}: {exc.strerror}") from None
    return db_path, policy_path


def _summary_text(summary: DemoSummary, db_path: Path, policy_path: Path, seconds: float) -> str:
    fleet = summary.today.fleet
    size_mb = (
        sum(p.stat().st_size for p in db_path.parent.glob(db_path.name + "*") if p.is_file()) / 1e6
    )
    lines = [
        f"demo fleet: {summary.hosts} hosts, 90 days of history ({summary.days} evaluations), "
        f"{summary.reports} reports, {summary.package_sets} package sets",
        f"upstream: {summary.catalog_entries} catalog entries, "
        f"{summary.advisories} AlmaLinux advisories",
        f"today: {fleet.patched} patched, {fleet.critical_or_high} critical/high, "
        f"{fleet.pending_reboot} pending reboot, {fleet.stale} stale, "
        f"{fleet.unclassified} unclassified, days behind mean {fleet.days_behind_mean:.1f} "
        f"max {fleet.days_behind_max:.0f}",
        f"store: {db_path} ({size_mb:.1f} MB), policy: {policy_path}",
        f"built in {seconds:.1f} s",
    ]
    return "\n".join(lines)


def _runs_text(runs: DemoRuns) -> str:
    lines = [f"simulated runs (simulated executor, virtual clock; {runs.seconds:.1f} s):"]
    for run in runs.runs:
        hosts = ", ".join(f"{n} {state}" for state, n in run.hosts_by_state.items())
        paged = f", paged {run.pages}" if run.pages else ""
        lines.append(f"  {run.id} {run.bucket}: {run.state} ({hosts}{paged})")
    for bucket in runs.skipped:
        lines.append(f"  no run of {bucket}: none of its hosts needs work")
    return "\n".join(lines)


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
