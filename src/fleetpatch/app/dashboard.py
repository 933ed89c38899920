"""Read use cases behind the dashboard pages and the JSON API: one function per view.

Each function opens one read transaction, gathers what its view shows and returns frozen records;
the web layer only renders them (HTML or JSON). Fleet figures come from `host_status` (kept current
by evaluation and by every ingested report), trends from the daily `history_points`, the host
view's per-package facts from the in-memory catalog and advisory indexes (`Upstream`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fleetpatch.advisories.records import Finding
from fleetpatch.app.cadence import bucket_forecast
from fleetpatch.app.evaluate import Upstream, host_facts
from fleetpatch.app.time_to_patch import TimeToPatch, time_to_patch
from fleetpatch.errors import UnknownNameError
from fleetpatch.exposure.facts import PackageFacts
from fleetpatch.exposure.rollups import Rollup
from fleetpatch.exposure.status import HostStatus
from fleetpatch.policy.records import Bucket, Owner, Policy
from fleetpatch.schedule.buckets import find_bucket, find_owner
from fleetpatch.schedule.forecast import Forecast
from fleetpatch.schedule.windows import Opening, next_openings
from fleetpatch.store import HostRepository, PackageVersion, ReportHeader, ReportRepository, Store
from fleetpatch.store.evaluations import (
    FLEET_KEY,
    NONE_KEY,
    EvaluationInfo,
    EvaluationRepository,
    HistoryPoint,
)
from fleetpatch.store.status_queries import (
    UPDATE_STATES,
    Breakdown,
    HostSort,
    StatusFilter,
    StatusPage,
    StatusQueries,
)

TREND_DAYS = 90
NEXT_WINDOWS = 3
HISTORY_LIMIT = 50


@dataclass(frozen=True, slots=True)
class BucketLine:
    """One overview row: a bucket (None: unclassified hosts) with its owner and next window."""

    rollup: Rollup
    owner: str | None
    next_window: Opening | None


@dataclass(frozen=True, slots=True)
class Overview:
    fleet: Rollup
    buckets: tuple[BucketLine, ...]
    owners: tuple[Rollup, ...]
    trend: tuple[HistoryPoint, ...]
    evaluation: EvaluationInfo | None
    unevaluable: int = 0
    """Hosts some of whose packages could not be evaluated (they count as `unknown`)."""
    unevaluable_first: tuple[tuple[str, str], ...] = ()
    """The first of them by name, with the reason."""
    p90_by_bucket: Mapping[str | None, float] = field(default_factory=dict)
    """Days behind, 90th percentile over each bucket's hosts (the unclassified under None)."""
    p90_by_owner: Mapping[str | None, float] = field(default_factory=dict)
    fleet_p90: float = 0.0
    time_to_patch: TimeToPatch | None = None
    """From the stored patch pairs: fleet, per bucket and per owner, by severity."""


@dataclass(frozen=True, slots=True)
class BucketView:
    bucket: Bucket
    owner: Owner | None
    rollup: Rollup
    by_update_state: dict[str, int]
    next_windows: tuple[Opening, ...]
    trend: tuple[HistoryPoint, ...]
    forecast: Forecast | None = None
    days_behind_p90: float = 0.0
    time_to_patch: TimeToPatch | None = None


@dataclass(frozen=True, slots=True)
class PackageLine:
    """One installed package of a host with what evaluation found about it."""

    package: PackageVersion
    facts: PackageFacts


@dataclass(frozen=True, slots=True)
class HostView:
    header: ReportHeader
    status: HostStatus | None
    outdated: tuple[PackageLine, ...]
    vulnerable: tuple[PackageLine, ...]
    drifted: tuple[PackageLine, ...]
    history: tuple[ReportHeader, ...]

    @property
    def outdated_by_source(self) -> list[tuple[str, list[PackageLine]]]:
        """Outdated binary packages grouped by the source package they are built from (one
        upgrade, one decision), the group furthest behind first."""
        groups: dict[str, list[PackageLine]] = {}
        for line in self.outdated:
            groups.setdefault(line.package.source or line.package.name, []).append(line)

        def behind(item: tuple[str, list[PackageLine]]) -> tuple[float, str]:
            days = max(
                (x.facts.update.days_behind for x in item[1] if x.facts.update is not None),
                default=0.0,
            )
            return (-days, item[0])

        return sorted(groups.items(), key=behind)

    @property
    def findings(self) -> list[tuple[Finding, PackageLine]]:
        """Every (advisory, package) pair, most severe first: what the on-call reads top down."""
        pairs = [(f, line) for line in self.vulnerable for f in line.facts.findings]
        return sorted(pairs, key=lambda p: (p[0].severity.rank, p[0].advisory_id))


