"""Demo patch cadences: when each kind of host last patched, with what lag, and its boot time."""

from __future__ import annotations

from dataclasses import replace
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


def test_boot_follows_the_patch_unless_the_reboot_was_skipped(plans: dict[str, HostPlan]) -> None:
    db = _role(plans, "db")
    patch = db.last_patch(NOW)
    assert patch is not None
    assert db.boot_time(NOW, patch) == patch + timedelta(minutes=8)
    skipping = replace(db, skips_reboot=True)
    assert skipping.boot_time(NOW, patch) == patch - timedelta(days=7) + timedelta(minutes=8)
    metal = plans["metal-01"]
    assert metal.longest_up
    assert metal.skips_reboot
    assert (NOW - metal.boot_time(NOW, metal.last_patch(NOW))).days >= 412
