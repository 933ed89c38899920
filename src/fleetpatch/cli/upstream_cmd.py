"""`fleetpatch catalog import`, `fleetpatch advisories import|sync`: upstream data into the store.

Each command calls one use case (`fleetpatch.app.upstream`, `fleetpatch.app.upstream_sync`) and
prints its summary (with the rate, records or entries per second) on stdout in the chosen
`--format`. Warnings — a stale Release, a DSA list release fleetpatch does not map, a bad file or
record — go to stderr, one line each. Input that could not be used makes the exit code 2, after
everything good has been stored; a failed
download exits 3. Progress shows on stderr only when stderr is a terminal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import click

from fleetpatch.app.upstream import (
    DEFAULT_HTTP_TIMEOUT,
    AdvisoryImportSummary,
    Progress,
    import_advisories,
    import_catalog,
)
from fleetpatch.app.upstream_sync import OSV_BASE_URL, UrllibDownloader, sync_advisories
from fleetpatch.catalog.lists import UrllibFetcher
from fleetpatch.cli.render import format_option, render_object, render_rows
from fleetpatch.policy.loader import load_policy
from fleetpatch.settings import Settings
from fleetpatch.store import Store, open_store

timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_HTTP_TIMEOUT,
    show_default=True,
    help="Seconds a download may stall before it fails.",
)


def auto_open_incidents(ctx: click.Context, store: Store, since: datetime) -> None:
    """After an import: the policy's `incidents.auto_open` opens an incident for each advisory
    stored by it at or above that severity that affects a host (said on stderr)."""
    settings = ctx.find_object(Settings) or Settings()
    if not settings.policy_path.exists():
        return
    from fleetpatch.incidents.service import auto_open_imported

    policy = load_policy(settings.policy_path)
    for opened in auto_open_imported(store, policy, since=since, now=datetime.now(UTC)):
        if opened.created:
            click.echo(
                f"incident {opened.id} opened: {opened.key} ({opened.hosts} host(s))", err=True
            )


@contextmanager
def _store(ctx: click.Context) -> Iterator[Store]:
    settings = ctx.find_object(Settings) or Settings()
    store = open_store(settings.db_url)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def _progress(what: str, total: int | None) -> Iterator[Progress | None]:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as RichProgress

    with RichProgress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda done: bar.advance(task, done)


def _warn(lines: Sequence[str]) -> None:
    for line in lines:
        click.echo(f"warning: {line}", err=True)


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else float(count)


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


@click.group()
def catalog() -> None:
    """The package catalog: what upstream repositories offer, and since when."""


@catalog.command("import")
@click.argument("locations", nargs=-1, required=True, metavar="PATH|URL...")
@click.option("--suite", "suites", multiple=True, help="Suite, or RPM repo id / apk repository.")
@click.option("--arch", "arches", multiple=True, help="Architecture (e.g. amd64); repeatable.")
@click.option("--ecosystem", help="Ecosystem, e.g. AlmaLinux:9 (needed for RPM and apk).")
@timeout_option
@format_option
@click.pass_context
def catalog_import(
    ctx: click.Context,
    locations: tuple[str, ...],
    suites: tuple[str, ...],
    arches: tuple[str, ...],
    ecosystem: str | None,
    timeout: float,
    fmt: str,
) -> None:
    """Import apt lists directories, apt mirrors, RPM repositories or Alpine APKINDEXes.

    \b
    Examples:
      fleetpatch catalog import /var/lib/apt/lists
      fleetpatch catalog import http://deb.debian.org/debian --suite bookworm --arch amd64
      fleetpatch catalog import ./repo --ecosystem AlmaLinux:9 --suite baseos
    """
    with _store(ctx) as store, _progress("reading indexes", len(locations)) as progress:
        summary, seconds = _timed(
            lambda: import_catalog(
                store,
                locations,
                suites=suites,
                arches=arches,
                now=datetime.now(UTC),
                fetcher=UrllibFetcher(timeout),
                ecosystem=ecosystem,
                progress=progress,
            )
        )
    shown = asdict(summary.outcome)
    shown["skipped"] = summary.skipped
    shown["seconds"] = round(seconds, 3)
    shown["entries_per_second"] = _rate(summary.outcome.entries_listed, seconds)
    click.echo(render_object(shown, fmt))
    _warn(summary.warnings)
    _warn(summary.problems)
    if summary.problems:
        ctx.exit(2)


@click.group()
def advisories() -> None:
    """Advisories: import OSV files, folders, zips and Debian DSA/DLA lists, or sync OSV."""


@advisories.command("import")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@format_option
@click.pass_context
def advisories_import(ctx: click.Context, paths: tuple[str, ...], fmt: str) -> None:
    """Import OSV records from JSON files, folders of them, or zips (OSV all.zip), and
    Debian security tracker lists (data/DSA/list, data/DLA/list).

    A file whose first line is a DSA/DLA header ("[03 Oct 2023] DSA-5514-1 glibc - ...") is
    read as such a list, whatever its name: each [release] line becomes a Debian:<major>
    advisory for that source package, fixed in the version given; <not-affected> releases
    get none. Releases fleetpatch does not map are skipped with a warning (exit 0); lines it
    cannot read skip their entry and make the exit code 2, after the rest is stored. An
    affected entry holding a version its ecosystem cannot read is left out of its record with
    a warning and counted in "skipped" (exit 0).

    \b
    Examples:
      fleetpatch advisories import ./osv/all.zip
      fleetpatch advisories import security-tracker/data/DSA/list security-tracker/data/DLA/list
    """
    now = datetime.now(UTC)
    with _store(ctx) as store, _progress("importing advisories", None) as progress:
        summary, seconds = _timed(
            lambda: import_advisories(store, paths, now=now, progress=progress)
        )
        auto_open_incidents(ctx, store, now)
    click.echo(render_object(_advisory_row(summary, seconds), fmt))
    _warn(summary.warnings)
    _warn(summary.problems)
    if summary.problems:
        ctx.exit(2)


@advisories.command("sync")
@click.option("--ecosystem", "ecosystems", multiple=True, required=True, help="e.g. AlmaLinux")
@click.option("--base-url", default=OSV_BASE_URL, show_default=True, help="OSV bucket URL.")
@timeout_option
@format_option
@click.pass_context
def advisories_sync(
    ctx: click.Context, ecosystems: tuple[str, ...], base_url: str, timeout: float, fmt: str
) -> None:
    """Download each ecosystem's OSV all.zip when it changed (ETag) and import it."""
    now = datetime.now(UTC)
    with _store(ctx) as store, _progress("importing advisories", None) as progress:
        results, seconds = _timed(
            lambda: sync_advisories(
                store,
                ecosystems,
                base_url=base_url,
                fetcher=UrllibDownloader(timeout),
                now=now,
                progress=progress,
            )
        )
        auto_open_incidents(ctx, store, now)
    rows = []
    for result in results:
        row: dict[str, Any] = {"ecosystem": result.ecosystem, "status": result.status}
        if result.imported is not None:
            row.update(_advisory_row(result.imported, seconds))
        rows.append(row)
        _warn(result.imported.warnings if result.imported else ())
        _warn(result.imported.problems if result.imported else ())
    columns = [
        "ecosystem",
        "status",
        "records",
        "inserted",
        "updated",
        "withdrawn",
        "skipped",
        "problems",
    ]
    click.echo(render_rows(rows, columns, fmt))
    for result in results:
        if result.error:
            click.echo(f"error: {result.error}", err=True)
    if any(r.error for r in results):
        ctx.exit(3)
    if any(r.imported and r.imported.problems for r in results):
        ctx.exit(2)


def _advisory_row(summary: AdvisoryImportSummary, seconds: float) -> dict[str, Any]:
    row: dict[str, Any] = asdict(summary)
    row["problems"] = len(summary.problems)
    row["warnings"] = len(summary.warnings)
    row["seconds"] = round(seconds, 3)
    row["records_per_second"] = _rate(summary.records, seconds)
    return row
