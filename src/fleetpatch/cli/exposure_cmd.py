"""`evaluate`, `status`, `outdated`, `vulns`, `cve`, `drift`: the exposure engine's answers."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Any

import click

from fleetpatch.app.evaluate import evaluate_fleet
from fleetpatch.app.queries import (
    advisory_coverage,
    cve_report,
    drift_report,
    fleet_status,
    outdated,
    vulns,
)
from fleetpatch.cli.common import policy_of, store_of, utcnow
from fleetpatch.cli.render import format_option, render_rows
from fleetpatch.errors import FleetpatchError
from fleetpatch.exposure.rollups import Rollup

check_option = click.option(
    "--check", is_flag=True, help="Exit 1 when there are findings (for scripts and CI)."
)


@click.command()
@click.pass_context
def evaluate(ctx: click.Context) -> None:
    """Evaluate every host against the catalog, the advisories and the policy.

    Writes each host's status, the bucket and owner rollups and today's history point; `status`,
    `hosts`, the dashboard and /metrics read what this writes.
    """
    policy = policy_of(ctx)
    store = store_of(ctx)

    def say(message: str) -> None:
        click.echo(f"… {message}", err=True)

    result = evaluate_fleet(store, policy, now=utcnow(), progress=say)
    info = result.info
    click.echo(
        f"evaluated {info.hosts} hosts ({info.package_sets} package sets, "
        f"{info.package_versions} distinct package versions) against {info.catalog_entries} "
        f"catalog entries and {info.advisories} advisory entries in {info.seconds:.2f} s"
    )
    click.echo(_rollup_table([result.fleet, *result.by_bucket], "bucket", "table"))


_ROLLUP_COLUMNS = [
    "name", "hosts", "patched_pct", "current_pct", "days_behind_mean", "days_behind_max",
    "critical_high", "pending_reboot", "stale", "uptime_over_limit", "max_uptime_days",
    "drifted", "unclassified", "sla_breaches",
]  # fmt: skip


def _rollup_row(r: Rollup) -> dict[str, Any]:
    return {
        "name": r.key if r.key is not None else "(unclassified)",
        "hosts": r.hosts,
        "patched_pct": round(r.patched_percent, 1),
        "current_pct": round(r.current_percent, 1),
        "days_behind_mean": round(r.days_behind_mean, 1),
        "days_behind_max": round(r.days_behind_max, 1),
        "critical_high": r.critical_or_high,
        "pending_reboot": r.pending_reboot,
        "stale": r.stale,
        "uptime_over_limit": r.uptime_over_limit,
        "max_uptime_days": None if r.max_uptime_days is None else round(r.max_uptime_days),
        "drifted": r.drifted,
        "unclassified": r.unclassified,
        "sla_breaches": r.sla_breaches,
    }


def _rollup_table(rollups: list[Rollup], by: str, fmt: str) -> str:
    columns = [by if c == "name" else c for c in _ROLLUP_COLUMNS]
    rows = [{(by if k == "name" else k): v for k, v in _rollup_row(r).items()} for r in rollups]
    return render_rows(rows, columns, fmt)


@click.command()
@click.option("--by", type=click.Choice(["bucket", "owner"]), default="bucket", show_default=True)
@format_option
@click.pass_context
def status(ctx: click.Context, by: str, fmt: str) -> None:
    """Fleet rollups per bucket or owner: % patched, days behind, exposure, reboots, uptime.

    Figures come from the last `fleetpatch evaluate` (and hosts re-evaluated since); the first row
    is the whole fleet.
    """
    result = fleet_status(store_of(ctx, existing=True), by=by)
    if result.evaluation is None:
        click.echo("note: nothing evaluated yet; run `fleetpatch evaluate`", err=True)
    else:
        e = result.evaluation
        click.echo(f"evaluated {e.evaluated_at:%Y-%m-%d %H:%M}Z, {e.hosts} hosts", err=True)
    click.echo(_rollup_table([result.fleet, *result.groups], by, fmt))


@click.command(name="outdated")
@click.argument("hostname")
@format_option
@check_option
@click.pass_context
def outdated_cmd(ctx: click.Context, hostname: str, fmt: str, check: bool) -> None:
    """Packages HOSTNAME lacks updates for: candidate, days behind, and whether it is security.

    The candidate is the one apt (or dnf/apk) would install from the catalog's suites; days behind
    counts from the first-seen time of the oldest newer version ("≥ N" when that version was
    already listed at the first catalog import, so it is only known to be at least that old).
    """
    rows = outdated(store_of(ctx, existing=True), policy_of(ctx), hostname, now=utcnow())
    columns = ["name", "arch", "installed", "candidate", "days_behind", "security", "why_security"]
    out = [asdict(r) for r in rows]
    if fmt != "json":  # JSON keeps the number and says first_seen_exact: false
        for line, r in zip(out, rows, strict=True):
            if not r.first_seen_exact:
                line["days_behind"] = f"≥ {r.days_behind:.1f}"  # listed at the first import
    click.echo(render_rows(out, columns, fmt))
    if check and rows:
        sys.exit(1)


@click.command(name="vulns")
@click.argument("hostname")
@format_option
@check_option
@click.pass_context
def vulns_cmd(ctx: click.Context, hostname: str, fmt: str, check: bool) -> None:
    """Advisories HOSTNAME is affected by, worst first, with the fixed version and candidate.

    With --check: exit 1 when there are findings, and exit 3 when the store holds no advisories
    for the host's ecosystem at all (then "nothing found" would vouch for nothing).
    """
    store = store_of(ctx, existing=True)
    rows = vulns(store, policy_of(ctx), hostname, now=utcnow())
    columns = [
        "advisory",
        "severity",
        "status",
        "package",
        "installed",
        "fixed",
        "candidate",
        "cves",
    ]
    click.echo(render_rows([asdict(r) for r in rows], columns, fmt))
    ecosystem, known = advisory_coverage(store, hostname)
    if known == 0:
        message = (
            f"no advisories for {ecosystem} in the store, so no finding means nothing was "
            "looked for; import them (`fleetpatch advisories import`)"
        )
        if check:
            raise FleetpatchError(message)  # exit 3: the check could not be made
        click.echo(f"note: {message}", err=True)
    if check and rows:
        sys.exit(1)


@click.command()
@click.argument("ident")
@format_option
@check_option
@click.pass_context
def cve(ctx: click.Context, ident: str, fmt: str, check: bool) -> None:
    """Hosts affected by a CVE or advisory id, grouped by bucket and owner: who must act.

    Also says when it was disclosed and, once no host is affected any more, how long the fleet
    took to be patched and running.
    """
    report = cve_report(store_of(ctx, existing=True), policy_of(ctx), ident, now=utcnow())
    rows = [
        {
            "bucket": g.bucket or "(unclassified)",
            "owner": g.owner or "-",
            "contact": g.contacts.get("chat") or g.contacts.get("email") or "-",
            "host": h.hostname,
            "packages": [f"{p} {v} -> {fix or 'no fix'}" for p, v, fix in h.packages],
            "pending_reboot": h.pending_reboot,
            "first_affected": h.first_affected_at,
        }
        for g in report.groups
        for h in g.hosts
    ]
    columns = ["bucket", "owner", "contact", "host", "packages", "pending_reboot", "first_affected"]
    ids = ", ".join(a.id for a in report.advisories)
    click.echo(f"{ident}: {ids}; {report.affected_hosts} hosts affected", err=True)
    if report.owners_to_act:
        click.echo(f"who must act: {', '.join(report.owners_to_act)}", err=True)
    if report.hours_to_fleet_patched is not None:
        click.echo(
            f"fleet patched {report.hours_to_fleet_patched:.1f} h after disclosure", err=True
        )
    click.echo(render_rows(rows, columns, fmt))
    if check and rows:
        sys.exit(1)


@click.command()
@click.argument("package", required=False)
@format_option
@check_option
@click.pass_context
def drift(ctx: click.Context, package: str | None, fmt: str, check: bool) -> None:
    """Versions of each package running in the fleet against its canonical level, with host counts.

    Without PACKAGE, lists the packages that drift (several versions, or off the canonical level).
    Every package has one level per ecosystem, owned by one team: the newest version that has
    soaked `defaults.soak_days`, unless a baseline pins or soaks it otherwise. Each version reads
    on_baseline, behind_baseline or ahead_of_pin (newer than a pinned level).
    """
    rows = drift_report(store_of(ctx, existing=True), policy_of(ctx), now=utcnow(), package=package)
    out = [
        {
            "ecosystem": r.ecosystem,
            "package": r.package,
            "canonical": r.canonical,
            "owner": r.owner or None,
            "hosts_off": r.hosts_off,
            "versions": [
                f"{v.version}={v.hosts}" + (f"({v.direction})" if v.direction else "")
                for v in r.versions
            ],
        }
        for r in rows
    ]
    columns = ["ecosystem", "package", "canonical", "owner", "hosts_off", "versions"]
    click.echo(render_rows(out, columns, fmt))
    if check and any(r.hosts_off for r in rows):
        sys.exit(1)
