"""The simulator and forecasts: virtual time, windows that close mid-run, failures and retries,
"fits the next window", and the fix-to-fleet figure."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import parse_policy
from fleetpatch.policy.records import Canaries, Concurrency, Window
from fleetpatch.schedule.forecast import forecast_fix, forecast_plan
from fleetpatch.schedule.plan import PackageChange, PlanHost, make_plan
from fleetpatch.schedule.simulator import SimHost, simulate
from fleetpatch.schedule.windows import Opening, next_openings

POLICY = parse_policy(EXAMPLE_POLICY)
K8S, DATABASES, STATELESS, METAL = POLICY.buckets
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def daily(n: int = 30) -> list[Opening]:
    """03:00-04:00 UTC every day from 28 Nov."""
    return next_openings(Window("0 3 * * *", 60, "UTC"), NOW, n)


def test_a_wave_waits_for_the_window_and_runs_in_virtual_time() -> None:
    hosts = [SimHost("a", (600.0, 600.0)), SimHost("b", (300.0,))]
    result = simulate([hosts], daily(), start=NOW, failure_rate=0.0, rng=random.Random(0))
    assert result.started_at == at("2026-11-28 03:00")
    assert result.done == {"a": at("2026-11-28 03:20"), "b": at("2026-11-28 03:05")}
    assert result.finished_at == at("2026-11-28 03:20")
    assert result.openings_used == 1


def test_a_step_in_progress_at_the_window_end_finishes_and_the_next_waits() -> None:
    host = SimHost("a", (50 * 60.0, 20 * 60.0, 60.0))  # 50 min, 20 min, 1 min
    result = simulate([[host]], daily(), start=NOW, failure_rate=0.0, rng=random.Random(0))
    # step 2 starts 03:50, runs past 04:00 to 04:10; step 3 waits for the next day's 03:00
    assert result.done == {"a": at("2026-11-29 03:01")}
    assert result.openings_used == 2


def test_waves_run_one_after_another() -> None:
    waves = [[SimHost("a", (1800.0,))], [SimHost("b", (1800.0,))], [SimHost("c", (1800.0,))]]
    result = simulate(waves, daily(), start=NOW, failure_rate=0.0, rng=random.Random(0))
    # a: 03:00-03:30, b: 03:30-04:00, c must wait for the next opening
    assert result.done["c"] == at("2026-11-29 03:30")


def test_failures_are_retried_and_then_given_up() -> None:
    hosts = [[SimHost(f"h{i}", (60.0,)) for i in range(5)]]
    always = simulate(hosts, daily(), start=NOW, failure_rate=1.0, rng=random.Random(1))
    assert set(always.failed) == {f"h{i}" for i in range(5)}
    assert always.finished_at is None
    some = simulate(hosts, daily(), start=NOW, failure_rate=0.5, rng=random.Random(3))
    assert set(some.done) | set(some.failed) == {f"h{i}" for i in range(5)}
    assert len(some.done) >= 1


def test_running_out_of_openings_leaves_hosts_unfinished() -> None:
    waves = [[SimHost("a", (3000.0,))], [SimHost("b", (3000.0,))], [SimHost("c", (3000.0,))]]
    # a 03:00-03:50, b starts at 03:50 and runs to 04:40, c finds no opening left
    result = simulate(waves, daily(1), start=NOW, failure_rate=0.0, rng=random.Random(0))
    assert result.unfinished == ("c",)
    assert result.finished_at is None


def test_the_same_seed_gives_the_same_forecast() -> None:
    hosts = [
        PlanHost(f"k8s-node-{i:02}", {}, (PackageChange("libc6", "1", "2"),), False, ("x",))
        for i in range(40)
    ]
    plan = make_plan(K8S, hosts, bucket_size=40, window=daily()[0])
    one = forecast_plan(plan, daily(), now=NOW, failure_rate=0.1, seed=7)
    two = forecast_plan(plan, daily(), now=NOW, failure_rate=0.1, seed=7)
    assert one == two


def test_forecast_warns_when_pending_work_does_not_fit_the_next_window() -> None:
    bucket = replace(K8S, concurrency=Concurrency(count=2), canaries=Canaries())
    change = (PackageChange("linux-image-amd64", "1", "2"),)
    hosts = [PlanHost(f"k8s-node-{i:02}", {}, change, False, ("outdated",)) for i in range(12)]
    openings = daily()
    plan = make_plan(bucket, hosts, bucket_size=12, window=openings[0])
    # each host: cordon 10 s, drain 5 min, upgrade 10 min, reboot 3 min, uncordon 10 s
    assert plan.waves[0].seconds == 10 + 300 + 600 + 180 + 10
    forecast = forecast_plan(plan, openings, now=NOW, failure_rate=0.0)
    assert forecast.fits_next_window is False
    assert plan.fits is False
    # 6 waves of 18m20s: four start inside the first hour; the 4th starts at 03:55, drains until
    # 04:00:10 and its upgrade waits for the next day's window (03:00-03:13:10); waves 5 and 6
    # follow: 03:31:30, 03:49:50
    assert forecast.windows_needed == 2
    assert forecast.fully_patched_by == at("2026-11-29 03:49:50")
    assert forecast.warnings == (
        "k8s-nodes: pending work (12 hosts in 6 waves, 1.8 h) does not fit the next window "
        "(1.0 h from 2026-11-28 03:00Z); it needs 2 windows",
    )
    small = make_plan(bucket, hosts[:4], bucket_size=12, window=openings[0])
    assert forecast_plan(small, openings, now=NOW, failure_rate=0.0).fits_next_window is True


def test_failures_push_the_p90_later_than_the_median_or_equal() -> None:
    change = (PackageChange("libc6", "1", "2"),)
    hosts = [PlanHost(f"db-{i:02}", {}, change, False, ("outdated",)) for i in range(6)]
    openings = next_openings(DATABASES.windows, NOW, 60)
    plan = make_plan(DATABASES, hosts, bucket_size=6, window=openings[0])
    forecast = forecast_plan(plan, openings, now=NOW, failure_rate=0.1, trials=40)
    assert forecast.fully_patched_median is not None
    assert forecast.fully_patched_by is not None
    assert forecast.fully_patched_by >= forecast.fully_patched_median
    assert forecast.expected_failures == 6 * 0.1


def test_nothing_to_do_is_patched_now() -> None:
    plan = make_plan(K8S, [], bucket_size=10, window=daily()[0])
    forecast = forecast_plan(plan, daily(), now=NOW, failure_rate=0.1)
    assert (forecast.fully_patched_by, forecast.fits_next_window, forecast.warnings) == (
        NOW,
        True,
        (),
    )


def test_a_fix_reaches_the_bucket_after_soak_and_its_windows() -> None:
    hosts = [PlanHost(f"db-{i:02}", {}, (), False, ()) for i in range(3)]
    openings = next_openings(DATABASES.windows, NOW, 30)
    bucket = replace(DATABASES, failure_rate=0.0)
    fix = forecast_fix(bucket, hosts, openings, published=NOW, soak_days=3)
    assert fix.baseline_at == NOW + timedelta(days=3)
    # Tuesdays 04:00 Paris (03:00 UTC); one host at a time, about 20 minutes each
    assert fix.first_window == at("2026-12-01 03:00")
    assert fix.fully_patched_by is not None
    assert fix.fully_patched_by.date() == at("2026-12-01 00:00").date()
    assert fix.days is not None
    assert 3.6 < fix.days < 3.7
