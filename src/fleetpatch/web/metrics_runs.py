"""The run series of `/metrics`, read from the store at scrape time like the fleet's.

- `fleetpatch_runs{state}`: runs by state (every state, 0 included, so a panel never goes blank);
- `fleetpatch_run_hosts_in_flight{bucket}`: hosts started and not finished in live runs;
- `fleetpatch_run_step_outcomes_total{bucket,step,outcome}`: step attempts that ended, by how.
  A counter: an ended attempt never changes, and the store only adds them, so `rate()` and
  `increase()` work (`running` attempts are not counted until they end);
- `fleetpatch_run_step_duration_seconds{bucket,step}`: a histogram of the `ok` attempts'
  durations (buckets, sum and count computed by the database in one `GROUP BY`);
- `fleetpatch_run_lease_age_seconds`: seconds since the stalest held lease last heartbeat (0 when
  no lease is held): a healthy worker keeps it under a third of the lease TTL, a dead one lets it
  climb until another worker takes its hosts over;
- `fleetpatch_halted`: 1 while the andon cord is pulled.

Labels stay bounded: `bucket` (policy buckets), `step` (strategy steps, the policy's gate names
and `verify`), `outcome` (five values) and `state` (six run states). Never a host or a run id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from fleetpatch.runs.records import RUN_STATES
from fleetpatch.store import Store
from fleetpatch.store.run_queries import RunQueries

# Upper bounds in seconds: from a gate's seconds to a manual step's hours.
DURATION_BOUNDS: tuple[float, ...] = (10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)
RUN_METRICS: tuple[str, ...] = (
    "fleetpatch_runs",
    "fleetpatch_run_hosts_in_flight",
    "fleetpatch_run_step_outcomes",
    "fleetpatch_run_step_duration_seconds",
    "fleetpatch_run_lease_age_seconds",
    "fleetpatch_halted",
)


class RunCollector(Collector):
    """One read transaction per scrape; `clock` dates the lease age."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        with self._store.session() as session:
            queries = RunQueries(session)
            by_state = queries.runs_by_state()
            in_flight = queries.in_flight_by_bucket()
            outcomes = queries.step_outcomes()
            durations = queries.step_durations(DURATION_BOUNDS)
            heartbeat = queries.oldest_heartbeat()
            halted = queries.halt() is not None
        runs = GaugeMetricFamily("fleetpatch_runs", "Runs by state.", labels=["state"])
        for state in RUN_STATES:
            runs.add_metric([state], by_state.get(state, 0))
        yield runs
        flight = GaugeMetricFamily(
            "fleetpatch_run_hosts_in_flight",
            "Hosts started and not yet finished in live runs.",
            labels=["bucket"],
        )
        for bucket, n in sorted(in_flight.items()):
            flight.add_metric([bucket], n)
        yield flight
        ended = CounterMetricFamily(
            "fleetpatch_run_step_outcomes",
            "Step attempts that ended, by outcome.",
            labels=["bucket", "step", "outcome"],
        )
        for (bucket, step, outcome), n in sorted(outcomes.items()):
            ended.add_metric([bucket, step, outcome], n)
        yield ended
        took = HistogramMetricFamily(
            "fleetpatch_run_step_duration_seconds",
            "How long steps that passed took, in seconds.",
            labels=["bucket", "step"],
        )
        for d in durations:
            buckets = [(_le(b), float(c)) for b, c in zip(d.bounds, d.counts, strict=True)]
            buckets.append(("+Inf", float(d.count)))
            took.add_metric([d.bucket, d.step], buckets, d.total_seconds)
        yield took
        age = GaugeMetricFamily(
            "fleetpatch_run_lease_age_seconds",
            "Seconds since the stalest held lease last heartbeat (0: no lease held).",
        )
        age.add_metric(
            [], max(0.0, (self._clock() - heartbeat).total_seconds()) if heartbeat else 0
        )
        yield age
        halt = GaugeMetricFamily("fleetpatch_halted", "1 while the fleet is halted, else 0.")
        halt.add_metric([], 1 if halted else 0)
        yield halt


def _le(bound: float) -> str:
    return f"{bound:g}" if bound != int(bound) else f"{int(bound)}.0"
