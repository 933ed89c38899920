"""A JSON POST over urllib with a timeout: the transport of the HTTP notifiers.

A response outside 2xx, a refused connection, a timeout or a bad URL is a `NotifyError` that
names the notifier and the host (never the full URL: webhook URLs carry secrets in their path).
The error says whether trying again may help: a connection failure, a timeout, HTTP 429 and 5xx
may pass later; any other 4xx will not (the request itself is wrong). A 429's `Retry-After`
(seconds) is kept on the error for the caller to honour.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from fleetpatch.notify.base import NotifyError

MAX_ERROR_BODY = 200


def post_json(
    name: str, url: str, payload: Mapping[str, Any], *, timeout: float, headers: Mapping[str, str]
) -> bytes:
    """POST `payload` as JSON to `url`; the response body, or `NotifyError`."""
    where = f"notifier {name} ({urlsplit(url).netloc or 'no host'})"
    if urlsplit(url).scheme not in ("http", "https"):
        raise NotifyError(f"{where}: not an http(s) URL", retryable=False)
    body = json.dumps(payload, sort_keys=True).encode()
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data: bytes = response.read()
            return data
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:MAX_ERROR_BODY].decode(errors="replace").strip()
        raise NotifyError(
            f"{where}: HTTP {exc.code} {detail}".rstrip(),
            retryable=exc.code == 429 or exc.code >= 500,
            status=exc.code,
            retry_after=retry_after_seconds(exc.headers.get("Retry-After")),
        ) from exc
    except urllib.error.URLError as exc:
        raise NotifyError(f"{where}: {exc.reason}") from exc
    except (TimeoutError, OSError) as exc:
        raise NotifyError(f"{where}: {exc or type(exc).__name__}") from exc


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds; None when absent or not a number (the HTTP-date form is not
    used by the services we call, and guessing a date's meaning is worse than not waiting)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
