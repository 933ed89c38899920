"""A discrete-event simulation of a bucket's run over its windows, on a virtual clock (pure).

Events are "host H is ready for step K at time T" and "host H finished step K at time T", kept in
a heap and processed in time order; nothing sleeps. The rules are those of a real run:

- waves run one after the other; a wave starts when the previous one has settled;
- a step starts only inside an opening; a step in progress when the opening ends finishes, and
  the host's next step waits for the next opening;
- a host fails with the bucket's failure rate, at a random one of its steps (the step still takes
  its time); a failed host is retried in a wave of its own after the planned waves, up to
  `max_attempts` times; after that it stays failed and the bucket is not fully patched.

Randomness is a parameter (`random.Random`), so a seed gives the same result every time. The
orchestration tests and the demo's history reuse this module as the model of a run.
"""

from __future__ import annotations

import bisect
import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetpatch.schedule.windows import Opening


@dataclass(frozen=True, slots=True)
class SimHost:
    hostname: str
    step_seconds: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class SimResult:
    started_at: datetime | None
    finished_at: datetime | None  # when every host was done; None if some never were
    done: dict[str, datetime]
    failed: tuple[str, ...]
    unfinished: tuple[str, ...]  # still waiting when the openings ran out
    openings_used: int


class OpeningClock:
    """Answers "when may a step start, at or after T?" from a sorted list of openings."""

    def __init__(self, openings: Sequence[Opening]) -> None:
        self.openings = list(openings)
        self._starts = [o.start for o in self.openings]
        self.used: set[int] = set()

    def start_at(self, at: datetime) -> datetime | None:
        i = bisect.bisect_right(self._starts, at) - 1
        if i >= 0 and self.openings[i].contains(at):
            self.used.add(i)
            return at
        if i + 1 < len(self.openings):
            self.used.add(i + 1)
            return self.openings[i + 1].start
        return None


def simulate(
    waves: Sequence[Sequence[SimHost]],
    openings: Sequence[Opening],
    *,
    start: datetime,
    failure_rate: float,
    rng: random.Random,
    max_attempts: int = 3,
) -> SimResult:
    """Run the waves from `start` through `openings`; see the module docstring for the rules."""
    clock = OpeningClock(openings)
    queue = [list(w) for w in waves if w]
    attempts: dict[str, int] = {}
    done: dict[str, datetime] = {}
    failed: list[str] = []
    now, first = start, None
    while queue:
        wave = queue.pop(0)
        began = clock.start_at(now)
        if began is None:
            return _result(first, done, failed, [h for w in [wave, *queue] for h in w], clock)
        first = first or began
        outcome = _run_wave(wave, began, clock, failure_rate, rng)
        done.update(outcome.done)
        if outcome.stuck:
            rest = [*outcome.stuck, *(h for w in queue for h in w)]
            return _result(first, done, failed, rest, clock)
        for host in outcome.failed:
            attempts[host.hostname] = attempts.get(host.hostname, 1) + 1
        retry = [h for h in outcome.failed if attempts[h.hostname] <= max_attempts]
        failed += [h.hostname for h in outcome.failed if attempts[h.hostname] > max_attempts]
        if retry:
            queue.append(retry)
        now = outcome.settled_at
    return _result(first, done, failed, [], clock)


@dataclass(slots=True)
class _WaveOutcome:
    """Mutable while its wave runs; internal to the simulation."""

    done: dict[str, datetime]
    failed: list[SimHost]
    stuck: list[SimHost]  # a step could not start: no opening left
    settled_at: datetime


def _run_wave(
    wave: Sequence[SimHost],
    began: datetime,
    clock: OpeningClock,
    failure_rate: float,
    rng: random.Random,
) -> _WaveOutcome:
    """Process one wave's events in time order until every host is done, failed or stuck."""
    fails_at = [
        rng.randrange(len(h.step_seconds)) if rng.random() < failure_rate else -1 for h in wave
    ]
    # (time, sequence, host index, step index, finished?)
    events: list[tuple[datetime, int, int, int, bool]] = [
        (began, i, i, 0, False) for i in range(len(wave))
    ]
    heapq.heapify(events)
    outcome = _WaveOutcome({}, [], [], began)
    seq = len(wave)
    while events:
        at, _, i, step, finished = heapq.heappop(events)
        host = wave[i]
        outcome.settled_at = max(at, outcome.settled_at)
        if finished and step == fails_at[i]:
            outcome.failed.append(host)
        elif finished and step + 1 == len(host.step_seconds):
            outcome.done[host.hostname] = at
        elif finished:
            seq += 1
            heapq.heappush(events, (at, seq, i, step + 1, False))
        elif (begins := clock.start_at(at)) is None:
            outcome.stuck.append(host)
        else:
            seq += 1
            ends = begins + timedelta(seconds=host.step_seconds[step])
            heapq.heappush(events, (ends, seq, i, step, True))
    return outcome


def _result(
    first: datetime | None,
    done: dict[str, datetime],
    failed: list[str],
    unfinished: Sequence[SimHost],
    clock: OpeningClock,
) -> SimResult:
    complete = not failed and not unfinished
    return SimResult(
        started_at=first,
        finished_at=max(done.values(), default=first) if complete else None,
        done=dict(done),
        failed=tuple(failed),
        unfinished=tuple(h.hostname for h in unfinished),
        openings_used=len(clock.used),
    )
