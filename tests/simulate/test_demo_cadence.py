"""Demo patch cadences: when each kind of host last patched, with what lag, and its boot time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetpatch.simulate.cadence import HostPlan, plan_hosts
from fleetpatch.simulate.fleet import generate_fleet

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # a Friday


@pytest.fixture(scope="module")
def plans() -> dict[str, HostPlan]:
    fleet = list(generate_fleet(80, seed=7, now=NOW, images=6))
    return {p.final.hostname: p for p in plan_hosts(fleet, seed=7, now=NOW)}


def _role(plans: dict[str, HostPlan], role: str | None) -> HostPlan:
    return next(p for p in plans.values() if p.role == role)


@pytest.mark.parametrize(
    ("role", "when", "expected"),
    [
        ("db", NOW, datetime(2026, 11, 24, 3, tzinfo=UTC)),  # the Tuesday before
        ("db", datetime(2026, 11, 24, 3, 5, tzinfo=UTC), datetime(2026, 11, 17, 3, tzinfo=UTC)),
        ("stateless", NOW, datetime(2026, 11, 22, 2, tzinfo=UTC)),  # Sunday
        ("bare-metal", NOW, datetime(2026, 11, 1, 8, tzinfo=UTC)),
        ("bare-metal", datetime(2026, 1, 1, 7, tzinfo=UTC), datetime(2025, 12, 1, 8, tzinfo=UTC)),
        (None, NOW, None),  # unclassified hosts are never patched
    ],
)
def test_last_patch_follows_the_bucket_cadence(
    plans: dict[str, HostPlan], role: str | None, when: datetime, expected: datetime | None
) -> None:
    assert _role(plans, role).last_patch(when) == expected


def test_nodes_patch_weekly_on_their_cohort_day(plans: dict[str, HostPlan]) -> None:
    nodes = [p for p in plans.values() if p.role == "k8s-node"]
    assert len({p.cohort for p in nodes}) > 3
    for plan in nodes:
        patch = plan.last_patch(NOW)
        assert patch is not None
        assert NOW - timedelta(days=7) < patch <= NOW
        assert (patch.hour, patch.minute) == (3, 0)


def test_the_database_lag_grows_a_day_per_day(plans: dict[str, HostPlan]) -> None:
    db = _role(plans, "db")
    start = NOW - timedelta(days=90)
    for days in (0, 30, 89):
        patch = start + timedelta(days=days)
        assert db.lag_days(patch) == pytest.approx(21 + days)
        assert patch - timedelta(days=db.lag_days(patch)) == start - timedelta(days=21)
    node = _role(plans, "k8s-node")
    assert node.lag_days(NOW) == node.lag_days(start) == 3


def test_patches_are_listed_oldest_first_between_two_moments(plans: dict[str, HostPlan]) -> None:
    db = _role(plans, "db")
    after = NOW - timedelta(days=21)
    patches = db.patches(after, NOW)
    assert patches == [datetime(2026, 11, d, 3, tzinfo=UTC) for d in (10, 17, 24)]
    assert db.patches(NOW, NOW) == []


def test_reboots_are_skipped_now_and_then_and_never_by_metal_01(
    plans: dict[str, HostPlan],
) -> None:
    start = NOW - timedelta(days=90)
    draws = [
        plan.reboots_after(patch)
        for plan in plans.values()
        if plan.role is not None and not plan.longest_up
        for patch in plan.patches(start, NOW)
    ]
    skipped = draws.count(False) / len(draws)
    assert 0.01 < skipped < 0.1  # one patch in twenty, drawn per host and patch
    metal = plans["metal-01"]
    assert metal.longest_up
    assert not any(metal.reboots_after(p) for p in metal.patches(start, NOW))
