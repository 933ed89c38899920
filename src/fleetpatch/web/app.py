"""The FastAPI application factory: `create_app(settings, store, policy, clock)`.

Nothing is created at import time: the caller (the `serve` command, a test, the benchmark) opens
the store, loads the policy and passes a clock; the app keeps them in a `WebContext`. Routes:
pages at `/`, JSON at `/api/v1`, Prometheus text at `/metrics`, OpenAPI at `/openapi.json`
(behind the read permission; see `openapi.py`; the interactive explorer is off: it would load a
script from a CDN).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from fleetpatch import __version__
from fleetpatch.policy.records import Policy
from fleetpatch.settings import Settings
from fleetpatch.store import Store
from fleetpatch.web import api, api_runs, errors, login, oncall, openapi, pages, run_pages
from fleetpatch.web.auth import reader
from fleetpatch.web.context import Clock, WebContext
from fleetpatch.web.metrics import fleet_registry
from fleetpatch.web.security import SecurityHeaders

STATIC = Path(__file__).parent / "static"


def create_app(
    settings: Settings, store: Store, policy: Policy, clock: Clock, *, auth: bool = False
) -> FastAPI:
    """The dashboard, API and metrics over `store`; `auth` on requires tokens for reads too."""
    app = FastAPI(
        title="fleetpatch",
        version=__version__,
        description="Fleet patch status: pages at /, JSON at /api/v1, Prometheus at /metrics.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by `openapi.install`, behind the read permission
    )
    context = app.state.fleetpatch = WebContext(settings, store, policy, clock, auth)
    app.state.templates = pages.template_environment()
    registry = fleet_registry(store, policy, context.metric_figures, clock=clock)

    @app.get("/metrics", include_in_schema=False, dependencies=[Depends(reader)])
    async def metrics(request: Request) -> Response:
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(api.router)
    app.include_router(api_runs.router)
    app.include_router(oncall.api)
    app.include_router(pages.router)
    app.include_router(login.router)
    app.include_router(oncall.pages)
    app.include_router(run_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    openapi.install(app, auth=auth)
    errors.install(app)
    app.add_middleware(SecurityHeaders)
    return app
