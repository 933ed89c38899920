"""Cron parsing: the sets each field allows, and a precise message for each mistake."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fleetpatch.policy.cron import CronError, parse_cron


def test_daily_at_three() -> None:
    spec = parse_cron("0 3 * * *")
    assert (spec.minutes, spec.hours) == (frozenset({0}), frozenset({3}))
    assert spec.days_of_month == frozenset(range(1, 32))
    assert spec.months == frozenset(range(1, 13))
    assert spec.days_of_week == frozenset(range(7))
    assert not spec.dom_and_dow_restricted


def test_ranges_steps_lists_and_names() -> None:
    spec = parse_cron("*/20 1-7/3 1,15 JAN-mar,dec mon-fri")
    assert spec.minutes == {0, 20, 40}
    assert spec.hours == {1, 4, 7}
    assert spec.days_of_month == {1, 15}
    assert spec.months == {1, 2, 3, 12}
    assert spec.days_of_week == {1, 2, 3, 4, 5}
    assert spec.dom_and_dow_restricted


def test_start_with_step_runs_to_the_end_and_seven_is_sunday() -> None:
    spec = parse_cron("50/5 0 * * 7")
    assert spec.minutes == {50, 55}
    assert spec.days_of_week == {0}


def test_star_step_does_not_restrict_day_of_month() -> None:
    assert not parse_cron("0 0 */2 * mon").dom_and_dow_restricted


def test_nth_weekday_and_macros() -> None:
    spec = parse_cron("0 9 * * sat#1,sun")
    assert spec.nth_weekdays == {(6, 1)}
    assert spec.days_of_week == {0}
    weekly, explicit = parse_cron("@weekly"), parse_cron("0 0 * * 0")
    assert weekly.expression == "@weekly"
    assert replace(weekly, expression="") == replace(explicit, expression="")
    assert parse_cron("  0   3 * * * ").expression == "0 3 * * *"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("61 3 * * *", "minute 61 out of range"),
        ("0 24 * * *", "hour 24 out of range"),
        ("0 0 0 * *", "day-of-month 0 out of range"),
        ("0 0 * 13 *", "month 13 out of range"),
        ("0 0 * * 8", "day-of-week 8 out of range"),
        ("0 0 * * funday", "day-of-week 'funday' is not a number or a name (sun..sat)"),
        ("x 0 * * *", "minute 'x' is not a number"),
        ("0 5-2 * * *", "hour range '5-2' runs backwards"),
        ("*/0 * * * *", "minute step '0' must be a whole number >= 1"),
        ("0 0 1,,2 * *", "day-of-month has an empty list item in '1,,2'"),
        ("0 0 * * 1#6", "day-of-week '1#6': occurrence after '#' must be 1-5"),
        ("0 3 * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"),
        ("0 3 * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 6"),
        ("", "expected 5 fields (minute hour day-of-month month day-of-week), got 0"),
        (
            "@reboot",
            "unknown macro '@reboot' (known: @hourly, @daily, @midnight, @weekly, "
            "@monthly, @yearly, @annually)",
        ),
    ],
)
def test_errors_name_the_field(expression: str, message: str) -> None:
    with pytest.raises(CronError) as caught:
        parse_cron(expression)
    assert str(caught.value) == message
