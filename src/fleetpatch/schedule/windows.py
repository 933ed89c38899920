"""Window maths: when a window opens, whether it is open, and what blackouts leave of it (pure).

A window opens at each start of its rule (a cron expression or an RFC 5545 RRULE, read as wall
clock in the window's IANA time zone) and stays open for `duration_minutes` of real elapsed time,
so a window may wrap midnight, a month end or a DST change.

Wall-clock starts that do not exist or exist twice because of DST are settled like cron does:

- a start inside a spring-forward gap (02:30 on the night clocks jump 02:00 → 03:00) opens at the
  first wall-clock minute after the gap (03:00);
- a start inside a fall-back overlap (02:30 twice) opens once, at its first occurrence.

Several windows of a bucket, and overlapping openings of one window, merge into one opening:
an `Opening` is an interval during which work may happen. Blackouts (change freezes) are cut
out: an opening that overlaps one is shortened, or split in two, never returned inside it.

Invariants (tested as properties): every returned opening is open throughout; openings are
disjoint and their starts strictly increase; no opening overlaps a blackout.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from fleetpatch.errors import InputError
from fleetpatch.policy.cron import CronSpec, parse_cron
from fleetpatch.policy.records import Blackout, Window

# Far enough to find a leap-day window (29 Feb 2096 -> 29 Feb 2104 is 8 years).
HORIZON = timedelta(days=9 * 366)
# A window that is always open is cut into openings of at most this length.
MAX_OPENING = timedelta(days=31)
_MAX_GAP_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class Opening:
    """`[start, end)`: aware UTC times during which work may start."""

    start: datetime
    end: datetime

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def next_openings(
    windows: Window | Sequence[Window],
    after: datetime,
    n: int,
    blackouts: Sequence[Blackout] = (),
) -> list[Opening]:
    """The first `n` openings that end after `after` (one open at `after` comes first)."""
    found: list[Opening] = []
    for opening in iter_openings(windows, after, blackouts):
        if len(found) >= n:
            break
        found.append(opening)
    return found


def openings_between(
    windows: Window | Sequence[Window],
    start: datetime,
    end: datetime,
    blackouts: Sequence[Blackout] = (),
) -> list[Opening]:
    """Every opening that starts before `end` and ends after `start`."""
    found: list[Opening] = []
    for opening in iter_openings(windows, start, blackouts):
        if opening.start >= end:
            break
        found.append(opening)
    return found


def is_open(
    windows: Window | Sequence[Window], at: datetime, blackouts: Sequence[Blackout] = ()
) -> bool:
    """Whether work may start at `at`: inside an opening and outside every blackout."""
    first = next_openings(windows, at, 1, blackouts)
    return bool(first) and first[0].contains(at)


def iter_openings(
    windows: Window | Sequence[Window], after: datetime, blackouts: Sequence[Blackout] = ()
) -> Iterator[Opening]:
    """Openings ending after `after`, in order, merged and with blackouts cut out."""
    _require_aware(after)
    if isinstance(windows, Window):
        windows = (windows,)
    if not windows:
        return
    longest = max(timedelta(minutes=w.duration_minutes) for w in windows)
    since = after - longest
    streams = [_raw_openings(w, since) for w in windows]
    merged = _merge(heapq.merge(*streams, key=lambda o: o.start))
    freezes = sorted(blackouts, key=lambda b: b.start)
    for opening in merged:
        for piece in _cut(opening, freezes):
            if piece.end > after:
                yield piece


def window_starts(window: Window, since: datetime) -> Iterator[datetime]:
    """The window's starts at or after `since` (aware UTC), strictly increasing, to the horizon."""
    _require_aware(since)
    zone = _zone(window.timezone)
    starts = _rrule_starts if window.rrule else _cron_starts
    last: datetime | None = None
    for start in starts(window, since, zone):
        if start >= since and (last is None or start > last):
            last = start
            yield start


def _raw_openings(window: Window, since: datetime) -> Iterator[Opening]:
    length = timedelta(minutes=window.duration_minutes)
    for start in window_starts(window, since):
        yield Opening(start, start + length)


def _cron_starts(window: Window, since: datetime, zone: ZoneInfo) -> Iterator[datetime]:
    spec = parse_cron(window.cron)
    day = since.astimezone(zone).date() - timedelta(days=1)
    times = sorted(time(h, m) for h in spec.hours for m in spec.minutes)
    for _ in range(HORIZON.days + 2):
        if day_matches(spec, day):
            for wall in times:
                yield place(datetime.combine(day, wall), zone)
        day += timedelta(days=1)


def _rrule_starts(window: Window, since: datetime, zone: ZoneInfo) -> Iterator[datetime]:
    if window.rrule_start is None:
        raise InputError(f"rrule window {window.rrule!r} has no start")
    rule = rrulestr(window.rrule, dtstart=window.rrule_start)
    local_since = since.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    limit = local_since + HORIZON
    for wall in rule.xafter(local_since, inc=True):
        if wall > limit:
            return
        yield place(wall, zone)


def day_matches(spec: CronSpec, day: date) -> bool:
    """Cron's day rule, with `DOW#N` and the OR of a restricted day-of-month and day-of-week."""
    if day.month not in spec.months:
        return False
    weekday = day.isoweekday() % 7  # cron counts from Sunday = 0
    by_dom = day.day in spec.days_of_month
    by_dow = weekday in spec.days_of_week or (weekday, (day.day - 1) // 7 + 1) in spec.nth_weekdays
    if spec.dom_and_dow_restricted:
        return by_dom or by_dow
    return by_dom and by_dow


def place(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall-clock time in `zone` as an aware UTC time (gap: first minute after it)."""
    for minutes in range(_MAX_GAP_MINUTES):
        candidate = (wall + timedelta(minutes=minutes)).replace(tzinfo=zone, fold=0)
        if _exists(candidate, zone):
            return candidate.astimezone(UTC)
    raise InputError(f"no valid time in {zone.key} within a day after {wall.isoformat()}")


def _exists(aware: datetime, zone: ZoneInfo) -> bool:
    back = aware.astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None) == aware.replace(tzinfo=None)


def _merge(openings: Iterable[Opening]) -> Iterator[Opening]:
    """Overlapping or touching openings as one (capped at `MAX_OPENING`), disjoint and in order."""
    current: Opening | None = None
    floor: datetime | None = None  # the end of the last opening yielded
    for opening in openings:
        if floor is not None and opening.start < floor:
            if opening.end <= floor:
                continue
            opening = Opening(floor, opening.end)
        if current is None:
            current = opening
        elif opening.start <= current.end and current.duration < MAX_OPENING:
            current = Opening(current.start, max(current.end, opening.end))
        else:
            yield current
            floor = current.end
            current = opening if opening.start >= floor else Opening(floor, opening.end)
            if current.end <= current.start:
                current = None
    if current is not None:
        yield current


def _cut(opening: Opening, blackouts: Sequence[Blackout]) -> Iterator[Opening]:
    """The parts of `opening` outside every blackout (blackouts sorted by start)."""
    start = opening.start
    for freeze in blackouts:
        if freeze.end <= start or freeze.start >= opening.end:
            continue
        if freeze.start > start:
            yield Opening(start, freeze.start)
        start = max(start, freeze.end)
        if start >= opening.end:
            return
    yield Opening(start, opening.end)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:
        raise InputError(f"unknown time zone {name!r}") from exc


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None:
        raise InputError(f"naive time {value.isoformat()}: window maths needs an aware time")
