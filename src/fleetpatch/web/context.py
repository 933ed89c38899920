"""What every request handler needs, built once by `create_app` and kept on `app.state`.

`WebContext` holds the store, the policy, the clock, whether auth is on, and the in-memory
catalog/advisory indexes (`Upstream`) per ecosystem, loaded on first use and shared by all
requests, so the host page and `POST /api/v1/reports` compute package facts without re-reading
the catalog (`serve` warms them in the background at start).

The fleet figures (one aggregate scan of `host_status`) are cached for the overview and bucket
pages (see `cache.py`): a report posted here or a new evaluation refreshes them at once; writes
by other processes show within `FIGURES_TTL_SECONDS` plus one scan, refreshed in the background.
`/metrics` never uses the cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import Request

from fleetpatch.app.cadence import bucket_forecast
from fleetpatch.app.dashboard import filter_choices, fleet_breakdown
from fleetpatch.app.evaluate import Upstream, load_upstream
from fleetpatch.app.queries import DriftRow, drift_report
from fleetpatch.app.time_to_patch import (
    MetricFigures,
    TimeToPatch,
    figures_of,
    metric_figures,
    time_to_patch_all,
)
from fleetpatch.policy.records import Policy
from fleetpatch.schedule.forecast import Forecast
from fleetpatch.settings import Settings
from fleetpatch.store import Store
from fleetpatch.store.evaluations import EvaluationRepository
from fleetpatch.store.status_queries import Breakdown
from fleetpatch.web.cache import EvaluationCache, FreshCache

Clock = Callable[[], datetime]
MAX_REPORT_BYTES = 16 * 2**20
# How stale the overview may be after writes by *other* processes (CLI ingest); writes through
# this server and new evaluations show at once.
FIGURES_TTL_SECONDS = 10.0
ALL = "*"
TOKEN_USE_EVERY_SECONDS = 300.0


@dataclass(slots=True)
class WebContext:
    settings: Settings
    store: Store
    policy: Policy
    clock: Clock
    auth: bool
    max_report_bytes: int = MAX_REPORT_BYTES
    figures_ttl: float = FIGURES_TTL_SECONDS
    _upstream: dict[str, Upstream] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cache: FreshCache = field(default_factory=lambda: FreshCache(FIGURES_TTL_SECONDS))
    _writes: threading.Lock = field(default_factory=threading.Lock)
    _used: dict[int, float] = field(default_factory=dict)
    _forecasts: dict[tuple[str, int | None, str], Forecast] = field(default_factory=dict)
    _by_evaluation: EvaluationCache = field(default_factory=EvaluationCache)

    def note_use(self, token_id: int) -> bool:
        """True when this token's last use should be written now (at most every few minutes)."""
        now = time.monotonic()
        with self._lock:
            last = self._used.get(token_id)
            if last is not None and now - last < TOKEN_USE_EVERY_SECONDS:
                return False
            self._used[token_id] = now
            return True

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Serialise this process's writers on SQLite (one writer at a time anyway): they queue
        on a lock in order instead of polling SQLite's busy handler, where some would starve
        past the busy timeout under 50 concurrent posts. PostgreSQL writers run concurrently."""
        if self.store.dialect != "sqlite":
            yield
            return
        with self._writes:
            yield

    def figures(self) -> Breakdown:
        """The fleet breakdown, cached until a write here, a new evaluation, or the TTL."""
        found: Breakdown = self._cached("figures", lambda: fleet_breakdown(self.store))
        return found

    def choices(self) -> dict[str, list[str]]:
        """The hosts page's filter menus, cached like the figures."""
        found: dict[str, list[str]] = self._cached("choices", lambda: filter_choices(self.store))
        return found

    def drift(self, package: str | None) -> list[DriftRow]:
        """The drift report (all packages, or one), cached like the figures."""

        def compute() -> list[DriftRow]:
            return drift_report(
                self.store,
                self.policy,
                now=self.clock(),
                package=package,
                upstream=self.upstream_all(),
            )

        found: list[DriftRow] = self._cached(f"drift:{package or ''}", compute)
        return found

    def time_to_patch(self, bucket: str | None = None) -> TimeToPatch:
        """Time-to-patch figures (fleet, or one bucket's), kept per evaluation: they read every
        stored patch pair (seconds at 100,000 hosts), once for the fleet and all buckets, and a
        newer evaluation is computed behind while the previous figures are served."""
        found: tuple[TimeToPatch, dict[str, TimeToPatch]] = self._by_evaluation.get(
            "ttp", self._latest_id(), lambda: time_to_patch_all(self.store)
        )
        fleet, buckets = found
        if bucket is None:
            return fleet
        if bucket in buckets or fleet.end is None:
            return buckets.get(bucket, fleet)
        return figures_of([], end=fleet.end)  # a bucket with no pairs, as time_to_patch says

    def metric_figures(self) -> MetricFigures:
        """The time-to-patch gauges' figures for /metrics, kept like `time_to_patch`."""
        found: MetricFigures = self._by_evaluation.get(
            "ttp-metrics", self._latest_id(), lambda: metric_figures(self.store)
        )
        return found

    def _latest_id(self) -> int | None:
        with self.store.session() as session:
            latest = EvaluationRepository(session).latest()
        return latest.id if latest else None

    def forget_figures(self) -> None:
        """A host changed through this process: the next read recomputes the figures."""
        self._cache.clear()

    def _cached(self, name: str, compute: Callable[[], Any]) -> Any:
        self._cache.ttl = self.figures_ttl
        return self._cache.get(name, self._latest_id(), compute)

    def upstream(self, ecosystem: str) -> Upstream:
        """The catalog and advisory indexes of one ecosystem, loaded once (thread-safe)."""
        with self._lock:
            found = self._upstream.get(ecosystem)
            if found is None:
                with self.store.session() as session:
                    found = self._upstream[ecosystem] = load_upstream(session, [ecosystem])
            return found

    def upstream_all(self) -> Upstream:
        """The indexes of every ecosystem (the drift page looks across the fleet)."""
        with self._lock:
            found = self._upstream.get(ALL)
            if found is None:
                with self.store.session() as session:
                    found = self._upstream[ALL] = load_upstream(session)
            return found

    def loaded_upstream(self, ecosystem: str) -> Upstream | None:
        """The indexes if already loaded; never waits for a load."""
        return self._upstream.get(ecosystem)

    def forecast(self, bucket: str) -> Forecast:
        """The bucket's "fully patched by" forecast, computed once per evaluation and hour.

        It plans and simulates the bucket's pending work from the last evaluation, so it is kept
        with that evaluation; the hour keeps "the next windows" current as time passes.
        """
        now = self.clock()
        key = (bucket, self._latest_id(), now.strftime("%Y-%m-%dT%H"))
        with self._lock:
            found = self._forecasts.get(key)
        if found is None:
            made = bucket_forecast(
                self.store, self.policy, bucket, now, upstream=self.upstream_all()
            )
            found = made.forecast
            with self._lock:
                stale = [k for k in self._forecasts if k[0] == bucket]
                for k in stale:
                    del self._forecasts[k]
                self._forecasts[key] = found
        return found

    def forget_upstream(self) -> None:
        """Drop the loaded indexes (after a catalog or advisory import) so the next use reloads."""
        with self._lock:
            self._upstream.clear()


def context_of(request: Request) -> WebContext:
    context: WebContext = request.app.state.fleetpatch
    return context
