"""Python's time.sleep for the suite's pass one year ahead (scripts/test-ahead), and only there.

Debian 12's libfaketime (0.9.10) cannot run Python 3.11 one way or the other:

- faking the monotonic clock (its default) hands every timed wait in a thread, which CPython makes
  with sem_clockwait(CLOCK_MONOTONIC), a deadline a year away: threading.Event().wait(0.2) never
  returns (libfaketime issue #390);
- leaving it alone (FAKETIME_DONT_FAKE_MONOTONIC=1) breaks time.sleep, which CPython 3.11 makes
  with clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME): libfaketime shifts that absolute monotonic
  deadline by the fake offset and the kernel answers EINVAL (libfaketime issue #426).

scripts/test-ahead leaves the monotonic clock alone and puts this directory on PYTHONPATH, so every
Python process of the pass (pytest and the processes tests start) sleeps through select()'s
relative timeout instead. Outside that exact situation, detected by probing, this changes nothing.
"""

from __future__ import annotations

import os
import select
import time


def _sleep(seconds: float) -> None:
    """time.sleep by relative timeouts, against the monotonic clock libfaketime leaves alone."""
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        select.select([], [], [], remaining)


def _sleep_is_broken() -> bool:
    if "faketime" not in os.environ.get("LD_PRELOAD", ""):
        return False
    try:
        time.sleep(0)
    except OSError:
        return True
    return False


if _sleep_is_broken():
    time.sleep = _sleep
