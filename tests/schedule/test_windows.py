"""Window maths as tables: DST, midnight wrap, month ends, leap days, cron's day rules, RRULEs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetpatch.errors import InputError
from fleetpatch.policy.records import Blackout, Window
from fleetpatch.schedule.windows import Opening, is_open, next_openings, openings_between


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def starts(window: Window, after: str, n: int) -> list[str]:
    return [o.start.strftime("%Y-%m-%d %H:%M") for o in next_openings(window, utc(after), n)]


# (cron, duration minutes, zone, after (UTC), expected starts (UTC))
CRON_TABLE = [
    # Europe/Berlin springs forward 2026-03-29 02:00 -> 03:00: 02:30 does not exist that night
    # and opens at the first minute after the gap (03:00 CEST = 01:00 UTC).
    (
        "30 2 * * *",
        60,
        "Europe/Berlin",
        "2026-03-28 00:00",
        ["2026-03-28 01:30", "2026-03-29 01:00", "2026-03-30 00:30"],
    ),
    # Falls back 2026-10-25 03:00 -> 02:00: 02:30 happens twice, the window opens once (CEST).
    (
        "30 2 * * *",
        60,
        "Europe/Berlin",
        "2026-10-24 00:00",
        ["2026-10-24 00:30", "2026-10-25 00:30", "2026-10-26 01:30"],
    ),
    # A time clear of the change keeps its wall-clock hour; the UTC hour moves.
    (
        "0 4 * * tue",
        120,
        "Europe/Paris",
        "2026-03-20 00:00",
        ["2026-03-24 03:00", "2026-03-31 02:00"],
    ),
    # America/New_York: 2026-03-08 springs forward at 02:00; 02:15 -> 03:00 EDT.
    (
        "15 2 * * *",
        30,
        "America/New_York",
        "2026-03-07 00:00",
        ["2026-03-07 07:15", "2026-03-08 07:00", "2026-03-09 06:15"],
    ),
    # Month ends: the 31st only in months that have one.
    (
        "0 22 31 * *",
        180,
        "UTC",
        "2026-01-02 00:00",
        ["2026-01-31 22:00", "2026-03-31 22:00", "2026-05-31 22:00"],
    ),
    # Leap days: the 29th of February every four years (2100 is not a leap year).
    (
        "0 1 29 2 *",
        60,
        "UTC",
        "2026-06-01 00:00",
        ["2028-02-29 01:00", "2032-02-29 01:00"],
    ),
    ("0 1 29 2 *", 60, "UTC", "2096-03-01 00:00", ["2104-02-29 01:00"]),
    # First Saturday of the month (`#N`), in a zone east of UTC (opens the day before in UTC).
    (
        "0 0 * * sat#1",
        240,
        "Asia/Tokyo",
        "2026-01-01 00:00",
        ["2026-01-02 15:00", "2026-02-06 15:00", "2026-03-06 15:00"],
    ),
    # Both day fields restricted: cron's OR rule (the 13th, or any Friday).
    (
        "0 12 13 * fri",
        60,
        "UTC",
        "2026-02-01 00:00",
        ["2026-02-06 12:00", "2026-02-13 12:00", "2026-02-20 12:00", "2026-02-27 12:00"],
    ),
    # A stepped day-of-month (`*/10`) is not "restricted": AND with the weekday.
    (
        "0 0 */10 * mon",
        60,
        "UTC",
        "2026-01-01 00:00",
        ["2026-05-11 00:00", "2026-06-01 00:00", "2026-08-31 00:00"],
    ),
    # Lord Howe Island moves by 30 minutes: 02:15 does not exist on 2026-10-04.
    (
        "15 2 * * *",
        30,
        "Australia/Lord_Howe",
        "2026-10-02 00:00",
        ["2026-10-02 15:45", "2026-10-03 15:30", "2026-10-04 15:15"],
    ),
]


@pytest.mark.parametrize(("cron", "minutes", "zone", "after", "expected"), CRON_TABLE)
def test_cron_window_starts(
    cron: str, minutes: int, zone: str, after: str, expected: list[str]
) -> None:
    assert starts(Window(cron, minutes, zone), after, len(expected)) == expected


def test_duration_is_elapsed_time_across_a_dst_change() -> None:
    """01:00-05:00 Berlin on the spring-forward night lasts 4 real hours (to 06:00 CEST)."""
    [opening] = next_openings(Window("0 1 29 3 *", 240, "Europe/Berlin"), utc("2026-03-01"), 1)
    assert (opening.start, opening.end) == (utc("2026-03-29 00:00"), utc("2026-03-29 04:00"))


# Midnight wrap: a 22:00 window of 4 hours is open at 01:00 the next day.
WRAP_TABLE = [
    ("2026-05-05 21:59", False),
    ("2026-05-05 22:00", True),
    ("2026-05-05 23:59", True),
    ("2026-05-06 00:00", True),
    ("2026-05-06 01:59", True),
    ("2026-05-06 02:00", False),
    # the Monday window wraps into Tuesday; none opens on Tuesday itself
    ("2026-05-06 22:30", False),
]


@pytest.mark.parametrize(("at", "expected"), WRAP_TABLE)
def test_window_wrapping_midnight(at: str, expected: bool) -> None:
    window = Window("0 22 * * tue", 240, "UTC")
    assert is_open(window, utc(at)) is expected


def test_the_open_window_comes_first() -> None:
    window = Window("0 22 * * *", 240, "UTC")
    [current, following] = next_openings(window, utc("2026-05-06 01:00"), 2)
    assert current == Opening(utc("2026-05-05 22:00"), utc("2026-05-06 02:00"))
    assert following.start == utc("2026-05-06 22:00")


def test_month_end_wrap_into_the_next_month_and_year() -> None:
    window = Window("0 23 31 12 *", 120, "UTC")
    assert is_open(window, utc("2027-01-01 00:30"))
    assert not is_open(window, utc("2027-01-01 01:00"))


RRULE_TABLE = [
    # first Saturday of each month, 09:00 Berlin (DST moves the UTC hour)
    (
        "FREQ=MONTHLY;BYDAY=1SA",
        "2026-01-03T09:00",
        "Europe/Berlin",
        "2026-02-15 00:00",
        ["2026-03-07 08:00", "2026-04-04 07:00"],
    ),
    # every other week on Tuesday and Thursday, counted from the start
    (
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH",
        "2026-01-06T03:00",
        "UTC",
        "2026-01-07 00:00",
        ["2026-01-08 03:00", "2026-01-20 03:00", "2026-01-22 03:00"],
    ),
    # the last day of each month (BYMONTHDAY=-1), including February in a leap year
    (
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "2028-01-31T20:00",
        "UTC",
        "2028-02-01 00:00",
        ["2028-02-29 20:00", "2028-03-31 20:00"],
    ),
    # a rule with a COUNT runs out
    (
        "FREQ=DAILY;COUNT=2",
        "2026-01-01T00:00",
        "UTC",
        "2025-12-01 00:00",
        ["2026-01-01 00:00", "2026-01-02 00:00"],
    ),
]


@pytest.mark.parametrize(("rule", "first", "zone", "after", "expected"), RRULE_TABLE)
def test_rrule_window_starts(
    rule: str, first: str, zone: str, after: str, expected: list[str]
) -> None:
    window = Window("", 60, zone, rule, datetime.fromisoformat(first))
    assert starts(window, after, len(expected) + 1)[: len(expected)] == expected


def test_an_rrule_with_count_ends() -> None:
    window = Window("", 60, "UTC", "FREQ=DAILY;COUNT=2", datetime(2026, 1, 1))
    assert len(next_openings(window, utc("2025-12-01"), 5)) == 2


def test_rrule_start_in_a_dst_gap_opens_after_the_gap() -> None:
    window = Window("", 60, "Europe/Berlin", "FREQ=DAILY", datetime(2026, 3, 28, 2, 30))
    assert starts(window, "2026-03-28 00:00", 2) == ["2026-03-28 01:30", "2026-03-29 01:00"]


FREEZE = Blackout(utc("2026-12-20 00:00"), utc("2027-01-04 00:00"), "year-end freeze")
BLACKOUT_TABLE = [
    # a daily window: the freeze removes the openings inside it whole
    (
        Window("0 3 * * *", 60, "UTC"),
        "2026-12-19 00:00",
        [("2026-12-19 03:00", "2026-12-19 04:00"), ("2027-01-04 03:00", "2027-01-04 04:00")],
    ),
    # a window overlapping the freeze start is cut short, never extended into it
    (
        Window("0 20 19 12 *", 8 * 60, "UTC"),
        "2026-12-01 00:00",
        [("2026-12-19 20:00", "2026-12-20 00:00"), ("2027-12-19 20:00", "2027-12-20 04:00")],
    ),
    # one overlapping the freeze end starts when the freeze ends
    (
        Window("0 22 3 1 *", 4 * 60, "UTC"),
        "2026-12-01 00:00",
        [("2027-01-04 00:00", "2027-01-04 02:00"), ("2028-01-03 22:00", "2028-01-04 02:00")],
    ),
]


@pytest.mark.parametrize(("window", "after", "expected"), BLACKOUT_TABLE)
def test_blackouts_are_cut_out(window: Window, after: str, expected: list[tuple[str, str]]) -> None:
    found = next_openings(window, utc(after), len(expected), [FREEZE])
    assert found == [Opening(utc(a), utc(b)) for a, b in expected]


def test_a_blackout_inside_a_window_splits_it() -> None:
    window = Window("0 8 1 6 *", 8 * 60, "UTC")
    lunch = Blackout(utc("2026-06-01 12:00"), utc("2026-06-01 13:00"), "release")
    assert next_openings(window, utc("2026-05-01"), 2, [lunch]) == [
        Opening(utc("2026-06-01 08:00"), utc("2026-06-01 12:00")),
        Opening(utc("2026-06-01 13:00"), utc("2026-06-01 16:00")),
    ]
    assert not is_open(window, utc("2026-06-01 12:30"), [lunch])
    assert is_open(window, utc("2026-06-01 12:30"))


def test_several_windows_merge_in_time_order() -> None:
    windows = (Window("0 3 * * *", 60, "UTC"), Window("30 3 * * sun", 120, "UTC"))
    found = openings_between(windows, utc("2026-06-06 00:00"), utc("2026-06-08 00:00"))
    assert found == [
        Opening(utc("2026-06-06 03:00"), utc("2026-06-06 04:00")),
        Opening(utc("2026-06-07 03:00"), utc("2026-06-07 05:30")),
    ]


def test_overlapping_openings_of_one_window_merge() -> None:
    window = Window("0 * * * *", 90, "UTC")
    [opening, following] = next_openings(window, utc("2026-01-01 00:00"), 2)
    assert opening.start == utc("2025-12-31 23:00")
    # an always-open window comes in pieces of about a month that touch but never overlap
    assert timedelta(days=31) <= opening.duration < timedelta(days=31, hours=2)
    assert following.start == opening.end


def test_a_window_that_never_opens_returns_nothing() -> None:
    assert next_openings(Window("0 0 30 2 *", 60, "UTC"), utc("2026-01-01"), 1) == []


def test_naive_times_are_refused() -> None:
    with pytest.raises(InputError, match="naive"):
        next_openings(Window("0 3 * * *", 60, "UTC"), datetime(2026, 1, 1), 1)
