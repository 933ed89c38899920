"""E-mail over SMTP (smtplib): one plain-text message per team, with a stable `Message-ID`.

The `Message-ID` is derived from the message key, so a mail system that sees the same
announcement twice can tell. STARTTLS and login are used when configured; the password comes
from the environment through the registry, never from the policy file.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from fleetpatch.notify.base import Message, NotifyError

MAX_MAIL_ITEMS = 1000


@dataclass(frozen=True, slots=True)
class SmtpNotifier:
    name: str
    host: str
    port: int
    sender: str
    timeout_seconds: float
    starttls: bool = False
    username: str = ""
    password: str = ""

    def accepts(self, message: Message) -> bool:
        return bool(message.email)

    def send(self, message: Message) -> None:
        if not message.email:
            raise NotifyError(f"notifier {self.name}: team {message.team} has no e-mail address")
        mail = build_email(message, self.sender)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            raise NotifyError(
                f"notifier {self.name} ({self.host}:{self.port}) to {message.email}: {exc}"
            ) from exc


def build_email(message: Message, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.email
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(usegmt=True)
    digest = hashlib.sha256(f"{message.key}\0{message.team}".encode()).hexdigest()[:32]
    mail["Message-ID"] = f"<{digest}@fleetpatch>"
    mail["X-Fleetpatch-Key"] = message.key
    mail.set_content(mail_text(message))
    return mail


def mail_text(message: Message) -> str:
    """The text, then the items one a line (at most `MAX_MAIL_ITEMS`, then how many more)."""
    if not message.items:
        return message.text
    shown = list(message.items[:MAX_MAIL_ITEMS])
    if len(message.items) > MAX_MAIL_ITEMS:
        shown.append(f"… and {len(message.items) - MAX_MAIL_ITEMS} more")
    return "\n".join([message.text, "", *shown])
