"""The `Notifier` protocol and the `Message` every backend sends.

A message goes to one team (`team`, its chat channel and e-mail address). `key` identifies it
for good: webhooks get it as an `Idempotency-Key` header, e-mails derive their `Message-ID` from
it, so a receiver can drop a copy. `fields` are JSON-able details for machine readers.

A backend either delivers the message or raises `NotifyError`; it never retries on its own (the
caller records the outcome and decides), and it has no hidden defaults: timeouts are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fleetpatch.errors import FleetpatchError


class NotifyError(FleetpatchError):
    """A message could not be delivered; `str()` says to whom, through what and why."""


@dataclass(frozen=True, slots=True)
class Message:
    key: str
    subject: str
    text: str
    team: str
    chat: str = ""
    email: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)


class Notifier(Protocol):
    """Delivers messages through one channel."""

    @property
    def name(self) -> str: ...

    def accepts(self, message: Message) -> bool:
        """Whether this channel can reach the message's team (an e-mail needs an address)."""
        ...

    def send(self, message: Message) -> None:
        """Deliver the message or raise `NotifyError`."""
        ...
