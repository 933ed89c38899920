"""Slack incoming webhook: Block Kit sections plus a plain `text` fallback, in Slack's mrkdwn.

An incoming webhook posts to the channel it was created for; the team's channel is named in the
text (and sent as `channel`, which older webhooks honour), so one webhook can serve every team.
Slack answers `ok` on success and a short error word otherwise.

Blocks: one section with the subject, the text in sections, then the message's `items` (hosts)
packed into sections. Slack rejects a section whose text is over 3,000 characters and a message
of more than 50 blocks, so every section is cut to `SECTION_LIMIT` and a long item list ends with
"… and N more" instead of growing the message. `text` is the fallback notifications show.

HTTP 429 carries `Retry-After` (seconds): the notifier waits that long and tries again, but it
waits at most `retry_after_cap` seconds in all and tries at most `max_rate_limited` times more;
past either bound it raises a retryable `NotifyError` (the caller records it, a later attempt may
pass). It never sleeps without a bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fleetpatch.notify.base import Message, NotifyError
from fleetpatch.notify.transport import post_json

SECTION_LIMIT = 3000
# Slack allows 50 blocks; the subject takes one, the text and the items share the rest.
MAX_TEXT_SECTIONS = 10
MAX_ITEM_SECTIONS = 10
# A 429 without a usable Retry-After is retried after this many seconds (within the cap).
DEFAULT_RETRY_AFTER = 1.0


@dataclass(frozen=True, slots=True)
class SlackNotifier:
    name: str
    url: str
    timeout_seconds: float
    retry_after_cap: float = 30.0
    max_rate_limited: int = 3
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def accepts(self, message: Message) -> bool:
        return True

    def send(self, message: Message) -> None:
        answer = self._post(slack_payload(message))
        if answer.strip() not in (b"ok", b""):
            raise NotifyError(
                f"notifier {self.name}: Slack answered {answer[:100]!r}", retryable=False
            )

    def _post(self, payload: dict[str, Any]) -> bytes:
        waited = 0.0
        for tries_left in range(self.max_rate_limited, -1, -1):
            try:
                return post_json(
                    self.name, self.url, payload, timeout=self.timeout_seconds, headers={}
                )
            except NotifyError as exc:
                if exc.status != 429:
                    raise
                wait = DEFAULT_RETRY_AFTER if exc.retry_after is None else exc.retry_after
                if tries_left == 0:
                    raise NotifyError(
                        f"{exc}; still rate limited after {self.max_rate_limited} wait(s) "
                        f"({waited:g}s)",
                        status=429,
                        retry_after=wait,
                    ) from exc
                if waited + wait > self.retry_after_cap:
                    raise NotifyError(
                        f"{exc}; Slack asked to wait {wait:g}s, more than the "
                        f"{self.retry_after_cap:g}s cap (waited {waited:g}s)",
                        status=429,
                        retry_after=wait,
                    ) from exc
                self.sleep(wait)
                waited += wait
        raise AssertionError("unreachable: the last try returns or raises")


def slack_payload(message: Message) -> dict[str, Any]:
    mention = f"{message.chat} " if message.chat else ""
    subject = f"{mention}*{escape(message.subject)}*"
    payload: dict[str, Any] = {
        "text": cut(f"{subject}\n{escape(message.text)}", SECTION_LIMIT),
        "blocks": [
            section(subject),
            *(section(t) for t in pack(escape(message.text).splitlines(), MAX_TEXT_SECTIONS)),
            *(section(t) for t in pack([escape(i) for i in message.items], MAX_ITEM_SECTIONS)),
        ],
    }
    if message.chat.startswith("#"):
        payload["channel"] = message.chat
    return payload


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_LIMIT)}}


def pack(lines: Sequence[str], max_sections: int) -> list[str]:
    """Lines joined into at most `max_sections` texts of at most `SECTION_LIMIT` characters;
    the lines that do not fit are counted in a last line "… and N more"."""
    texts: list[str] = []
    current: list[str] = []
    size = 0
    for index, raw in enumerate(lines):
        line = cut(raw, SECTION_LIMIT)
        if current and size + 1 + len(line) > SECTION_LIMIT:
            if len(texts) + 1 == max_sections:
                return [*texts, _with_rest(current, len(lines) - index)]
            texts.append("\n".join(current))
            current, size = [], 0
        size += len(line) + (1 if current else 0)
        current.append(line)
    if current:
        texts.append("\n".join(current))
    return texts


def _with_rest(lines: list[str], rest: int) -> str:
    """The lines of a last section, shortened until "… and N more" fits after them."""
    kept = list(lines)
    for _ in range(len(lines) + 1):
        more = f"… and {rest} more"
        text = "\n".join([*kept, more])
        if len(text) <= SECTION_LIMIT or not kept:
            return cut(text, SECTION_LIMIT)
        kept.pop()
        rest += 1
    return cut(f"… and {rest} more", SECTION_LIMIT)


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Slack's three control characters, as its docs ask."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
