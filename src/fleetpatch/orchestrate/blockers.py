"""Blockers: conditions that keep a run from starting a host or its next disruptive step.

A `command` blocker is an argv run here with its timeout: exit 0 means clear, anything else means
blocked, and its last line of output says why. A `prometheus` blocker runs an instant query
against the server's HTTP API (`/api/v1/query`): any sample with a non-zero value blocks (an
alert firing, a cluster that is already degraded). A blocker that cannot be checked (timeout,
unreachable server, bad answer) blocks: when in doubt, do not disrupt.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

from fleetpatch.policy.records import Blocker


def check_blockers(blockers: Sequence[Blocker]) -> str:
    """The reason the first holding blocker gives, or "" when every one is clear."""
    for blocker in blockers:
        why = check(blocker)
        if why:
            return why
    return ""


def check(blocker: Blocker) -> str:
    if blocker.kind == "command":
        return _command(blocker)
    return _prometheus(blocker)


def _command(blocker: Blocker) -> str:
    argv = list(blocker.command)
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=blocker.timeout_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"{argv[0]} did not answer within {blocker.timeout_seconds}s"
    except OSError as exc:
        return f"cannot run {argv[0]!r}: {exc.strerror or exc}"
    if done.returncode == 0:
        return ""
    text = (done.stdout or done.stderr).decode("utf-8", errors="replace").strip().splitlines()
    return f"{argv[0]} exited {done.returncode}" + (f": {text[-1][:300]}" if text else "")


def _prometheus(blocker: Blocker) -> str:
    url = blocker.url.rstrip("/") + "/api/v1/query?" + urlencode({"query": blocker.query})
    where = urlsplit(blocker.url).netloc or blocker.url
    if urlsplit(url).scheme not in ("http", "https"):
        return f"prometheus blocker at {where}: not an http(s) URL"
    try:
        with urllib.request.urlopen(url, timeout=blocker.timeout_seconds) as response:  # noqa: S310
            body: Any = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc or type(exc).__name__
        return f"prometheus at {where} did not answer the blocker query: {reason}"
    if not isinstance(body, dict):
        return f"prometheus at {where}: not a query answer"
    if body.get("status") != "success":
        return f"prometheus query failed: {body.get('error', 'no error given')}"
    data = body.get("data", {})
    firing = []
    for sample in data.get("result", []) if data.get("resultType") == "vector" else []:
        try:
            value = float(sample.get("value", [0, "0"])[1])
        except (TypeError, ValueError, IndexError):
            value = 1.0
        if value != 0:
            firing.append(sample.get("metric", {}))
    if data.get("resultType") == "scalar":
        try:
            if float(data.get("result", [0, "0"])[1]) != 0:
                firing.append({})
        except (TypeError, ValueError, IndexError):
            firing.append({})
    if not firing:
        return ""
    labels = ", ".join(f"{k}={v}" for k, v in sorted(firing[0].items()))
    more = f"; {labels}" if labels else ""
    return f"prometheus: {blocker.query!r} holds ({len(firing)} sample(s){more})"
