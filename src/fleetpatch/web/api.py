"""`/api/v1`: JSON for everything the pages show, and report ingestion.

Handlers are thin: parse query parameters, call one use case from `fleetpatch.app`, convert with
`schemas.py`. Reads need the `read` permission, `POST /api/v1/reports` the `ingest` one (see
`auth.py`). Errors are JSON `{"error": message, "status": code}` (see `errors.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from fleetpatch.app import dashboard
from fleetpatch.app.tokens import Caller
from fleetpatch.errors import InputError
from fleetpatch.store.status_queries import SORTS, STATES, HostSort, StatusFilter
from fleetpatch.web import schemas
from fleetpatch.web.auth import ingester, reader
from fleetpatch.web.context import WebContext, context_of
from fleetpatch.web.ingest import ingest_body

router = APIRouter(prefix="/api/v1", tags=["api"])
Reader = Annotated[Caller, Depends(reader)]
MAX_LIMIT = 500


@router.get("/overview", response_model=schemas.OverviewOut)
def get_overview(request: Request, _: Reader) -> schemas.OverviewOut:
    """Fleet, per-bucket and per-owner figures, the 90-day fleet trend, the last evaluation."""
    context = context_of(request)
    view = dashboard.overview(
        context.store,
        context.policy,
        now=context.clock(),
        breakdown=context.figures(),
        ttp=context.time_to_patch,
    )
    return schemas.OverviewOut(
        fleet=schemas.rollup_out(view.fleet),
        buckets=[schemas.bucket_line_out(b) for b in view.buckets],
        owners=[schemas.rollup_out(o) for o in view.owners],
        trend=schemas.trend_out(view.trend),
        evaluation=schemas.evaluation_out(view.evaluation),
        time_to_patch=None
        if view.time_to_patch is None
        else schemas.time_to_patch_out(view.time_to_patch),
    )


@router.get("/buckets/{name}", response_model=schemas.BucketOut)
def get_bucket(name: str, request: Request, _: Reader, forecast: bool = False) -> schemas.BucketOut:
    """One bucket: owner and contacts, strategy, runbook, cadence, next windows, hosts by state;
    `forecast=true` adds when it will be fully patched (planned and simulated once per
    evaluation and hour, then served from memory)."""
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
    b, owner = view.bucket, view.owner
    return schemas.BucketOut(
        name=b.name,
        owner=b.owner,
        contacts=None
        if owner is None
        else schemas.ContactsOut(chat=owner.contacts.chat, email=owner.contacts.email),
        strategy=b.strategy,
        runbook=b.runbook,
        description=b.description,
        windows=[f"{w.rule} for {w.duration_minutes} min ({w.timezone})" for w in b.windows],
        next_windows=[schemas.window_out(o) for o in view.next_windows],
        rollup=schemas.rollup_out(view.rollup),
        days_behind_p90=view.days_behind_p90,
        by_update_state=view.by_update_state,
        trend=schemas.trend_out(view.trend),
        forecast=schemas.forecast_out(view.forecast),
        time_to_patch=None
        if view.time_to_patch is None
        else schemas.time_to_patch_out(view.time_to_patch),
    )


@router.get("/trends/{scope}", response_model=list[schemas.TrendPointOut])
def get_trend(
    scope: Literal["fleet", "bucket", "owner"], request: Request, _: Reader, key: str = ""
) -> list[schemas.TrendPointOut]:
    """Daily points of the 90 days up to the newest evaluation, for the fleet, a bucket (`key`)
    or an owner (`key`)."""
    context = context_of(request)
    return schemas.trend_out(dashboard.trend(context.store, scope, key))


@dataclass(frozen=True)
class HostQuery:
    """The hosts listing's filters and sort, shared by `/api/v1/hosts` and the hosts page.

    `state`: one of the dashboard's conditions; `package` + `version` + `ecosystem`: the hosts
    running that version (the drift page's counts); `q`: literal text in the hostname.
    """

    bucket: str = ""
    owner: str = ""
    state: str = ""
    ecosystem: str = ""
    q: str = ""
    package: str = ""
    version: str = ""
    sort: str = "days_behind"


HostParams = Annotated[HostQuery, Depends()]


@router.get("/hosts", response_model=schemas.HostPageOut)
def get_hosts(
    request: Request,
    _: Reader,
    query: HostParams,
    order: Literal["desc", "asc"] = "desc",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> schemas.HostPageOut:
    """Hosts by filter, sorted and paginated.

    `state`: one of the dashboard's conditions; `package` + `version` + `ecosystem`: the hosts
    running that version (the drift page's counts).
    """
    context = context_of(request)
    page = dashboard.host_page(
        context.store,
        status_filter(context, query),
        sort=host_sort(query.sort),
        descending=order == "desc",
        offset=offset,
        limit=limit,
    )
    following = None
    if page.has_next:
        params = {**request.query_params, "offset": str(offset + limit), "limit": str(limit)}
        following = f"{request.url.path}?{urlencode(params)}"
    return schemas.HostPageOut(
        total=page.total,
        offset=offset,
        limit=limit,
        hosts=[schemas.status_out(s) for s in page.rows],
        next=following,
    )


@router.get("/hosts/{hostname:path}", response_model=schemas.HostOut)
def get_host(hostname: str, request: Request, _: Reader) -> schemas.HostOut:
    """One host: facts, status, outdated/vulnerable/drifted packages, report history."""
    context = context_of(request)
    view = dashboard.host_view(
        context.store, context.policy, hostname, now=context.clock(), upstream_for=context.upstream
    )
    return schemas.host_out(view)


@router.post(
    "/reports",
    response_model=schemas.IngestOut,
    status_code=201,
)
async def post_reports(request: Request, _: Annotated[Caller, Depends(ingester)]) -> JSONResponse:
    """Ingest one report (or a JSON array / NDJSON of reports); re-evaluates each stored host.

    201 when something was stored; otherwise 422 when a report was rejected (the reasons are in
    `rejected`), 200 when every report was already stored.
    """
    result, status = await ingest_body(request)
    return JSONResponse(result.model_dump(), status_code=status)


def status_filter(context: WebContext, query: HostQuery) -> StatusFilter:
    dashboard.check_filter_names(
        context.policy, context.choices(), bucket=query.bucket, owner=query.owner
    )
    if query.state and query.state not in STATES:
        raise InputError(f"state: must be one of {', '.join(STATES)}, not {query.state!r}")
    sets = None
    if query.package or query.version:
        if not (query.package and query.version and query.ecosystem):
            raise InputError("package: give package, version and ecosystem together")
        sets = dashboard.hosts_running(context.store, query.ecosystem, query.package, query.version)
    return StatusFilter(
        bucket=query.bucket,
        owner=query.owner,
        state=query.state,
        ecosystem=query.ecosystem,
        text=query.q,
        package_sets=sets,
    )


def host_sort(value: str) -> HostSort:
    for sort in SORTS:
        if sort == value:
            return sort
    raise InputError(f"sort: must be one of {', '.join(SORTS)}, not {value!r}")
