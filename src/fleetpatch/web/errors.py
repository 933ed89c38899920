"""Errors over HTTP: one clear message and the right status; JSON for the API, a page for people.

`FleetpatchError`s answer their class's own status (`NotFoundError` 404, `InputError` 400,
`StoreError` 503, others 500); a database error that escapes a use case is 503; request
validation errors are 422 with the problem spelled out. A page request (not `/api/`, not
`/metrics`) gets the message in the error page instead. Nothing escapes as a bare 500 that
would drop the connection.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from fleetpatch.errors import FleetpatchError

log = logging.getLogger(__name__)


def status_of(exc: FleetpatchError) -> int:
    """The status is the error class's own (`fleetpatch.errors`), shared with the CLI's exits."""
    return exc.http_status


def respond(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    path = request.url.path
    if path.startswith(("/api/", "/metrics", "/openapi.json")):
        return JSONResponse({"error": message, "status": status}, status, headers=headers)
    templates = request.app.state.templates
    page = templates.get_template("error.html").render(status=status, message=message)
    return HTMLResponse(page, status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(FleetpatchError)
    async def on_fleetpatch(request: Request, exc: FleetpatchError) -> Response:
        status = status_of(exc)
        if status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc)
        return respond(request, status, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        return respond(request, exc.status_code, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> Response:
        """A bug or an unforeseen failure: the documented error shape, the details in the log."""
        log.exception("%s %s failed unexpectedly", request.method, request.url.path)
        return respond(request, 500, "internal error; the server log has the details")

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg', '')}"
            for e in exc.errors()
        ]
        return respond(request, 422, "; ".join(problems) or "invalid request")


__all__ = ["HTTPException", "install", "respond", "status_of"]
