"""Forecasts: when a bucket will be fully patched, whether its pending work fits the next window,
and how long a fix published today takes to reach the whole fleet (pure).

A forecast runs the simulator over the bucket's plan and openings several times with seeded
randomness (failures are random) and reports the median and the 90th percentile of the time the
last host is done; "fully patched by" is the 90th percentile, a date the owner can promise.
"Fits the next window" is judged without failures: can the planned work finish inside it at all?

The fleet figure assumes the fix is published at `now`, becomes the baseline after the soak
period, and that every host of every bucket needs it (with a reboot when `reboot` is set: the
promise is made for the worst case, a kernel or C library fix).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from fleetpatch.policy.records import Bucket
from fleetpatch.schedule.plan import PackageChange, Plan, PlanHost, make_plan
from fleetpatch.schedule.simulator import SimHost, SimResult, simulate
from fleetpatch.schedule.steps import StepHistory
from fleetpatch.schedule.windows import Opening

DEFAULT_TRIALS = 40


@dataclass(frozen=True, slots=True)
class Forecast:
    bucket: str
    now: datetime
    hosts: int
    waves: int
    work_seconds: float
    next_window: Opening | None
    fits_next_window: bool | None
    fully_patched_by: datetime | None  # 90th percentile; None: not within the openings given
    fully_patched_median: datetime | None
    windows_needed: int | None
    expected_failures: float
    warnings: tuple[str, ...]


def forecast_plan(
    plan: Plan,
    openings: Sequence[Opening],
    *,
    now: datetime,
    failure_rate: float,
    trials: int = DEFAULT_TRIALS,
    seed: int = 0,
) -> Forecast:
    """Simulate `plan` over `openings` from `now`; see the module docstring."""
    waves = [
        [SimHost(h.hostname, tuple(s.seconds for s in h.steps)) for h in w.hosts]
        for w in plan.waves
    ]
    ideal = simulate(waves, openings, start=now, failure_rate=0.0, rng=random.Random(seed))
    runs = [
        simulate(waves, openings, start=now, failure_rate=failure_rate, rng=random.Random(seed + i))
        for i in range(max(1, trials))
    ]
    next_window = openings[0] if openings else None
    fits = _fits(ideal, next_window) if plan.hosts else True
    p50, p90 = _percentile(runs, 0.5), _percentile(runs, 0.9)
    return Forecast(
        bucket=plan.bucket,
        now=now,
        hosts=plan.hosts,
        waves=len(plan.waves),
        work_seconds=plan.seconds,
        next_window=next_window,
        fits_next_window=fits if next_window is not None else None,
        fully_patched_by=p90 if plan.hosts else now,
        fully_patched_median=p50 if plan.hosts else now,
        windows_needed=ideal.openings_used if ideal.finished_at is not None else None,
        expected_failures=failure_rate * plan.hosts,
        warnings=_warnings(plan, ideal, next_window, fits, p90),
    )


def _fits(ideal: SimResult, window: Opening | None) -> bool:
    return window is not None and ideal.finished_at is not None and ideal.finished_at <= window.end


def _percentile(runs: Sequence[SimResult], q: float) -> datetime | None:
    """The q-quantile of the finish times; None when that share of runs never finished."""
    times = sorted(r.finished_at for r in runs if r.finished_at is not None)
    needed = math.ceil(q * len(runs))
    if len(times) < needed or not times:
        return None
    return times[max(0, needed - 1)]


def _warnings(
    plan: Plan,
    ideal: SimResult,
    window: Opening | None,
    fits: bool,
    p90: datetime | None,
) -> tuple[str, ...]:
    found: list[str] = []
    hours = plan.seconds / 3600
    if plan.hosts and window is None:
        found.append(f"{plan.bucket}: {plan.hosts} hosts need work but no window opens")
    elif plan.hosts and not fits and window is not None:
        length = window.duration.total_seconds() / 3600
        found.append(
            f"{plan.bucket}: pending work ({plan.hosts} hosts in {len(plan.waves)} waves, "
            f"{hours:.1f} h) does not fit the next window ({length:.1f} h from "
            f"{window.start:%Y-%m-%d %H:%M}Z); it needs {ideal.openings_used} windows"
        )
    if plan.hosts and p90 is None:
        found.append(
            f"{plan.bucket}: not fully patched within the forecast horizon "
            "(failures beyond retries, or too few windows)"
        )
    return tuple(found)


@dataclass(frozen=True, slots=True)
class FixForecast:
    """How long from "a fix is published at `published`" to "every host of the bucket runs it"."""

    bucket: str
    hosts: int
    published: datetime
    baseline_at: datetime
    first_window: datetime | None
    fully_patched_by: datetime | None

    @property
    def days(self) -> float | None:
        if self.fully_patched_by is None:
            return None
        return (self.fully_patched_by - self.published).total_seconds() / 86400


def forecast_fix(
    bucket: Bucket,
    hosts: Sequence[PlanHost],
    openings: Sequence[Opening],
    *,
    published: datetime,
    soak_days: float,
    reboot: bool = True,
    history: StepHistory | None = None,
    seed: int = 0,
) -> FixForecast:
    """Every host of `bucket` takes the fix once it is the baseline, in the bucket's windows."""
    baseline_at = published + timedelta(days=soak_days)
    fix = PackageChange("linux-image" if reboot else "fix", "old", "fixed", security=True)
    everyone = [
        replace(h, packages_to_change=(fix,), needs_work_reasons=("fix published",)) for h in hosts
    ]
    later = [o for o in openings if o.end > baseline_at]
    plan = make_plan(bucket, everyone, bucket_size=len(hosts), window=None, history=history)
    result = forecast_plan(
        plan, later, now=baseline_at, failure_rate=bucket.failure_rate, seed=seed
    )
    return FixForecast(
        bucket=bucket.name,
        hosts=len(hosts),
        published=published,
        baseline_at=baseline_at,
        first_window=max(later[0].start, baseline_at) if later else None,
        fully_patched_by=result.fully_patched_by,
    )
