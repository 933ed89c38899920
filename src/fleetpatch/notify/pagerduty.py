"""PagerDuty Events API v2: a page (`trigger`) for a host that needs a human, and its `resolve`.

A page is a `Message` whose `key` is the `dedup_key` and whose `fields` say what to do:
`event_action` (`trigger` or `resolve`), and for a trigger `severity` (critical, error, warning,
info), `source`, `component`, `group` and `custom_details`; the `subject` is the summary (cut to
1,024 characters, PagerDuty's limit). PagerDuty keeps one alert per `dedup_key`, so sending the
same trigger again never opens a second incident: pages may be resent until they are accepted.

The routing key is the team's: the policy's `pager_key` NAMES the environment variable that holds
it, and `routing_keys` is built from the environment the entry point hands over (see
`registry.py`); nothing here reads `os.environ`.

PagerDuty answers 202 with `{"status": "success"}`. 429 and 5xx are retryable failures, 400 (an
invalid event) is permanent. Because a resend is harmless, `send` itself tries a retryable
failure again, at most `attempts` times in all, waiting `backoff_seconds` doubled after each
try (or the `Retry-After` PagerDuty gave, whichever is longer) and never more than
`max_backoff_seconds` at once; after that the caller records the failure and may try later.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from fleetpatch.notify.base import Message, NotifyError
from fleetpatch.notify.transport import post_json

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SUMMARY_LIMIT = 1024
Severity = Literal["critical", "error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
EventAction = Literal["trigger", "resolve"]
EVENT_ACTIONS: tuple[EventAction, ...] = get_args(EventAction)


@dataclass(frozen=True, slots=True)
class PagerDutyNotifier:
    name: str
    routing_keys: Mapping[str, str] = field(repr=False)  # team -> routing key (a secret)
    url: str = EVENTS_URL
    timeout_seconds: float = 10.0
    attempts: int = 3
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def accepts(self, message: Message) -> bool:
        """Pages only, and only for a team whose routing key is known."""
        return "event_action" in message.fields and message.team in self.routing_keys

    def send(self, message: Message) -> None:
        event = pagerduty_event(message, self._routing_key(message.team))
        wait = self.backoff_seconds
        for attempt in range(1, max(1, self.attempts) + 1):
            try:
                self._post(event)
                return
            except NotifyError as exc:
                if not exc.retryable or attempt >= self.attempts:
                    raise
                pause = min(max(wait, exc.retry_after or 0.0), self.max_backoff_seconds)
                self.sleep(pause)
                wait *= 2

    def _post(self, event: Mapping[str, Any]) -> None:
        answer = post_json(self.name, self.url, event, timeout=self.timeout_seconds, headers={})
        try:
            status = json.loads(answer).get("status")
        except (ValueError, AttributeError):
            status = None
        if status != "success":
            raise NotifyError(
                f"notifier {self.name}: PagerDuty answered {answer[:100]!r}, not success"
            )

    def _routing_key(self, team: str) -> str:
        key = self.routing_keys.get(team)
        if not key:
            raise NotifyError(
                f"notifier {self.name}: team {team} has no pager routing key (set the team's "
                "contacts.pager_key in the policy and that environment variable)",
                retryable=False,
            )
        return key


def pagerduty_event(message: Message, routing_key: str) -> dict[str, Any]:
    """The Events v2 body for a page message."""
    fields = message.fields
    action = fields.get("event_action")
    if action not in EVENT_ACTIONS:
        raise NotifyError(
            f"page {message.key}: event_action {action!r} is not one of {', '.join(EVENT_ACTIONS)}",
            retryable=False,
        )
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": message.key,
    }
    if action == "resolve":
        return event
    severity = fields.get("severity", "critical")
    if severity not in SEVERITIES:
        raise NotifyError(
            f"page {message.key}: severity {severity!r} is not one of {', '.join(SEVERITIES)}",
            retryable=False,
        )
    summary = message.subject or message.text
    event["payload"] = {
        "summary": summary if len(summary) <= SUMMARY_LIMIT else summary[: SUMMARY_LIMIT - 1] + "…",
        "source": str(fields.get("source") or "fleetpatch"),
        "severity": severity,
        "component": str(fields.get("component", "")),
        "group": str(fields.get("group", "")),
        "custom_details": dict(fields.get("custom_details", {})),
    }
    event["client"] = "fleetpatch"
    return event