def fleet_breakdown(store: Store) -> Breakdown:
    """Every current fleet figure, from one scan of the host states."""
    with store.session() as session:
        return StatusQueries(session).breakdown()


def overview(
    store: Store,
    policy: Policy,
    *,
    now: datetime,
    breakdown: Breakdown | None = None,
    ttp: Callable[[str | None], TimeToPatch] | None = None,
) -> Overview:
    """`breakdown`: figures the caller already has (a server caches them); None reads them.
    `ttp`: how a long-running caller gets (and keeps) the time-to-patch figures."""
    figures = breakdown if breakdown is not None else fleet_breakdown(store)
    with store.session() as session:
        repo = EvaluationRepository(session)
        evaluation = repo.latest()
        trend = _trend(repo, "fleet", FLEET_KEY, evaluation)
        unevaluable, first = repo.problems()
        p90 = StatusQueries(session).days_behind_p90()
    buckets = _with_empty_buckets(policy, figures.by_bucket())
    lines = tuple(_bucket_line(policy, r, now) for r in buckets)
    return Overview(
        figures.fleet(),
        lines,
        figures.by_owner(),
        tuple(trend),
        evaluation,
        unevaluable=unevaluable,
        unevaluable_first=tuple(first),
        p90_by_bucket=p90.by_bucket,
        p90_by_owner=p90.by_owner,
        fleet_p90=p90.fleet,
        time_to_patch=(ttp or (lambda b: time_to_patch(store, bucket=b)))(None),
    )


AUTO_FORECAST_HOSTS = 2000


def bucket_view(
    store: Store,
    policy: Policy,
    name: str,
    *,
    now: datetime,
    breakdown: Breakdown | None = None,
    forecast: bool | None = None,
    forecaster: Callable[[str], Forecast] | None = None,
    ttp: Callable[[str | None], TimeToPatch] | None = None,
) -> BucketView:
    """`forecast`: also plan and simulate the bucket's pending work. Left to None, it is done for
    buckets of up to `AUTO_FORECAST_HOSTS` hosts (well under a second) and only on request above
    (a bucket of tens of thousands of hosts takes seconds to minutes). `forecaster`: how a
    long-running caller computes (and caches) it instead."""
    bucket = find_bucket(policy, name)
    figures = breakdown if breakdown is not None else fleet_breakdown(store)
    rollup = next((r for r in figures.by_bucket() if r.key == name), Rollup(name))
    counts = figures.per_bucket(lambda c: c.by_update_state)
    with store.session() as session:
        repo = EvaluationRepository(session)
        trend = _trend(repo, "bucket", name, repo.latest())
        p90 = StatusQueries(session).days_behind_p90().by_bucket.get(name, 0.0)
    by_state = {state: counts.get((name, state), 0) for state in UPDATE_STATES}
    if forecast is None:
        forecast = rollup.hosts <= AUTO_FORECAST_HOSTS
    return BucketView(
        bucket=bucket,
        owner=policy.owner(bucket.owner),
        rollup=rollup,
        by_update_state=by_state,
        next_windows=tuple(windows_of(policy, bucket, now, NEXT_WINDOWS)),
        trend=tuple(trend),
        forecast=(forecaster or (lambda b: bucket_forecast(store, policy, b, now).forecast))(name)
        if forecast
        else None,
        days_behind_p90=p90,
        time_to_patch=(ttp or (lambda b: time_to_patch(store, bucket=b)))(name),
    )


def host_page(
    store: Store,
    where: StatusFilter,
    *,
    sort: HostSort = "days_behind",
    descending: bool = True,
    offset: int = 0,
    limit: int = 50,
) -> StatusPage:
    with store.session() as session:
        return StatusQueries(session).page(
            where, sort=sort, descending=descending, offset=offset, limit=limit
        )


