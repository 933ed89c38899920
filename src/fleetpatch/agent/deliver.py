"""Deliver a fresh report and whatever the spool still holds, oldest first.

The spooled reports go first (the server then sees reports in collection order); the first one
that cannot be delivered stops the round, since the server is evidently not taking reports now,
and the fresh report joins the spool. A report the server rejects (413/422) is dropped from the
spool with its reason: sending it again could not help. Nothing else is ever dropped except by
the spool's bound, which says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fleetpatch.agent.push import Opener, PushError, PushTarget, push, push_with_retries
from fleetpatch.agent.spool import Spool

DELIVERED, REJECTED, SPOOLED = 0, 2, 3
"""Exit statuses: delivered, rejected by the server (nothing to retry), kept in the spool."""


@dataclass(slots=True)
class Delivery:
    status: int = DELIVERED
    lines: list[str] = field(default_factory=list)
    sent_from_spool: int = 0


def deliver(
    target: PushTarget,
    spool: Spool | None,
    body: bytes,
    *,
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    opener: Opener | None = None,
) -> Delivery:
    """Send the spool's reports, then `body`; keep what could not be sent."""
    result = Delivery()
    for path in spool.pending() if spool is not None else []:
        try:
            answer = push(target, path.read_bytes(), opener=opener)
        except PushError as exc:
            result.lines.append(f"spooled report {path.name} not sent yet: {exc}")
            return _keep(result, spool, body, f"server not taking reports: {exc}")
        path.unlink(missing_ok=True)
        if answer.outcome == "rejected":
            result.lines.append(f"spooled report {path.name} rejected, dropped: {answer.message}")
        else:
            result.sent_from_spool += 1
            result.lines.append(f"sent spooled report {path.name}: {answer.message}")
    try:
        answer = push_with_retries(target, body, attempts=attempts, sleep=sleep, opener=opener)
    except PushError as exc:
        return _keep(result, spool, body, str(exc))
    if answer.outcome == "rejected":
        result.status = REJECTED
        result.lines.append(f"report rejected (HTTP {answer.status}): {answer.message}")
    else:
        result.lines.append(f"report delivered (HTTP {answer.status}): {answer.message}")
    return result


def _keep(result: Delivery, spool: Spool | None, body: bytes, why: str) -> Delivery:
    result.status = SPOOLED
    if spool is None:
        result.lines.append(f"report NOT delivered and no spool to keep it: {why}")
        return result
    result.lines.extend(spool.add(body))
    result.lines.append(f"report kept in {spool.directory} to send next time: {why}")
    return result
