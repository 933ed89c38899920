"""Sending a host report to a fleetpatch server: `POST /api/v1/reports` with a reporter token.

HTTPS with the certificate verified (the system's CAs, or `ca_file`); plain HTTP only to a
loopback address, or when the caller says so explicitly (`allow_http`): a token sent in clear
over a network is a token given away. Every attempt has a timeout.

An answer is one of three kinds, and the caller treats them differently:
- `delivered`: 201 (stored) or 200 (already stored: the server keeps a report once, so resending
  one is harmless);
- `rejected`: 413 or 422, the server read the report and refuses it; sending it again cannot help,
  so it is not spooled (the reasons are in the message);
- `PushError` for everything that may succeed later (refused connection, timeout, 5xx, 429) and
  for a token the server does not take (401/403): the report is kept to be sent again.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from fleetpatch.errors import CollectError, InputError

ENDPOINT = "/api/v1/reports"
MAX_ANSWER = 64 * 1024
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


class PushError(CollectError):
    """The report could not be delivered now; it may be later (spool it)."""


@dataclass(frozen=True, slots=True)
class PushTarget:
    """Where reports go and how: the endpoint URL, the token, TLS trust and a timeout."""

    url: str
    token: str
    ca_file: Path | None = None
    timeout: float = 30.0

    @classmethod
    def build(
        cls,
        server: str,
        token: str,
        *,
        ca_file: Path | None = None,
        allow_http: bool = False,
        timeout: float = 30.0,
    ) -> PushTarget:
        """Check the server URL (`https://host[:port]`, optionally ending in the endpoint)."""
        parts = urlsplit(server)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise InputError(f"--post: expected https://HOST[:PORT], not {server!r}")
        if parts.scheme == "http" and not (allow_http or parts.hostname in LOOPBACK_NAMES):
            raise InputError(
                f"--post: {server} is plain HTTP to a non-loopback host: the token would cross "
                "the network in clear; use https:// (or --allow-http to insist)"
            )
        if not token:
            raise InputError("--token-file: the file is empty (it must hold a reporter token)")
        path = parts.path.rstrip("/")
        url = server.rstrip("/") if path.endswith(ENDPOINT) else server.rstrip("/") + ENDPOINT
        return cls(url, token, ca_file, timeout)


@dataclass(frozen=True, slots=True)
class PushResult:
    outcome: Literal["delivered", "rejected"]
    status: int
    message: str


Opener = Callable[[urllib.request.Request, float, ssl.SSLContext | None], tuple[int, bytes]]


def push(target: PushTarget, body: bytes, *, opener: Opener | None = None) -> PushResult:
    """POST one report body; the result, or `PushError` when it should be sent again later."""
    request = urllib.request.Request(  # noqa: S310 (scheme checked in PushTarget.build)
        target.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {target.token}",
            "User-Agent": "fleetpatch-agent",
        },
    )
    context = _tls(target) if target.url.startswith("https:") else None
    status, answer = (opener or _open)(request, target.timeout, context)
    text = answer[:MAX_ANSWER].decode("utf-8", "replace")
    where = urlsplit(target.url).netloc
    if status in (200, 201):
        return PushResult("delivered", status, _summary(text))
    if status in (413, 422):
        return PushResult("rejected", status, _summary(text))
    if status in (401, 403):
        raise PushError(f"{where} refused the token (HTTP {status}): {_summary(text)}")
    raise PushError(f"{where} answered HTTP {status}: {_summary(text)}")


def _tls(target: PushTarget) -> ssl.SSLContext:
    context = ssl.create_default_context(
        cafile=str(target.ca_file) if target.ca_file is not None else None
    )
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _open(
    request: urllib.request.Request, timeout: float, context: ssl.SSLContext | None
) -> tuple[int, bytes]:
    where = urlsplit(request.full_url).netloc
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310
            return int(response.status), response.read(MAX_ANSWER)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(MAX_ANSWER)
    except urllib.error.URLError as exc:
        raise PushError(f"{where}: {exc.reason}") from exc
    except (TimeoutError, OSError) as exc:
        raise PushError(f"{where}: {exc or type(exc).__name__}") from exc


def _summary(text: str) -> str:
    """The server's answer in one line: its error, or what it stored and rejected."""
    try:
        data = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:300]
    if not isinstance(data, dict):
        return str(data)[:300]
    if "error" in data:
        return str(data["error"])[:300]
    rejected = data.get("rejected") or []
    parts = [f"stored {data.get('stored', 0)}", f"duplicates {data.get('duplicates', 0)}"]
    if rejected:
        parts.append("rejected: " + "; ".join(str(r) for r in rejected)[:300])
    return ", ".join(parts)


def backoff_delays(attempts: int, *, first: float = 1.0, cap: float = 30.0) -> list[float]:
    """The waits between `attempts` tries: doubling from `first`, at most `cap` each."""
    return [min(cap, first * 2**i) for i in range(max(0, attempts - 1))]


def push_with_retries(
    target: PushTarget,
    body: bytes,
    *,
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    opener: Opener | None = None,
) -> PushResult:
    """`push`, tried up to `attempts` times with backoff while the failure may pass."""
    delays = backoff_delays(attempts)
    for attempt in range(attempts):
        try:
            return push(target, body, opener=opener)
        except PushError:
            if attempt == attempts - 1:
                raise
            sleep(delays[attempt])
    raise AssertionError("unreachable")  # pragma: no cover
