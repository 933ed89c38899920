"""Time-to-patch figures (pure), from the stored (advisory, host) patch pairs.

- **Time to patch** of a pair = `patched_at` − `disclosed_at` (the advisory's `published`); the
  second figure counts from `fix_available_at` instead (pairs whose fix time is unknown are left
  out of it). A negative span (a host patched before the advisory was published) counts 0.
- **The window**: pairs patched in the `WINDOW_DAYS` days that END at `end`, the store's newest
  evaluation time, never the wall clock (a store evaluated "as of" a date shows that date).
- **Percentiles** are nearest-rank: p50 of n values is the ceil(0.5·n)-th smallest, p90 the
  ceil(0.9·n)-th; None when there are no values.
- Pairs still open are **exposure**, never time to patch: how long since disclosure at `end`
  (oldest and median). Pairs of advisories without a published time count as open or patched
  but are left out of every duration.
- **Trend**, per day up to `end`'s day: p50/p90 of the pairs patched in the `TRAILING_DAYS` days
  ending that day, and the share of the pairs opened by that day that were patched by then.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from fleetpatch.advisories.records import LEVELS
from fleetpatch.exposure.patching import PatchPair
from fleetpatch.exposure.quantiles import percentile

WINDOW_DAYS = 90
TRAILING_DAYS = 7
ALL = "all"
SEVERITIES = (*LEVELS, ALL)
_DAY = 86400.0

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class PatchFigures:
    """One group's (bucket, owner, or the fleet) figures at one severity (or `all`), in days."""

    severity: str
    patched: int = 0
    p50_days: float | None = None
    p90_days: float | None = None
    fix_p50_days: float | None = None
    fix_p90_days: float | None = None
    open: int = 0
    exposed_oldest_days: float | None = None
    exposed_median_days: float | None = None


@dataclass(frozen=True, slots=True)
class TrendPoint:
    day: date
    patched: int
    p50_days: float | None
    p90_days: float | None
    patched_pct: float


def _days(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / _DAY)


def figures_by(
    pairs: Iterable[PatchPair], key: Callable[[PatchPair], K], *, end: datetime
) -> dict[K, tuple[PatchFigures, ...]]:
    """Per group key: one `PatchFigures` per severity that has pairs, then `all`."""
    start = end - timedelta(days=WINDOW_DAYS)
    groups: dict[K, dict[str, list[PatchPair]]] = {}
    for pair in pairs:
        if pair.patched_at is not None and not start < pair.patched_at <= end:
            continue
        by_level = groups.setdefault(key(pair), {})
        by_level.setdefault(pair.severity, []).append(pair)
        by_level.setdefault(ALL, []).append(pair)
    return {
        k: tuple(_figures(level, by_level[level], end) for level in SEVERITIES if level in by_level)
        for k, by_level in groups.items()
    }


def _figures(severity: str, pairs: Sequence[PatchPair], end: datetime) -> PatchFigures:
    since: list[float] = []
    since_fix: list[float] = []
    exposed: list[float] = []
    still_open = 0
    for p in pairs:
        if p.patched_at is None:
            still_open += 1
            if p.disclosed_at is not None:
                exposed.append(_days(end, p.disclosed_at))
            continue
        if p.disclosed_at is not None:
            since.append(_days(p.patched_at, p.disclosed_at))
            if p.fix_available_at is not None:
                since_fix.append(_days(p.patched_at, p.fix_available_at))
    since.sort()
    since_fix.sort()
    exposed.sort()
    return PatchFigures(
        severity=severity,
        patched=len(since),
        p50_days=percentile(since, 0.5),
        p90_days=percentile(since, 0.9),
        fix_p50_days=percentile(since_fix, 0.5),
        fix_p90_days=percentile(since_fix, 0.9),
        open=still_open,
        exposed_oldest_days=exposed[-1] if exposed else None,
        exposed_median_days=percentile(exposed, 0.5),
    )


def trend(
    pairs: Sequence[PatchPair], *, end: datetime, days: int = WINDOW_DAYS
) -> tuple[TrendPoint, ...]:
    """One point per day of the `days` days ending on `end`'s day (see the module's notes)."""
    patched = sorted(
        (p.patched_at, _days(p.patched_at, p.disclosed_at))
        for p in pairs
        if p.patched_at is not None and p.disclosed_at is not None
    )
    patched_times = [at for at, _ in patched]
    closed = sorted(p.patched_at for p in pairs if p.patched_at is not None)
    opened = sorted(p.affected_since for p in pairs)
    last = end.date()
    points = []
    for offset in range(days - 1, -1, -1):
        day = last - timedelta(days=offset)
        until = datetime.combine(day + timedelta(days=1), time(), UTC)
        since = until - timedelta(days=TRAILING_DAYS)
        lo, hi = bisect_left(patched_times, since), bisect_left(patched_times, until)
        spans = sorted(span for _, span in patched[lo:hi])
        total = bisect_left(opened, until)
        done = bisect_left(closed, until)
        points.append(
            TrendPoint(
                day=day,
                patched=len(spans),
                p50_days=percentile(spans, 0.5),
                p90_days=percentile(spans, 0.9),
                patched_pct=100.0 * done / total if total else 0.0,
            )
        )
    return tuple(points)


def burn_down(
    pairs: Sequence[PatchPair], *, first: date, last: date
) -> tuple[tuple[date, int], ...]:
    """Pairs affected per day: at the end of each day (00:00 UTC of the next) from `first` to
    `last`, the pairs with `affected_since` <= that moment < `patched_at` (open: no end)."""
    starts = sorted(p.affected_since for p in pairs)
    ends = sorted(p.patched_at for p in pairs if p.patched_at is not None)
    out = []
    day = first
    while day <= last:
        moment = datetime.combine(day + timedelta(days=1), time(), UTC)
        out.append((day, bisect_right(starts, moment) - bisect_right(ends, moment)))
        day += timedelta(days=1)
    return tuple(out)