def filter_choices(store: Store) -> dict[str, list[str]]:
    """Values the hosts page offers in its filter menus."""
    with store.session() as session:
        queries = StatusQueries(session)
        return {
            "bucket": queries.distinct("bucket"),
            "owner": queries.distinct("owner"),
            "ecosystem": queries.distinct("ecosystem"),
        }


def check_filter_names(
    policy: Policy, choices: Mapping[str, Sequence[str]], *, bucket: str, owner: str
) -> None:
    """A hosts filter naming a bucket or owner that neither the evaluated hosts (`choices`, from
    `filter_choices`) nor the policy know is `UnknownNameError`, the same line as
    `fleetpatch hosts --bucket` says, not an empty page. "" and `NONE_KEY` always pass."""
    if bucket not in ("", NONE_KEY, *choices["bucket"]):
        find_bucket(policy, bucket)
    if owner not in ("", NONE_KEY, *choices["owner"]):
        find_owner(policy, owner)


def host_view(
    store: Store,
    policy: Policy,
    hostname: str,
    *,
    now: datetime,
    upstream_for: Callable[[str], Upstream] | None = None,
) -> HostView:
    """`upstream_for(ecosystem)` gives loaded indexes (a server keeps them); None loads them."""
    with store.session() as session:
        hosts = HostRepository(session)
        header = hosts.current_for(hostname)
        if header is None:
            raise UnknownNameError("host", hostname, hosts.names())
        history = ReportRepository(session).history(hostname, limit=HISTORY_LIMIT)
    upstream = upstream_for(header.ecosystem) if upstream_for is not None else None
    status, pairs = host_facts(store, policy, hostname, now=now, upstream=upstream)
    lines = [PackageLine(p, f) for p, f in pairs]
    outdated = sorted(
        (x for x in lines if x.facts.outdated),
        key=lambda x: -(x.facts.update.days_behind if x.facts.update else 0.0),
    )
    return HostView(
        header=header,
        status=status,
        outdated=tuple(outdated),
        vulnerable=tuple(x for x in lines if x.facts.findings),
        drifted=tuple(x for x in lines if x.facts.drift and x.facts.drift.direction),
        history=tuple(history),
    )


def hosts_running(store: Store, ecosystem: str, package: str, version: str) -> tuple[int, ...]:
    """Package sets holding `package` at `version`: the hosts behind a drift page count."""
    with store.session() as session:
        return StatusQueries(session).sets_with(ecosystem, package, version)


def trend(store: Store, scope: str, key: str) -> list[HistoryPoint]:
    """The last `TREND_DAYS` of daily points, ending at the store's newest evaluation."""
    with store.session() as session:
        repo = EvaluationRepository(session)
        return _trend(repo, scope, key, repo.latest())


def windows_of(policy: Policy, bucket: Bucket, now: datetime, n: int) -> list[Opening]:
    if not bucket.windows:
        return []
    blackouts = (*policy.blackouts, *bucket.blackouts)
    return next_openings(bucket.windows, now, n, blackouts)


def _bucket_line(policy: Policy, rollup: Rollup, now: datetime) -> BucketLine:
    bucket = policy.bucket(rollup.key) if rollup.key else None
    if bucket is None:
        return BucketLine(rollup, None, None)
    opening = windows_of(policy, bucket, now, 1)
    return BucketLine(rollup, bucket.owner, opening[0] if opening else None)


def _with_empty_buckets(policy: Policy, rollups: Sequence[Rollup]) -> list[Rollup]:
    """Every policy bucket gets a row, even with no hosts yet (an empty bucket is news too)."""
    seen = {r.key for r in rollups}
    extra = [Rollup(b.name) for b in policy.buckets if b.name not in seen]
    return sorted([*rollups, *extra], key=lambda r: (r.key is None, r.key or ""))


def _trend(
    repo: EvaluationRepository, scope: str, key: str, latest: EvaluationInfo | None
) -> list[HistoryPoint]:
    """A trend ends at the newest evaluation, not at the wall clock: a store built or restored
    "as of" a time shows that time, and a store nobody evaluated for a while shows its last
    90 days rather than an empty chart."""
    if latest is None:
        return []
    end = latest.evaluated_at.date()
    return repo.history(scope, key, end - timedelta(days=TREND_DAYS), until=end)


__all__ = ["NONE_KEY", "BucketLine", "BucketView", "HostView", "Overview", "PackageLine"]
