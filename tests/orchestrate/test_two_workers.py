"""Two workers over the same runs on PostgreSQL: no host claimed twice, the cap held across
both. (SQLite serialises writers, so the claims that matter are tested on PostgreSQL.)"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest

from fleetpatch.policy.records import Concurrency, ErrorBudget


@pytest.mark.pg
@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_two_workers_share_the_work_without_overlap(kit: Any) -> None:
    bucket = kit.bucket(concurrency=Concurrency(count=4), max_errors=ErrorBudget(percent=100))
    kit.run(bucket, 40, limit=4)
    policy = kit.policy(bucket)
    engines = [kit.engine(policy, holder=f"w{i}:1:1", sleep=0.004, parallel=4) for i in (1, 2)]
    errors: list[BaseException] = []

    def work(engine: Any) -> None:
        try:
            engine.run_until_idle(max_ticks=2000, idle=lambda: threading.Event().wait(0.01))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    assert set(kit.states().values()) == {"done"}
    begins = Counter(
        (e["host"], e["step"], e["attempt"]) for e in kit.journal.entries if e["event"] == "begin"
    )
    assert max(begins.values()) == 1  # no step of any host ran in both workers
    assert kit.max_in_flight(kit.journal.entries, "pre-check", "post-check") <= 4
    holders = {a.detail.get("holder") for a in kit.audit("host.start")}
    assert holders == {"w1:1:1", "w2:1:1"}  # both did share the work
