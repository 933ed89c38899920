"""Generic webhook: the message as one JSON object, POSTed with an `Idempotency-Key` header.

Body: `{"key", "subject", "text", "team", "chat", "email", "fields": {...}, "items": [...]}`.
A receiver that sees the same `Idempotency-Key` twice may drop the copy.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetpatch.notify.base import Message
from fleetpatch.notify.transport import post_json


@dataclass(frozen=True, slots=True)
class WebhookNotifier:
    name: str
    url: str
    timeout_seconds: float

    def accepts(self, message: Message) -> bool:
        return True

    def send(self, message: Message) -> None:
        payload = {
            "key": message.key,
            "subject": message.subject,
            "text": message.text,
            "team": message.team,
            "chat": message.chat,
            "email": message.email,
            "fields": dict(message.fields),
            "items": list(message.items),
        }
        headers = {"Idempotency-Key": message.key}
        post_json(self.name, self.url, payload, timeout=self.timeout_seconds, headers=headers)
