"""Properties of window maths over random windows, zones, times and blackouts (Hypothesis).

Every returned opening is open throughout (checked at its start, just before its end and at a
point inside); starts strictly increase and openings never overlap; no opening overlaps a
blackout; `is_open` agrees with the openings.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fleetpatch.policy.records import Blackout, Window
from fleetpatch.schedule.windows import MAX_OPENING, is_open, next_openings

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
EPSILON = timedelta(seconds=1)

crons = st.builds(
    lambda minute, hour, dom, dow: f"{minute} {hour} {dom} * {dow}",
    st.sampled_from(["0", "30", "15,45", "*/20"]),
    st.sampled_from(["2", "3", "1-3", "22", "*/6"]),
    st.sampled_from(["*", "1", "29", "31", "1-7"]),
    st.sampled_from(["*", "sun", "mon-fri", "sat#1", "0,3"]),
)
windows = st.builds(
    Window,
    crons,
    st.sampled_from([1, 30, 60, 120, 600, 1500]),
    st.sampled_from(ZONES),
)
times = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda t: t.replace(tzinfo=UTC)
)


@st.composite
def blackouts(draw: st.DrawFn) -> list[Blackout]:
    found = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(times)
        hours = draw(st.integers(1, 24 * 20))
        found.append(Blackout(start, start + timedelta(hours=hours), "freeze"))
    return found


@settings(max_examples=150, deadline=None)
@given(windows, times, blackouts())
def test_openings_are_open_increasing_and_clear_of_blackouts(
    window: Window, after: datetime, freezes: list[Blackout]
) -> None:
    found = next_openings(window, after, 6, freezes)
    for opening in found:
        assert opening.end > opening.start
        assert opening.end > after
        for at in (opening.start, opening.end - EPSILON, opening.start + opening.duration / 2):
            assert is_open(window, at, freezes), (opening, at)
        for freeze in freezes:
            assert opening.end <= freeze.start or opening.start >= freeze.end
    for earlier, later in itertools.pairwise(found):
        assert earlier.start < later.start
        assert earlier.end <= later.start


@settings(max_examples=100, deadline=None)
@given(windows, times)
def test_is_open_agrees_with_the_next_opening(window: Window, at: datetime) -> None:
    [first] = next_openings(window, at, 1)
    assert is_open(window, at) == (first.start <= at)


@settings(max_examples=60, deadline=None)
@given(windows, times, st.integers(1, 5))
def test_later_queries_are_a_suffix_of_earlier_ones(
    window: Window, after: datetime, skip: int
) -> None:
    """Asking again from a later opening's start returns the same openings from there on.

    Not for windows that are always open: those come in `MAX_OPENING` pieces whose cut points
    depend on where the search started.
    """
    found = next_openings(window, after, 6)
    assume(len(found) > skip and all(o.duration < MAX_OPENING for o in found))
    again = next_openings(window, found[skip].start, 6 - skip)
    assert again == found[skip:]
