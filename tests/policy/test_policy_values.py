"""Durations, concurrency and the other small value syntaxes of fleet.yaml."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetpatch.policy.records import Concurrency
from fleetpatch.policy.values import (
    format_concurrency,
    format_duration,
    parse_concurrency,
    parse_duration,
    parse_window_minutes,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("2h", 7200), ("1d", 86400), ("1w", 604800), ("1h30m", 5400)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "5", "5 m", "m5", "1.5h", "0m", True, None, [1]])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(bad)


def test_a_window_may_be_plain_minutes_but_not_seconds() -> None:
    assert parse_window_minutes(90) == 90
    assert parse_window_minutes("2h") == 120
    with pytest.raises(ValueError, match="whole minutes"):
        parse_window_minutes("90s")
    with pytest.raises(ValueError, match="at most 31 days"):
        parse_window_minutes("32d")


@given(st.integers(min_value=1, max_value=10**7))
def test_format_duration_parses_back(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize(
    ("value", "expected", "shown", "limit_of_40"),
    [
        (3, Concurrency(count=3), 3, 3),
        ("10%", Concurrency(percent=10.0), "10%", 4),
        (" 2.5 % ", Concurrency(percent=2.5), "2.5%", 1),
        ("100%", Concurrency(percent=100.0), "100%", 40),
    ],
)
def test_concurrency(value: object, expected: Concurrency, shown: object, limit_of_40: int) -> None:
    parsed = parse_concurrency(value)
    assert parsed == expected
    assert format_concurrency(parsed) == shown
    assert parsed.limit(40) == limit_of_40


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "max_concurrency 0 must be at least 1"),
        ("0%", "percentage '0%' out of range"),
        ("101%", "percentage '101%' out of range"),
        ("ten", "expected a count"),
        (True, "expected a count"),
        (1.5, "expected a count"),
    ],
)
def test_bad_concurrency(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_concurrency(value)
