"""The on-call views: a CVE's affected hosts (who must act), the fleet's package drift, and the
patch-window calendar. Pages and their JSON share the lead's query use cases
(`fleetpatch.app.queries.cve_report` / `drift_report`) and cadence's `calendar_feed`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from fleetpatch.app.cadence import calendar_feed
from fleetpatch.app.queries import cve_report
from fleetpatch.app.tokens import Caller
from fleetpatch.web.auth import reader
from fleetpatch.web.charts import Series, line_chart
from fleetpatch.web.context import context_of
from fleetpatch.web.pages import render
from fleetpatch.web.schemas_queries import CveOut, DriftOut, cve_out, drift_out

Reader = Annotated[Caller, Depends(reader)]
api = APIRouter(prefix="/api/v1", tags=["api"])
pages = APIRouter(include_in_schema=False)
CALENDAR_DAYS = 90
DRIFT_ROWS = 200  # the page shows the worst; the API and a package search show everything


@api.get("/cve/{ident}", response_model=CveOut)
def get_cve(ident: str, request: Request, _: Reader) -> CveOut:
    """Hosts affected by a CVE or advisory id, grouped by bucket and owner, with fixed versions."""
    context = context_of(request)
    return cve_out(cve_report(context.store, context.policy, ident, now=context.clock()))


@api.get("/drift", response_model=list[DriftOut])
def get_drift(request: Request, _: Reader, package: str = "") -> list[DriftOut]:
    """Canonical level per package vs the versions the fleet runs, with host counts."""
    context = context_of(request)
    return [drift_out(r) for r in context.drift(package or None)]


@pages.get("/cve", response_class=HTMLResponse)
def cve_page(request: Request, _: Reader, q: str = "") -> HTMLResponse:
    context = context_of(request)
    report = cve_report(context.store, context.policy, q, now=context.clock()) if q else None
    chart = ""
    if report is not None and report.patching is not None:
        points = tuple((day, float(n)) for day, n in report.patching.burn_down)
        chart = line_chart(Series("Hosts affected", points, "cve-burn-down"))
    return render(request, "cve.html", query=q, report=report, burn_down=chart)


@pages.get("/packages", response_class=HTMLResponse)
def packages_page(request: Request, _: Reader, package: str = "") -> HTMLResponse:
    context = context_of(request)
    rows = context.drift(package or None)
    worst = sorted(rows, key=lambda r: (-r.hosts_off, -len(r.versions), r.package))
    return render(
        request, "packages.html", package=package, rows=worst[:DRIFT_ROWS], total=len(rows)
    )


@pages.get("/calendar.ics")
def calendar(request: Request, _: Reader) -> Response:
    """The next 90 days of patch windows (and freezes) as an iCalendar feed."""
    context = context_of(request)
    body = calendar_feed(context.policy, context.clock(), CALENDAR_DAYS)
    return Response(body, media_type="text/calendar; charset=utf-8")
