"""Security headers on every response, and the bind rule for `serve`.

The pages use no inline script or style, so the Content-Security-Policy allows only same-origin
stylesheets and images (plus `data:` images) and no scripts at all; framing is refused. Values
from reports reach pages only through Jinja2 autoescaping (see `pages.py`), so a package named
`<script>` is text, and even a missed escape could not run a script under this policy.
"""

from __future__ import annotations

import ipaddress

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` even on this
    # site's own login form, which the login's cross-site check must be able to tell apart.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# The OpenAPI explorer is the one page that needs a script (FastAPI's, from its CDN); it is off.


class SecurityHeaders:
    """Plain ASGI middleware (no per-request task, unlike `BaseHTTPMiddleware`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Fleet data is never cached, by a browser or a proxy: API answers and pages alike (with
        # auth on, a page is authenticated content). Static files may be.
        private = not str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if private:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses; anything else is reachable from outside."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
