"""`fleetpatch incident open|show|expedite|close` and `fleetpatch incidents`: the critical-CVE
override path from the command line. Thin: parse, call one use case, render. Operator actions
are audited with the OS user as the actor."""

from __future__ import annotations

import json

import click

from fleetpatch.cli.common import policy_of, store_of, utcnow
from fleetpatch.cli.render import format_option, render_rows
from fleetpatch.cli.run_cmd import actor
from fleetpatch.incidents import service
from fleetpatch.incidents.views import list_incidents, show_incident
from fleetpatch.policy.values import parse_duration

LIST_COLUMNS = ["id", "advisory", "severity", "state", "opened_at", "deadline_at", "breached"]
HOST_COLUMNS = ["bucket", "owner", "host", "state", "run", "run_state", "fix"]


def _seconds(_ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param=param) from None


@click.group("incident")
def incident() -> None:
    """The critical-CVE override path: open, show, expedite a bucket, close."""


@incident.command("open")
@click.argument("ident", metavar="ID")
@click.option("--deadline", callback=_seconds, help="Time to fleet patched (default: policy).")
@click.option(
    "--severity",
    type=click.Choice(service.SEVERITIES),
    help="For records without one (Debian's DSA entries).",
)
@click.option("--reason", default="", help="Why (audited).")
@click.pass_context
def incident_open(
    ctx: click.Context, ident: str, deadline: int | None, severity: str | None, reason: str
) -> None:
    """Open the incident of a CVE, ALSA, DSA… id (any alias finds the same incident); prints
    the incident id alone on the last line."""
    opened = service.open_incident(
        store_of(ctx, existing=True),
        policy_of(ctx),
        ident,
        now=utcnow(),
        actor=actor(),
        deadline_seconds=deadline,
        severity=severity,
        reason=reason,
    )
    verb = "opened" if opened.created else "already open"
    click.echo(f"{opened.key}: incident {verb}, {opened.hosts} host(s) affected")
    click.echo(opened.id)


@incident.command("show")
@click.argument("ident", metavar="ID")
@format_option
@click.pass_context
def incident_show(ctx: click.Context, ident: str, fmt: str) -> None:
    """One incident: hosts by bucket and owner with their states and runs, status slots,
    burn-down, timeline and times."""
    store = store_of(ctx, existing=True)
    doc = show_incident(store, policy_of(ctx), service.find_incident(store, ident), now=utcnow())
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2, sort_keys=True))
        return
    rows = [
        {
            "bucket": b["bucket"] or "",
            "owner": b["owner"] or "",
            "host": h["host"],
            "state": h["state"],
            "run": h["run"] or "",
            "run_state": h["run_state"] or "",
            "fix": ", ".join(f"{p['package']} {p['fixed'] or 'no fix yet'}" for p in h["packages"]),
        }
        for b in doc["buckets"]
        for h in b["hosts"]
    ]
    if fmt == "table":
        breach = "  BREACHED" if doc["breached"] else ""
        click.echo(
            f"{doc['id']}  {doc['advisory']} ({doc['severity']})  {doc['state']}  "
            f"{doc['remaining']} of {doc['hosts']} remaining  deadline {doc['deadline_at']}{breach}"
        )
        for b in doc["buckets"]:
            if b["note"]:
                click.echo(f"{b['bucket']}: {b['note']}")
        bad = [s for s in doc["status_slots"] if s["state"] != "sent"]
        for s in bad:
            click.echo(f"status slot {s['slot']} ({s['due_at']}): {s['state']}")
    click.echo(render_rows(rows, HOST_COLUMNS, fmt))


@incident.command("expedite")
@click.argument("ident", metavar="INCIDENT")
@click.argument("bucket")
@click.option("--reason", default="", help="Why (audited with the window override).")
@click.option("--executor", help="Override the bucket's executor.")
@click.pass_context
def incident_expedite(
    ctx: click.Context, ident: str, bucket: str, reason: str, executor: str | None
) -> None:
    """Start a run for BUCKET's affected hosts outside its window (gates, concurrency and the
    error budget still hold), target the fixed versions; a manual bucket gets its checklist.
    Prints the run id alone on the last line when a run starts; exit 1 when none could."""
    done = service.expedite(
        store_of(ctx, existing=True),
        policy_of(ctx),
        ident,
        bucket,
        now=utcnow(),
        actor=actor(),
        reason=reason,
        executor=executor,
    )
    for line in done.lines:
        click.echo(line)
    if done.kind == "run":
        click.echo(f"run for {len(done.hosts)} host(s) of {bucket} outside its window")
        click.echo(done.run_id)
        return
    if done.kind == "waiting":
        click.echo(f"{bucket}: {', '.join(done.hosts)}")
        ctx.exit(1)
    if done.kind == "nothing":
        ctx.exit(1)


@incident.command("close")
@click.argument("ident", metavar="ID")
@click.option("--reason", required=True, help="Why close now (audited; hosts stay listed).")
@click.pass_context
def incident_close(ctx: click.Context, ident: str, reason: str) -> None:
    """Close an incident by hand; its record keeps the hosts still affected."""
    store = store_of(ctx, existing=True)
    closed = service.close_incident(
        store, policy_of(ctx), ident, now=utcnow(), actor=actor(), reason=reason
    )
    click.echo("closed" if closed else "already closed")


@click.command("incidents")
@click.option("--open", "only_open", is_flag=True, help="Only open incidents.")
@format_option
@click.pass_context
def incidents(ctx: click.Context, only_open: bool, fmt: str) -> None:
    """Incidents, newest first."""
    rows = list_incidents(
        store_of(ctx, existing=True), now=utcnow(), state="open" if only_open else None
    )
    click.echo(render_rows(rows, LIST_COLUMNS, fmt))
