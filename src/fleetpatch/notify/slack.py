"""Slack incoming webhook: `{"text": ...}` in Slack's mrkdwn, addressed to the team's channel.

An incoming webhook posts to the channel it was created for; the team's channel is named in the
text (and sent as `channel`, which older webhooks honour), so one webhook can serve every team.
Slack answers `ok` on success and a short error word otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetpatch.notify.base import Message, NotifyError
from fleetpatch.notify.transport import post_json


@dataclass(frozen=True, slots=True)
class SlackNotifier:
    name: str
    url: str
    timeout_seconds: float

    def accepts(self, message: Message) -> bool:
        return True

    def send(self, message: Message) -> None:
        mention = f"{message.chat} " if message.chat else ""
        payload: dict[str, str] = {
            "text": f"{mention}*{_escape(message.subject)}*\n{_escape(message.text)}"
        }
        if message.chat.startswith("#"):
            payload["channel"] = message.chat
        answer = post_json(self.name, self.url, payload, timeout=self.timeout_seconds, headers={})
        if answer.strip() not in (b"ok", b""):
            raise NotifyError(f"notifier {self.name}: Slack answered {answer[:100]!r}")


def _escape(text: str) -> str:
    """Slack's three control characters, as its docs ask."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
