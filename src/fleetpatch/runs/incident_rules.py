"""Incident rules (pure): status slots, the escalation point, and one host's state.

- **Slots**: slot *n* (n >= 1) starts at `opened_at + n * every`; the current slot at `now` is
  the last one started (0 before the first). A slot is posted once; a slot no worker reached
  while it was current is *missed* and shown as such, never posted late with stale figures.
- **Escalation** at 75 % of the way from opening to the deadline, when hosts remain.
- **Host state**, from evidence at evaluation time (never latched): `gone` (no current report),
  `affected_no_fix`, `affected_fix_available`, `waiting_for_image` (a replace bucket with no
  image carrying the fix yet), `pending_reboot` (fixed on disk, old code running: not patched),
  `verifying` (its report shows it patched, the evaluation has not recorded it yet), `patched`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

ESCALATE_AT = 0.75
HOST_STATES = (
    "affected_no_fix",
    "affected_fix_available",
    "waiting_for_image",
    "pending_reboot",
    "verifying",
    "patched",
    "gone",
)
DONE_STATES = frozenset({"patched", "gone"})


def current_slot(opened_at: datetime, every_seconds: int, now: datetime) -> int:
    if every_seconds <= 0 or now < opened_at:
        return 0
    return int((now - opened_at).total_seconds() // every_seconds)


def slot_start(opened_at: datetime, every_seconds: int, slot: int) -> datetime:
    return opened_at + timedelta(seconds=every_seconds * slot)


def escalation_at(opened_at: datetime, deadline_at: datetime) -> datetime:
    return opened_at + (deadline_at - opened_at) * ESCALATE_AT


def host_state(
    *,
    reported: bool,
    affected: bool,
    fix_known: bool,
    replace_without_image: bool,
    pending_reboot: bool,
    pair_open: bool,
) -> str:
    if not reported:
        return "gone"
    if affected:
        if not fix_known:
            return "affected_no_fix"
        return "waiting_for_image" if replace_without_image else "affected_fix_available"
    if pending_reboot:
        return "pending_reboot"
    return "verifying" if pair_open else "patched"
