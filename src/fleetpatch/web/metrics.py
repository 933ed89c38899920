"""`/metrics`: fleet gauges computed at scrape time by a custom collector on an injected registry.

The collector reads the rollups (one aggregate scan of `host_status`) when Prometheus scrapes, so
the figures are as current as the last evaluation or ingested report, and nothing is kept in
process memory between scrapes. Labels are bounded: `bucket` and `owner` (from the policy; an
unclassified host has both empty), `state` (the four update states) and `severity` (the advisory
levels), and for time to patch `since` (`disclosure` | `fix`). Never a host or an advisory as a
label. Durations are in seconds, Prometheus's base
unit, so `promtool check metrics` has nothing to report. `METRICS` lists every exported name; the
Grafana dashboard and docs/metrics.md use exactly these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from fleetpatch.app.time_to_patch import MetricFigures as TtpFigures
from fleetpatch.app.time_to_patch import metric_figures
from fleetpatch.exposure.rollups import Rollup
from fleetpatch.exposure.time_to_patch import ALL
from fleetpatch.policy.records import Policy
from fleetpatch.store import Store
from fleetpatch.store.evaluations import EvaluationRepository
from fleetpatch.store.status_queries import StatusQueries
from fleetpatch.web.metrics_runs import RUN_METRICS, RunCollector

# The rollups count in days; Prometheus's convention (and promtool) wants base units, so the
# durations are exported in seconds and dashboards scale them for display.
_SECONDS_PER_DAY = 86_400.0

_ROLLUP_GAUGES: tuple[tuple[str, str, Callable[[Rollup], float]], ...] = (
    ("fleetpatch_hosts", "Hosts in the bucket.", lambda r: r.hosts),
    ("fleetpatch_hosts_patched", "Hosts current and running it.", lambda r: r.patched),
    ("fleetpatch_hosts_pending_reboot", "Hosts pending a reboot.", lambda r: r.pending_reboot),
    ("fleetpatch_hosts_stale", "Hosts whose last report is stale.", lambda r: r.stale),
    (
        "fleetpatch_hosts_uptime_over_limit",
        "Hosts up longer than the bucket's limit.",
        lambda r: r.uptime_over_limit,
    ),
    ("fleetpatch_hosts_drifted", "Hosts off the canonical level.", lambda r: r.drifted),
    ("fleetpatch_hosts_sla_breached", "Hosts breaching an SLA.", lambda r: r.sla_breaches),
    (
        "fleetpatch_behind_mean_seconds",
        "Mean time behind upstream over package instances, in seconds.",
        lambda r: r.days_behind_mean * _SECONDS_PER_DAY,
    ),
    (
        "fleetpatch_behind_max_seconds",
        "Longest time a package is behind upstream, in seconds.",
        lambda r: r.days_behind_max * _SECONDS_PER_DAY,
    ),
    (
        "fleetpatch_uptime_max_seconds",
        "Longest uptime, in seconds.",
        lambda r: (r.max_uptime_days or 0.0) * _SECONDS_PER_DAY,
    ),
)
METRICS: tuple[str, ...] = (
    *(name for name, _, _ in _ROLLUP_GAUGES),
    "fleetpatch_hosts_by_update_state",
    "fleetpatch_hosts_affected",
    "fleetpatch_last_evaluation_timestamp_seconds",
    "fleetpatch_last_evaluation_duration_seconds",
    "fleetpatch_time_to_patch_p50_seconds",
    "fleetpatch_time_to_patch_p90_seconds",
    "fleetpatch_exposure_oldest_seconds",
    *RUN_METRICS,
)


class FleetCollector(Collector):
    """Reads the store on every `collect()` (one read transaction per scrape)."""

    def __init__(
        self, store: Store, policy: Policy, ttp_figures: Callable[[], TtpFigures] | None = None
    ) -> None:
        self._store = store
        self._policy = policy
        self._ttp_figures = ttp_figures or (lambda: metric_figures(store))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._store.session() as session:
            figures = StatusQueries(session).breakdown()
            latest = EvaluationRepository(session).latest()
        by_state = figures.per_bucket(lambda c: c.by_update_state)
        by_severity = figures.per_bucket(lambda c: c.by_severity)
        yield from self._rollup_gauges(figures.by_bucket())
        yield self._per_bucket_value(
            "fleetpatch_hosts_by_update_state",
            "Hosts by update state.",
            "state",
            by_state,
        )
        yield self._per_bucket_value(
            "fleetpatch_hosts_affected",
            "Hosts by the worst severity of the advisories affecting them.",
            "severity",
            by_severity,
        )
        stamp = GaugeMetricFamily(
            "fleetpatch_last_evaluation_timestamp_seconds", "When the fleet was last evaluated."
        )
        took = GaugeMetricFamily(
            "fleetpatch_last_evaluation_duration_seconds", "How long the last evaluation took."
        )
        if latest is not None:
            stamp.add_metric([], latest.evaluated_at.timestamp())
            took.add_metric([], latest.seconds)
        yield stamp
        yield took
        yield from time_to_patch_gauges(self._ttp_figures())

    def _labels(self, bucket: str | None) -> list[str]:
        found = self._policy.bucket(bucket) if bucket else None
        return [bucket or "", found.owner if found else ""]

    def _rollup_gauges(self, rollups: tuple[Rollup, ...]) -> Iterator[GaugeMetricFamily]:
        for name, doc, value in _ROLLUP_GAUGES:
            family = GaugeMetricFamily(name, doc, labels=["bucket", "owner"])
            for r in rollups:
                family.add_metric(self._labels(r.key), float(value(r)))
            yield family

    def _per_bucket_value(
        self, name: str, doc: str, label: str, counts: dict[tuple[str | None, str], int]
    ) -> GaugeMetricFamily:
        family = GaugeMetricFamily(name, doc, labels=["bucket", "owner", label])
        for (bucket, value), count in counts.items():
            family.add_metric([*self._labels(bucket), value], count)
        return family


def time_to_patch_gauges(figures: TtpFigures) -> Iterator[GaugeMetricFamily]:
    """Time to patch (p50, p90; `since` disclosure or fix) over the pairs patched in the 90 days
    ending at the newest evaluation, and the oldest open exposure, per bucket, owner and severity
    (the stored pair's; `all` is left to the pages, a percentile does not add up). A series is
    absent when it has no pairs to measure."""
    _, groups = figures
    p50 = GaugeMetricFamily(
        "fleetpatch_time_to_patch_p50_seconds",
        "Median time from disclosure (or fix) to patched and running, last 90 days.",
        labels=["bucket", "owner", "severity", "since"],
    )
    p90 = GaugeMetricFamily(
        "fleetpatch_time_to_patch_p90_seconds",
        "90th percentile time from disclosure (or fix) to patched and running, last 90 days.",
        labels=["bucket", "owner", "severity", "since"],
    )
    oldest = GaugeMetricFamily(
        "fleetpatch_exposure_oldest_seconds",
        "Longest time an open (advisory, host) pair has been exposed since disclosure.",
        labels=["bucket", "owner", "severity"],
    )
    for (bucket, owner), rows in sorted(groups.items(), key=lambda kv: str(kv[0])):
        for f in rows:
            if f.severity == ALL:
                continue
            labels = [bucket or "", owner or "", f.severity]
            for since, mid, high in (
                ("disclosure", f.p50_days, f.p90_days),
                ("fix", f.fix_p50_days, f.fix_p90_days),
            ):
                if mid is not None and high is not None:
                    p50.add_metric([*labels, since], mid * _SECONDS_PER_DAY)
                    p90.add_metric([*labels, since], high * _SECONDS_PER_DAY)
            if f.exposed_oldest_days is not None:
                oldest.add_metric(labels, f.exposed_oldest_days * _SECONDS_PER_DAY)
    yield p50
    yield p90
    yield oldest


def fleet_registry(
    store: Store,
    policy: Policy,
    ttp_figures: Callable[[], TtpFigures] | None = None,
    *,
    clock: Callable[[], datetime],
) -> CollectorRegistry:
    """A registry of its own (never the global one) holding the fleet and run collectors.
    `ttp_figures`: how a server gets (and keeps, per evaluation) the time-to-patch figures; None
    reads them on every scrape. `clock`: the server's, which dates the lease age."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(store, policy, ttp_figures))
    registry.register(RunCollector(store, clock))
    return registry
