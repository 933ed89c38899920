"""Notifiers: how fleetpatch tells people (window announcements; later runs and incidents).

One `Notifier` protocol (`base.py`) with a backend per module: `webhook.py` (generic JSON POST),
`slack.py` (Slack incoming webhook), `smtp.py` (e-mail via smtplib) and `recording.py` (the fake
that tests and dry runs use). `registry.py` builds them from the policy's `notifiers` section,
resolving secrets from the environment the entry point hands over.
"""

from fleetpatch.notify.base import Message, Notifier, NotifyError
from fleetpatch.notify.recording import RecordingNotifier
from fleetpatch.notify.registry import build_notifiers, build_pagers

__all__ = [
    "Message",
    "Notifier",
    "NotifyError",
    "RecordingNotifier",
    "build_notifiers",
    "build_pagers",
]
