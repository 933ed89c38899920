"""The run pages: `/runs` (every recent run with each wave's progress) and `/runs/{id}` (wave by
wave and host by host: state, current step, every attempt with its evidence, failed gates,
pages). Both refresh themselves while something is live, with a `<meta http-equiv="refresh">`:
the pages carry no script (the Content-Security-Policy allows none), and a page reload is cheap.

Operator actions (start, cancel, resume, halt, unhalt) are not forms here: they need an operator
token in the `Authorization` header, which a plain form cannot send, and the login cookie is
deliberately refused for writes (no CSRF). The pages name the CLI commands and API calls instead.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from fleetpatch.app.run_views import recent_runs, run_detail
from fleetpatch.app.tokens import Caller
from fleetpatch.web.auth import reader
from fleetpatch.web.context import context_of
from fleetpatch.web.pages import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Caller, Depends(reader)]
RUNS_SHOWN = 50
REFRESH_SECONDS = 15


@router.get("/runs", response_class=HTMLResponse)
def runs_page(
    request: Request,
    _: Reader,
    bucket: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    context = context_of(request)
    runs = recent_runs(context.store, bucket=bucket or None, limit=RUNS_SHOWN)
    live = any(r.live for r in runs)
    return render(
        request,
        "runs.html",
        runs=runs,
        bucket=bucket or "",
        refresh=REFRESH_SECONDS if live else None,
    )


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(run_id: str, request: Request, _: Reader) -> HTMLResponse:
    detail = run_detail(context_of(request).store, run_id)
    refresh = REFRESH_SECONDS if detail.run.live else None
    return render(request, "run.html", detail=detail, refresh=refresh)
