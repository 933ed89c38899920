"""`FreshCache`: one value per evaluation, stale values refreshed behind the reader, clears win."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fleetpatch.web.cache import EvaluationCache, FreshCache


def wait_for(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_same_version_is_computed_once() -> None:
    cache = FreshCache(ttl=60)
    calls: list[int] = []
    for _ in range(3):
        assert cache.get("x", 1, lambda: calls.append(1) or len(calls)) == 1
    assert len(calls) == 1


def test_a_new_version_recomputes_at_once() -> None:
    cache = FreshCache(ttl=60)
    assert cache.get("x", 1, lambda: "one") == "one"
    assert cache.get("x", 2, lambda: "two") == "two"


def test_clear_recomputes_at_once() -> None:
    cache = FreshCache(ttl=60)
    cache.get("x", 1, lambda: "old")
    cache.clear()
    assert cache.get("x", 1, lambda: "new") == "new"


def test_past_the_ttl_the_stale_value_is_served_and_refreshed_behind() -> None:
    cache = FreshCache(ttl=0)
    cache.get("x", 1, lambda: "old")
    release = threading.Event()

    def slow() -> str:
        release.wait(5)
        return "new"

    assert cache.get("x", 1, slow) == "old"  # does not wait for `slow`
    assert cache.get("x", 1, slow) == "old"  # one refresh at a time
    release.set()
    wait_for(lambda: cache.get("x", 1, lambda: "newer") in ("new", "newer"))


def test_a_refresh_that_races_a_clear_is_dropped() -> None:
    cache = FreshCache(ttl=0)
    cache.get("x", 1, lambda: "old")
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "from before the write"

    cache.get("x", 1, slow)
    started.wait(5)
    cache.clear()  # a write happened while the background scan ran
    release.set()
    time.sleep(0.1)
    cache.ttl = 60
    assert cache.get("x", 1, lambda: "after the write") == "after the write"


def test_a_failed_refresh_keeps_the_old_value() -> None:
    cache = FreshCache(ttl=0)
    cache.get("x", 1, lambda: "old")

    def broken() -> str:
        raise RuntimeError("store went away")

    assert cache.get("x", 1, broken) == "old"
    time.sleep(0.1)
    cache.ttl = 60
    assert cache.get("x", 1, lambda: "unused") == "old"


def test_evaluation_cache_serves_the_previous_evaluation_while_computing_the_next() -> None:
    cache = EvaluationCache()
    calls: list[int] = []
    release = threading.Event()

    def slow(version: int) -> Callable[[], int]:
        def compute() -> int:
            calls.append(version)
            if version > 1:
                release.wait(5)  # bounded: the test releases it below
            return version * 10

        return compute

    assert cache.get("ttp", 1, slow(1)) == 10  # the very first read waits
    assert cache.get("ttp", 1, slow(1)) == 10  # the same evaluation: no recompute
    assert calls == [1]
    assert cache.get("ttp", 2, slow(2)) == 10  # a new evaluation: the old value, at once
    assert cache.get("ttp", 2, slow(2)) == 10  # and only one refresh runs behind
    release.set()
    for _ in range(500):  # bounded wait for the background refresh
        if cache.get("ttp", 2, slow(2)) == 20:
            break
        time.sleep(0.01)
    assert cache.get("ttp", 2, slow(2)) == 20
    assert calls == [1, 2]
