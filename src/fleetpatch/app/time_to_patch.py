"""Time to patch, read from the stored (advisory, host) patch pairs: the fleet's, per bucket and
per owner, by severity, with the daily trend; and one CVE's burn-down.

Figures end at the store's newest evaluation, never the wall clock (definitions in
`fleetpatch.exposure.time_to_patch`). Nothing here reads report history: evaluation keeps the
pairs current (`fleetpatch.exposure.patching`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from fleetpatch.exposure.patching import PatchPair
from fleetpatch.exposure.time_to_patch import (
    WINDOW_DAYS,
    PatchFigures,
    TrendPoint,
    burn_down,
    figures_by,
    trend,
)
from fleetpatch.store import Store
from fleetpatch.store.evaluations import EvaluationRepository
from fleetpatch.store.patch_pairs import PatchPairRepository


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """A bucket's or owner's figures (`key` None: unclassified hosts), one row per severity."""

    key: str | None
    rows: tuple[PatchFigures, ...]

    @property
    def overall(self) -> PatchFigures:
        return self.rows[-1]


@dataclass(frozen=True, slots=True)
class TimeToPatch:
    end: datetime | None
    """The newest evaluation: where the 90-day window and the exposure ages end."""
    fleet: tuple[PatchFigures, ...] = ()
    by_bucket: tuple[GroupFigures, ...] = ()
    by_owner: tuple[GroupFigures, ...] = ()
    trend: tuple[TrendPoint, ...] = ()


def time_to_patch(store: Store, *, bucket: str | None = None) -> TimeToPatch:
    """The fleet's figures, or one bucket's (`bucket`: then `fleet` is that bucket's)."""
    with store.session() as session:
        latest = EvaluationRepository(session).latest()
        if latest is None:
            return TimeToPatch(None)
        pairs = PatchPairRepository(session).pairs(bucket=bucket)
    return figures_of(pairs, end=latest.evaluated_at)


def time_to_patch_all(store: Store) -> tuple[TimeToPatch, dict[str, TimeToPatch]]:
    """The fleet's figures and each bucket's, from one read of the pairs (what a server keeps;
    `time_to_patch` per bucket would read them once per bucket)."""
    with store.session() as session:
        latest = EvaluationRepository(session).latest()
        if latest is None:
            return TimeToPatch(None), {}
        pairs = PatchPairRepository(session).pairs()
    end = latest.evaluated_at
    by_bucket: dict[str, list[PatchPair]] = {}
    for pair in pairs:
        if pair.bucket is not None:
            by_bucket.setdefault(pair.bucket, []).append(pair)
    buckets = {name: figures_of(group, end=end) for name, group in by_bucket.items()}
    return figures_of(pairs, end=end), buckets


def figures_of(pairs: Sequence[PatchPair], *, end: datetime) -> TimeToPatch:
    fleet = figures_by(pairs, lambda _: "", end=end).get("", ())
    return TimeToPatch(
        end=end,
        fleet=fleet,
        by_bucket=_groups(figures_by(pairs, lambda p: p.bucket, end=end)),
        by_owner=_groups(figures_by(pairs, lambda p: p.owner, end=end)),
        trend=trend(pairs, end=end),
    )


def _groups(found: dict[str | None, tuple[PatchFigures, ...]]) -> tuple[GroupFigures, ...]:
    ordered = sorted(found.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
    return tuple(GroupFigures(k, rows) for k, rows in ordered)


MetricFigures = tuple[
    datetime | None, dict[tuple[str | None, str | None], tuple[PatchFigures, ...]]
]


def metric_figures(store: Store) -> MetricFigures:
    """Per (bucket, owner): the figures by severity, for `/metrics`."""
    with store.session() as session:
        latest = EvaluationRepository(session).latest()
        if latest is None:
            return None, {}
        end = latest.evaluated_at
        pairs = PatchPairRepository(session).pairs(since=end - timedelta(days=WINDOW_DAYS))
    return end, figures_by(pairs, lambda p: (p.bucket, p.owner), end=end)


@dataclass(frozen=True, slots=True)
class BucketTime:
    """How long one bucket took for one CVE: disclosure to its last host patched."""

    bucket: str | None
    hosts: int
    open: int
    last_patched_at: datetime | None
    days: float | None


@dataclass(frozen=True, slots=True)
class CvePatching:
    pairs: tuple[PatchPair, ...]
    burn_down: tuple[tuple[date, int], ...]
    buckets: tuple[BucketTime, ...]


def cve_patching(
    store: Store, advisory_ids: Collection[str], disclosed_at: datetime | None
) -> CvePatching:
    """One CVE (its advisories) from the stored pairs: per host, affected from its first pair's
    `affected_since` until its last pair's `patched_at`; the burn-down of affected hosts per day
    up to the newest evaluation; and the time each bucket took."""
    with store.session() as session:
        latest = EvaluationRepository(session).latest()
        pairs = PatchPairRepository(session).pairs(advisory_ids=advisory_ids)
    hosts = per_host(pairs)
    if not hosts or latest is None:
        return CvePatching(tuple(pairs), (), ())
    first = min(p.affected_since for p in hosts).date()
    if disclosed_at is not None:
        first = min(first, disclosed_at.date())
    chart = burn_down(hosts, first=first, last=latest.evaluated_at.date())
    return CvePatching(tuple(pairs), chart, bucket_times(hosts, disclosed_at))


def per_host(pairs: Sequence[PatchPair]) -> list[PatchPair]:
    """One pair per host: the earliest `affected_since`, and `patched_at` the latest of its
    pairs' (None while any is open)."""
    by_host: dict[str, list[PatchPair]] = {}
    for p in pairs:
        by_host.setdefault(p.hostname, []).append(p)
    out = []
    for group in by_host.values():
        opened = min(group, key=lambda p: p.affected_since)
        closes = [p.patched_at for p in group]
        done = None if any(c is None for c in closes) else max(c for c in closes if c)
        out.append(replace(opened, patched_at=done))
    return out


def bucket_times(
    hosts: Sequence[PatchPair], disclosed_at: datetime | None
) -> tuple[BucketTime, ...]:
    by_bucket: dict[str | None, list[PatchPair]] = {}
    for p in hosts:
        by_bucket.setdefault(p.bucket, []).append(p)
    out = []
    for bucket, group in sorted(by_bucket.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
        still = sum(p.open for p in group)
        last = None if still else max(p.patched_at for p in group if p.patched_at)
        days = None
        if last is not None and disclosed_at is not None:
            days = max(0.0, (last - disclosed_at).total_seconds() / 86400.0)
        out.append(BucketTime(bucket, len(group), still, last, days))
    return tuple(out)
