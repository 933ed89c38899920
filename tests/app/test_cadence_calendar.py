"""The iCalendar feed: RFC 5545 that an independent parser (vobject, the one Radicale and khal
use) reads back, with UIDs that stay the same from one day's feed to the next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import vobject
from icalendar import Calendar

from fleetpatch.app.cadence import calendar_feed, next_windows
from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import parse_policy

POLICY = parse_policy(EXAMPLE_POLICY)
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def events(feed: bytes) -> list[vobject.base.Component]:
    calendar = vobject.readOne(feed.decode())
    return list(calendar.vevent_list)


def test_the_feed_parses_and_lists_every_window_and_the_freeze() -> None:
    feed = calendar_feed(POLICY, NOW, days=45)
    assert feed.startswith(b"BEGIN:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in feed.split(b"\r\n"))
    found = events(feed)
    summaries = [e.summary.value for e in found]
    assert summaries.count("Patch window: bare-metal (colo-ops)") == 1  # 1 Jan is frozen
    assert summaries.count("Patch window: databases (dba)") == 4  # 1, 8, 15 Dec; the 22nd frozen
    assert "Change freeze (fleet): year-end change freeze" in summaries
    metal = next(e for e in found if e.summary.value.startswith("Patch window: bare-metal"))
    assert metal.dtstart.value == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert metal.dtend.value == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert metal.uid.value == "bare-metal-20261201T080000Z@fleetpatch"
    assert metal.url.value == "https://wiki.example.com/runbooks/bare-metal"
    assert "Teams depending on it: platform, dba." in metal.description.value
    freeze = next(e for e in found if e.summary.value.startswith("Change freeze"))
    assert freeze.dtstart.value == datetime(2026, 12, 20, 23, 0, tzinfo=UTC)


def test_no_window_event_overlaps_the_freeze() -> None:
    found = events(calendar_feed(POLICY, NOW, days=60))
    [freeze] = [e for e in found if e.summary.value.startswith("Change freeze")]
    for event in found:
        if event is not freeze:
            assert (
                event.dtend.value <= freeze.dtstart.value
                or event.dtstart.value >= freeze.dtend.value
            )


def test_uids_are_stable_from_one_feed_to_the_next() -> None:
    today = {e.uid.value: e.dtstart.value for e in events(calendar_feed(POLICY, NOW, days=30))}
    later = NOW + timedelta(days=1)
    tomorrow = {e.uid.value: e.dtstart.value for e in events(calendar_feed(POLICY, later, days=30))}
    shared = today.keys() & tomorrow.keys()
    assert len(shared) >= len(today) - 2  # only the openings that passed drop out
    assert all(today[uid] == tomorrow[uid] for uid in shared)
    assert len(set(today)) == len(today)


def test_one_bucket_and_the_same_bytes_for_the_same_inputs() -> None:
    feed = calendar_feed(POLICY, NOW, days=30, bucket="databases")
    assert feed == calendar_feed(POLICY, NOW, days=30, bucket="databases")
    parsed = Calendar.from_ical(feed)
    assert str(parsed["X-WR-CALNAME"]) == "fleetpatch: databases"
    # the fleet-wide freeze applies to the bucket too, so its calendar shows it
    assert {str(e["SUMMARY"]) for e in parsed.walk("VEVENT")} == {
        "Patch window: databases (dba)",
        "Change freeze (fleet): year-end change freeze",
    }


def test_each_bucket_has_a_next_window_for_its_hosts_status() -> None:
    found = next_windows(POLICY, datetime(2026, 12, 1, 3, 30, tzinfo=UTC))
    databases = found["databases"]
    assert databases is not None
    assert databases.start == datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # open now: it comes first
    metal = found["bare-metal"]
    assert metal is not None
    assert metal.start == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    after_christmas = next_windows(POLICY, datetime(2026, 12, 24, tzinfo=UTC))["k8s-nodes"]
    assert after_christmas is not None
    # the freeze ends on 4 January at 00:00 Berlin; that day's 03:00 UTC window comes first
    assert after_christmas.start == datetime(2027, 1, 4, 3, 0, tzinfo=UTC)
