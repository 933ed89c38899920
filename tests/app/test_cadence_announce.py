"""Announcements go out once and only once: across runs, restarts, failures and crashes.

The example policy's bare-metal bucket announces its monthly window (1st, 09:00 Berlin) 14 days
ahead to its owner (colo-ops) and the teams depending on it (platform, dba).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleetpatch.app.cadence import send_due_announcements, upcoming_windows
from fleetpatch.notify import RecordingNotifier
from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import parse_policy
from fleetpatch.store import Store, open_store
from fleetpatch.store.announcements import AnnouncementRepository

POLICY = parse_policy(EXAMPLE_POLICY)
WINDOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 Europe/Berlin
DUE = WINDOW - timedelta(days=14)
KEY = "bare-metal/20261201T080000Z"


def notifiers() -> tuple[RecordingNotifier, RecordingNotifier]:
    return RecordingNotifier("chat"), RecordingNotifier("mail", needs_email=True)


def test_nothing_is_due_before_the_announce_days(store: Store) -> None:
    chat, mail = notifiers()
    assert send_due_announcements(store, POLICY, [chat, mail], DUE - timedelta(minutes=1)) == []
    assert chat.sent == mail.sent == []


def test_each_team_gets_each_announcement_once_per_notifier(store: Store) -> None:
    chat, mail = notifiers()
    results = send_due_announcements(store, POLICY, [chat, mail], DUE)
    assert [(r.key, r.team, r.notifier, r.outcome) for r in results] == [
        (KEY, team, notifier, "sent")
        for team in ("colo-ops", "platform", "dba")
        for notifier in ("chat", "mail")
    ]
    assert [m.email for m in mail.sent] == [
        "colo-ops@example.com",
        "platform@example.com",
        "dba@example.com",
    ]
    message = chat.sent[0]
    assert message.subject == "bare-metal: patch window Tue 2026-12-01 09:00-17:00 Europe/Berlin"
    assert "2026-12-01T08:00:00Z to 2026-12-01T16:00:00Z" in message.text
    assert message.fields["teams"] == ["colo-ops", "platform", "dba"]
    # the day after, and the day before the window: nothing new
    for later in (DUE + timedelta(days=1), WINDOW - timedelta(minutes=1)):
        again = send_due_announcements(store, POLICY, [chat, mail], later)
        assert {r.outcome for r in again} == {"already"}
    assert len(chat.sent) == len(mail.sent) == 3


def test_a_restart_does_not_resend(store_url: str) -> None:
    first = open_store(store_url)
    try:
        chat, mail = notifiers()
        send_due_announcements(first, POLICY, [chat, mail], DUE)
    finally:
        first.close()
    second = open_store(store_url)
    try:
        chat2, mail2 = notifiers()
        results = send_due_announcements(second, POLICY, [chat2, mail2], DUE + timedelta(hours=1))
        rows = upcoming_windows(second, POLICY, DUE, days=15, bucket="bare-metal")
    finally:
        second.close()
    assert chat2.sent == mail2.sent == []
    assert {r.outcome for r in results} == {"already"}
    assert [(r.start, r.announced) for r in rows] == [(WINDOW, True)]


def test_a_failed_delivery_is_retried_and_then_sent_once(store: Store) -> None:
    chat, mail = notifiers()
    chat.fail_next = 1
    first = send_due_announcements(store, POLICY, [chat, mail], DUE)
    failed = [r for r in first if r.outcome == "failed"]
    assert [(r.team, r.notifier) for r in failed] == [("colo-ops", "chat")]
    assert "told to fail" in failed[0].error
    second = send_due_announcements(store, POLICY, [chat, mail], DUE + timedelta(hours=1))
    assert [(r.team, r.notifier) for r in second if r.outcome == "sent"] == [("colo-ops", "chat")]
    assert [m.team for m in chat.sent] == ["platform", "dba", "colo-ops"]
    with store.session() as session:
        row = AnnouncementRepository(session).get(KEY, "colo-ops", "chat")
    assert row is not None
    assert (row.status, row.attempts, row.error) == ("sent", 2, "")


def test_a_delivery_claimed_by_a_sender_that_died_is_not_sent_again(store: Store) -> None:
    with store.session(write=True) as session:
        assert AnnouncementRepository(session).claim(
            KEY, "dba", "chat", bucket="bare-metal", window_start=WINDOW, now=DUE
        )
    chat, mail = notifiers()
    results = send_due_announcements(store, POLICY, [chat, mail], DUE)
    outcome = {(r.team, r.notifier): r.outcome for r in results}
    assert outcome[("dba", "chat")] == "unsettled"
    assert [m.team for m in chat.sent] == ["colo-ops", "platform"]


def test_a_second_claim_of_the_same_delivery_is_refused(store: Store) -> None:
    for expected in (True, False):
        with store.session(write=True) as session:
            claimed = AnnouncementRepository(session).claim(
                KEY, "dba", "mail", bucket="bare-metal", window_start=WINDOW, now=DUE
            )
        assert claimed is expected


def test_a_dry_run_sends_and_records_nothing(store: Store) -> None:
    chat, mail = notifiers()
    results = send_due_announcements(store, POLICY, [chat, mail], DUE, dry_run=True)
    assert {r.outcome for r in results} == {"would-send"}
    assert chat.sent == mail.sent == []
    with store.session() as session:
        assert AnnouncementRepository(session).deliveries() == []
    send_due_announcements(store, POLICY, [chat, mail], DUE)
    again = send_due_announcements(store, POLICY, [chat, mail], DUE, dry_run=True)
    assert {r.outcome for r in again} == {"already"}


def test_buckets_without_announce_days_announce_nothing(store: Store) -> None:
    chat, _ = notifiers()
    results = send_due_announcements(store, POLICY, [chat], datetime(2026, 11, 27, tzinfo=UTC))
    assert {r.key.split("/")[0] for r in results} == {"bare-metal"}
