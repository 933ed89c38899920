"""Dashboard pages, rendered on the server: overview, bucket, hosts, host (login: `login.py`).

Handlers call one read use case from `fleetpatch.app.dashboard` and render a Jinja2 template.
Autoescaping is on for every template, so hostnames, package names and labels from reports are
always text. Every figure links to the hosts behind it through `hosts_url` (the hosts page with
the matching filter).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from fleetpatch.app import dashboard
from fleetpatch.app.run_views import halt_banner, host_runs, recent_runs
from fleetpatch.app.time_to_patch import TimeToPatch
from fleetpatch.app.tokens import Caller
from fleetpatch.store.evaluations import HistoryPoint
from fleetpatch.store.status_queries import STATES
from fleetpatch.web.api import MAX_LIMIT, HostParams, host_sort, status_filter
from fleetpatch.web.auth import reader
from fleetpatch.web.charts import Series, line_chart
from fleetpatch.web.context import context_of

router = APIRouter(include_in_schema=False)
Reader = Annotated[Caller, Depends(reader)]
TEMPLATES = Path(__file__).parent / "templates"
PAGE_SIZE = 50
RECENT_RUNS = 10  # on a host's and a bucket's page; /runs lists more


def template_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["hosts_url"] = hosts_url
    env.filters["days"] = _days
    env.filters["when"] = _when
    env.filters["pct"] = lambda v: f"{v:.1f} %"
    env.filters["duration"] = _duration
    env.filters["evidence"] = _evidence
    return env


def hosts_url(**params: Any) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return "/hosts" + (f"?{urlencode(kept)}" if kept else "")


def render(request: Request, name: str, *, public: bool = False, **values: Any) -> HTMLResponse:
    """The page, with the andon banner when the fleet is halted (one primary-key read). A
    `public` page (the login form) is shown to anyone, so it never says why the fleet halted."""
    context = context_of(request)
    template = request.app.state.templates.get_template(name)
    halt = None if public else halt_banner(context.store)
    return HTMLResponse(template.render(auth=context.auth, halt=halt, **values))


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, _: Reader) -> HTMLResponse:
    context = context_of(request)
    view = dashboard.overview(
        context.store,
        context.policy,
        now=context.clock(),
        breakdown=context.figures(),
        ttp=context.time_to_patch,
    )
    charts = trend_charts(view.trend, "fleet") + ttp_charts(view.time_to_patch, "fleet")
    return render(request, "overview.html", view=view, charts=charts)


@router.get("/buckets/{name}", response_class=HTMLResponse)
def bucket_page(
    name: str, request: Request, _: Reader, forecast: bool | None = None
) -> HTMLResponse:
    """ "Fully patched by" is computed for buckets of up to 2,000 hosts; `?forecast=1` asks for it
    on bigger ones (it plans and simulates the bucket's pending work: seconds)."""
    context = context_of(request)
    view = dashboard.bucket_view(
        context.store,
        context.policy,
        name,
        now=context.clock(),
        breakdown=context.figures(),
        forecast=forecast,
        forecaster=context.forecast,
        ttp=context.time_to_patch,
    )
    charts = trend_charts(view.trend, "bucket") + ttp_charts(view.time_to_patch, "bucket")
    runs = recent_runs(context.store, bucket=view.bucket.name, limit=RECENT_RUNS)
    return render(request, "bucket.html", view=view, charts=charts, runs=runs)


@router.get("/hosts", response_class=HTMLResponse)
def hosts_page(
    request: Request,
    _: Reader,
    query: HostParams,
    order: str = "desc",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = PAGE_SIZE,
) -> HTMLResponse:
    context = context_of(request)
    found = dashboard.host_page(
        context.store,
        status_filter(context, query),
        sort=host_sort(query.sort),
        descending=order != "asc",
        offset=(page - 1) * size,
        limit=size,
    )
    params = {**asdict(query), "order": order, "size": size if size != PAGE_SIZE else ""}
    return render(
        request,
        "hosts.html",
        found=found,
        page=page,
        pages=max(1, -(-found.total // size)),
        params=params,
        choices=context.choices(),
        states=list(STATES),
    )


@router.get("/hosts/{hostname:path}", response_class=HTMLResponse)
def host_page(hostname: str, request: Request, _: Reader) -> HTMLResponse:
    context = context_of(request)
    view = dashboard.host_view(
        context.store, context.policy, hostname, now=context.clock(), upstream_for=context.upstream
    )
    runs = host_runs(context.store, view.header.hostname, limit=RECENT_RUNS)
    return render(request, "host.html", view=view, now=context.clock(), host_runs=runs)


def trend_charts(
    points: tuple[HistoryPoint, ...] | list[HistoryPoint], scope: str
) -> list[tuple[str, str]]:
    """(title, SVG) of the three trends the dashboard shows."""

    def series(title: str, test_id: str, field: str) -> tuple[str, str]:
        values = tuple((p.day, float(getattr(p, field))) for p in points)
        return title, line_chart(Series(title, values, f"{scope}-{test_id}"))

    return [
        series("Mean days behind upstream", "trend-days-behind", "days_behind_mean"),
        series("Hosts affected by critical/high", "trend-critical-high", "critical_or_high"),
        series("Hosts pending reboot", "trend-pending-reboot", "pending_reboot"),
    ]


def ttp_charts(figures: TimeToPatch | None, scope: str) -> list[tuple[str, str]]:
    """(title, SVG) of the time-to-patch trend: p50 and p90 of the pairs patched in the trailing
    week, and the share of pairs patched, per day."""
    points = figures.trend if figures is not None else ()

    def series(title: str, test_id: str, field: str) -> tuple[str, str]:
        values = tuple((p.day, float(v)) for p in points if (v := getattr(p, field)) is not None)
        return title, line_chart(Series(title, values, f"{scope}-{test_id}"))

    return [
        series("Time to patch p50, days (trailing 7 days)", "trend-ttp-p50", "p50_days"),
        series("Time to patch p90, days (trailing 7 days)", "trend-ttp-p90", "p90_days"),
        series("% of (advisory, host) pairs patched", "trend-ttp-patched", "patched_pct"),
    ]


def _days(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f} days" if value >= 10 else f"{value:,.1f} days"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"
    return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:.0f} min"


def _evidence(value: Any) -> str:
    """A piece of step evidence as text (autoescaped by the template like everything else)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _when(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()
