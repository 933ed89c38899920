"""The `Notifier` protocol and the `Message` every backend sends.

A message goes to one team (`team`, its chat channel and e-mail address). `key` identifies it
for good: webhooks get it as an `Idempotency-Key` header, e-mails derive their `Message-ID` from
it, so a receiver can drop a copy. `fields` are JSON-able details for machine readers; `items`
are the lines a message is about (hosts and their states), which a backend may shorten.

A backend either delivers the message or raises `NotifyError`, whose `retryable` says whether
sending again may help (a timeout, HTTP 429 or 5xx) or not (HTTP 400: the payload is wrong). A
backend retries on its own only where the receiver asks it to wait (Slack's `Retry-After`), and
then within a cap it was given; it has no hidden defaults: timeouts are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fleetpatch.errors import FleetpatchError


class NotifyError(FleetpatchError):
    """A message could not be delivered; `str()` says to whom, through what and why.

    `retryable`: whether the same message may succeed later; `status` is the HTTP status when
    there was one, and `retry_after` the seconds the receiver asked to wait (HTTP 429).
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Message:
    key: str
    subject: str
    text: str
    team: str
    chat: str = ""
    email: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    items: tuple[str, ...] = ()


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
