"""The browser login: a token posted once in a form is traded for a server-side session.

The form posts the token (so it never lands in a URL or an access log); the answer sets a cookie
holding a fresh session id, never the token: HttpOnly, SameSite=Strict, Secure when served over
TLS, 12 hours. A login posted from another site is refused before the token is even looked at:
a browser says where a request comes from in `Sec-Fetch-Site` (which a page cannot forge), or,
in a browser too old to send it, in `Origin`. A client that sends neither, such as curl, is not
a browser, and no page can make it post. Logging out ends the session on the server, not only
in the browser.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from fleetpatch.app.tokens import (
    SESSION_TTL,
    Caller,
    authenticate,
    close_session,
    open_session,
)
from fleetpatch.web.auth import COOKIE
from fleetpatch.web.context import WebContext, context_of
from fleetpatch.web.pages import render

router = APIRouter(include_in_schema=False)
LOGIN_BODY_MAX = 4096
SAME_SITE = frozenset({"same-origin", "none"})  # `none`: typed in, or a bookmark


def cross_site(request: Request) -> str:
    """Why a form post came from another site, or "" when it came from this one."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return "" if fetch_site.lower() in SAME_SITE else f"Sec-Fetch-Site is {fetch_site[:40]!r}"
    origin = request.headers.get("origin")
    if origin is not None:
        host = request.headers.get("host", "")
        if origin == "null" or urlsplit(origin).netloc.lower() != host.lower():
            return f"Origin {origin[:100]!r} is not this site ({host[:100]!r})"
    return ""


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(request, "login.html", public=True, problem="")


@router.post("/login", response_class=HTMLResponse, response_model=None)
async def login(request: Request) -> HTMLResponse | RedirectResponse:
    """Open a session for a viewer or operator token, then go to the overview."""
    context = context_of(request)
    refused = cross_site(request)
    if refused:
        page = render(
            request,
            "login.html",
            public=True,
            problem=f"refused: a login from another site ({refused})",
        )
        page.status_code = 403
        return page
    body = await request.body()
    token = parse_qs(body[:LOGIN_BODY_MAX].decode("utf-8", "replace")).get("token", [""])[0]
    caller = await run_in_threadpool(
        authenticate, context.store, token.strip(), now=context.clock()
    )
    if caller is None or not caller.may("read"):
        page = render(
            request, "login.html", public=True, problem="unknown, revoked or non-viewer token"
        )
        page.status_code = 401
        return page
    session_id = await run_in_threadpool(_open, context, caller)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        session_id,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=int(SESSION_TTL.total_seconds()),
    )
    return response


@router.api_route("/logout", methods=["GET", "POST"])
async def logout(request: Request) -> RedirectResponse:
    """End the session on the server and drop the cookie."""
    session_id = request.cookies.get(COOKIE)
    if session_id:
        await run_in_threadpool(_close, context_of(request), session_id)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def _open(context: WebContext, caller: Caller) -> str:
    with context.writing():  # in the worker thread: the lock never blocks the event loop
        return open_session(context.store, caller, now=context.clock())


def _close(context: WebContext, session_id: str) -> None:
    with context.writing():
        close_session(context.store, session_id)
