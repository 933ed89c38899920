"""Once a bucket has run history, plans and forecasts use the measured step durations, not the
policy's guesses; the simulated executor's runs (a model's clock) never count."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from fleetpatch.app.cadence import measured_history
from fleetpatch.schedule.plan import PlanHost, make_plan
from fleetpatch.store.tables_runs import RunRow


def test_measured_durations_feed_the_plan_and_simulated_runs_do_not(kit: Any) -> None:
    bucket = kit.bucket()
    kit.run(bucket, ["a", "b"])
    kit.engine(kit.policy(bucket)).run_until_idle(max_ticks=20)
    assert kit.run_state() == "finished"
    assert measured_history(kit.store, bucket.name) == {}  # simulated: left out
    with kit.store.session(write=True) as session:
        session.execute(update(RunRow).values(executor="local"))
    measured = measured_history(kit.store, bucket.name)
    assert set(measured) == {"pre-check", "upgrade", "reboot", "post-check"}
    assert all(len(v) == 2 and all(s >= 0 for s in v) for v in measured.values())
    plan = make_plan(
        bucket,
        [PlanHost("c", reboot_pending=True, needs_work_reasons=("pending_reboot",))],
        bucket_size=1,
        window=None,
        history=measured,
    )
    (host,) = [h for wave in plan.waves for h in wave.hosts]
    sources = {s.name: s.source for s in host.steps}
    assert sources["upgrade"] == "measured"
    assert sources["reboot"] == "measured"
