"""Who may do what over HTTP: token roles checked per request.

- Reads (pages, `/api/v1/…` GETs, `/metrics`) need a `viewer` or `operator` token when auth is on;
  with auth off (only allowed on loopback, see `serve`) reads are open.
- Ingest (`POST /api/v1/reports`) always needs a `reporter` or `operator` token in the
  `Authorization: Bearer` header, auth on or off: a write is never anonymous. The browser cookie
  is not accepted for writes, so a page on another site cannot make a browser write (no CSRF).
- A browser logs in once at `/login` (a POSTed form, refused when `Origin` or `Sec-Fetch-Site`
  say it came from another site); the cookie holds a server-side session id, never the token
  (HttpOnly, SameSite=Strict, Secure over TLS). A session reads only, and ends at logout, after
  12 hours, or when its token is revoked.

No token, or an unknown or revoked one: 401 with `WWW-Authenticate: Bearer`. A valid token whose
role lacks the permission: 403. A token's `last_used_at` is written at most every few minutes per
server (`WebContext.note_use`), so reads do not turn into a write each.
"""

from __future__ import annotations

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from fleetpatch.app.tokens import Caller, Permission, authenticate, record_use, session_caller
from fleetpatch.web.context import context_of

COOKIE = "fleetpatch_session"
ANONYMOUS = Caller("anonymous", "viewer")


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def check(request: Request, permission: Permission, *, cookie_ok: bool) -> Caller:
    """The caller, or an HTTPException (401 unknown, 403 not allowed)."""
    context = context_of(request)
    if permission == "read" and not context.auth:
        return ANONYMOUS
    secret = bearer(request)
    cookie = request.cookies.get(COOKIE) if cookie_ok and secret is None else None
    if secret is None and cookie is None:
        raise _unauthorized(f"this needs a token with the {_roles(permission)} role")
    if secret is not None:
        caller = authenticate(context.store, secret, now=context.clock())
        if caller is None:
            raise _unauthorized("unknown or revoked token")
    else:
        assert cookie is not None
        caller = session_caller(context.store, cookie, now=context.clock())
        if caller is None:
            raise _unauthorized("the session has ended (expired, logged out or token revoked)")
    if not caller.may(permission):
        raise HTTPException(
            403, f"token {caller.name!r} has role {caller.role!r}; this needs {_roles(permission)}"
        )
    if context.note_use(caller.token_id):
        with context.writing():
            record_use(context.store, caller, now=context.clock())
    return caller


async def reader(request: Request) -> Caller:
    """Dependency: may read (pages, API reads, metrics)."""
    return await run_in_threadpool(check, request, "read", cookie_ok=True)


async def ingester(request: Request) -> Caller:
    """Dependency: may post reports (bearer header only)."""
    return await run_in_threadpool(check, request, "ingest", cookie_ok=False)


async def operator(request: Request) -> Caller:
    """Dependency: may act on runs (start, cancel, resume, halt): bearer header, operator role,
    with or without auth on for reads (an action always says who took it)."""
    return await run_in_threadpool(check, request, "operate", cookie_ok=False)


def _roles(permission: Permission) -> str:
    return {
        "read": "viewer or operator",
        "ingest": "reporter or operator",
        "operate": "operator",
    }[permission]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})
