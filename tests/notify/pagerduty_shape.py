"""What a PagerDuty Events API v2 request must look like, checked field by field.

Written from PagerDuty's published Events v2 reference (required fields, their types and enum
values), so the tests check the shape a real endpoint would accept, not what our code happens
to send.
"""

from __future__ import annotations

from typing import Any

SEVERITIES = {"critical", "error", "warning", "info"}


def check_event(event: Any) -> list[str]:
    """The problems of one Events v2 body (empty when it is valid)."""
    problems: list[str] = []
    if not isinstance(event, dict):
        return ["the body is not a JSON object"]
    for name in ("routing_key", "event_action", "dedup_key"):
        if not isinstance(event.get(name), str) or not event[name]:
            problems.append(f"{name} must be a non-empty string")
    if len(event.get("dedup_key", "")) > 255:
        problems.append("dedup_key is longer than 255 characters")
    action = event.get("event_action")
    if action not in ("trigger", "acknowledge", "resolve"):
        problems.append(f"event_action {action!r} is not trigger, acknowledge or resolve")
    if action != "trigger":
        return problems
    payload = event.get("payload")
    if not isinstance(payload, dict):
        return [*problems, "a trigger needs a payload object"]
    for name in ("summary", "source", "severity"):
        if not isinstance(payload.get(name), str) or not payload[name]:
            problems.append(f"payload.{name} must be a non-empty string")
    if len(payload.get("summary", "")) > 1024:
        problems.append("payload.summary is longer than 1024 characters")
    if payload.get("severity") not in SEVERITIES:
        problems.append(f"payload.severity {payload.get('severity')!r} is not an allowed value")
    for name in ("component", "group", "class"):
        if name in payload and not isinstance(payload[name], str):
            problems.append(f"payload.{name} must be a string")
    if "custom_details" in payload and not isinstance(payload["custom_details"], dict):
        problems.append("payload.custom_details must be an object")
    return problems
