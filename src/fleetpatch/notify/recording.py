"""The fake notifier: keeps every message it is given; can be told to fail.

Used by tests, by `fleetpatch announce --dry-run` (to show what would be sent) and by the
simulator. `fail_next` makes the next N sends raise `NotifyError`, to test retries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fleetpatch.notify.base import Message, NotifyError


@dataclass(slots=True)
class RecordingNotifier:
    name: str = "recording"
    needs_email: bool = False
    fail_next: int = 0
    sent: list[Message] = field(default_factory=list)

    def accepts(self, message: Message) -> bool:
        return bool(message.email) or not self.needs_email

    def send(self, message: Message) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise NotifyError(f"notifier {self.name}: told to fail")
        self.sent.append(message)
