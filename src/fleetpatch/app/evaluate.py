"""Evaluation use cases: the whole fleet at once, or one host after a new report.

`evaluate_fleet` loads what the store knows (current reports, package sets, distinct package
versions, catalog, advisories), runs the pure evaluation (`fleetpatch.exposure`) and writes the
derived rows in one transaction, patch pairs included (only the pairs that changed). `Upstream`
holds the loaded catalog and advisory indexes so a long-running process (the server) loads them
once and re-evaluates single hosts in milliseconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from fleetpatch.advisories.ecosystems import lookup_ecosystems
from fleetpatch.advisories.index import AdvisoryIndex
from fleetpatch.catalog.candidates import CatalogIndex
from fleetpatch.errors import NotFoundError, UnknownNameError
from fleetpatch.exposure.drift import canonical_levels
from fleetpatch.exposure.evaluate import FleetEvaluation, unevaluable, with_problem
from fleetpatch.exposure.evaluate import evaluate_fleet as evaluate_pure
from fleetpatch.exposure.facts import (
    PackageFacts,
    Sources,
    known_suites,
    match_triple,
    package_facts,
    shadowed,
    shadowing,
)
from fleetpatch.exposure.patching import (
    Exposure,
    PatchPair,
    advance_pairs,
    fix_times,
    published_times,
    set_exposures,
)
from fleetpatch.exposure.rollups import Rollup
from fleetpatch.exposure.sets import FactTable, SetSummary, summarise_set
from fleetpatch.exposure.status import HostStatus, evaluate_host
from fleetpatch.policy.records import Policy
from fleetpatch.store import HostRepository, PackageRepository, PackageVersion, Store
from fleetpatch.store.advisories import AdvisoryRepository
from fleetpatch.store.catalog import CatalogRepository
from fleetpatch.store.evaluations import (
    FLEET_KEY,
    NONE_KEY,
    EvaluationInfo,
    EvaluationRepository,
    HistoryPoint,
)
from fleetpatch.store.fleet import FleetReader
from fleetpatch.store.patch_pairs import PatchPairRepository, split_changes
from fleetpatch.store.records import ReportHeader

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Upstream:
    """The catalog and advisories as loaded indexes, plus their sizes for the record."""

    catalog: CatalogIndex
    advisories: AdvisoryIndex
    catalog_entries: int
    advisory_records: int

    def sources(self, policy: Policy, keys: Collection[tuple[str, str]], now: datetime) -> Sources:
        ecosystems = sorted({eco for eco, _ in keys})
        levels = canonical_levels(
            policy.baselines,
            self.catalog,
            ecosystems=ecosystems,
            now=now,
            default_soak_days=policy.defaults.soak_days,
            packages=keys,
            default_owner=policy.defaults.baseline_owner,
            suites_for=known_suites,
        )
        return Sources(catalog=self.catalog, advisories=self.advisories, levels=levels)


@dataclass(frozen=True, slots=True)
class EvaluationSummary:
    info: EvaluationInfo
    fleet: Rollup
    by_bucket: tuple[Rollup, ...]
    by_owner: tuple[Rollup, ...]


def load_upstream(
    session: Session,
    ecosystems: Iterable[str] | None = None,
    versions: Iterable[PackageVersion] | None = None,
) -> Upstream:
    """Load the catalog and advisory indexes, for some ecosystems or all.

    With `versions` (the fleet's distinct package versions), only the catalog entries and
    advisory entries of those packages are loaded and compiled: enough for a full evaluation, and
    far cheaper. A long-running process that must also evaluate package sets it has not seen yet
    loads without `versions`.
    """
    wanted = None if ecosystems is None else sorted(set(ecosystems))
    names: set[str] | None = None
    keys: set[tuple[str, str]] | None = None
    if versions is not None:
        names, keys = set(), set()
        for v in versions:
            names.add(v.name)
            eco, package, _ = match_triple(v)
            keys.update((e, package) for e in lookup_ecosystems(eco))
    catalog = CatalogRepository(session).index(wanted, names)
    advisories_repo = AdvisoryRepository(session)
    advisories = advisories_repo.index(wanted, keys)
    return Upstream(
        catalog=catalog,
        advisories=advisories,
        catalog_entries=len(catalog),
        advisory_records=sum(advisories_repo.count_by_ecosystem().values()),
    )


def evaluate_fleet(
    store: Store,
    policy: Policy,
    *,
    now: datetime,
    upstream: Upstream | None = None,
    progress: Progress | None = None,
) -> EvaluationSummary:
    """Evaluate every host and replace the stored status; one transaction."""
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    with store.session(write=True) as session:
        fleet = FleetReader(session)
        say("loading hosts")
        hosts = fleet.current_headers()
        refs = fleet.host_refs()
        say(f"loading package sets of {len(hosts)} hosts")
        sets = fleet.set_members({h.package_set_id for h in hosts})
        versions = {v.id: v for v in PackageRepository(session).distinct_versions()}
        say(f"loading catalog and advisories ({len(versions)} distinct package versions)")
        upstream = upstream or load_upstream(
            session, {h.ecosystem for h in hosts}, versions.values()
        )
        sources = upstream.sources(policy, _package_names(versions.values()), now)
        say("evaluating")
        result = evaluate_pure(hosts, sets, versions, policy=policy, sources=sources, now=now)
        _log_problems(result.hosts)
        say(f"writing {len(result.hosts)} host states")
        info = EvaluationInfo(
            id=0,
            evaluated_at=now,
            hosts=len(hosts),
            package_sets=len(sets),
            package_versions=len(versions),
            catalog_entries=upstream.catalog_entries,
            advisories=upstream.advisory_records,
            seconds=0.0,
        )
        repo = EvaluationRepository(session)
        before, exposed_before = repo.pair_inputs(), repo.all_exposures()
        evaluation_id = repo.add_evaluation(info)
        repo.replace_all(
            result.hosts,
            refs,
            result.sets,
            evaluation_id=evaluation_id,
            evaluated_at=now,
            exposures=result.exposures,
        )
        say("updating patch pairs")
        moved = _moved(hosts, result, before, exposed_before)
        opened, changed = update_pairs(PatchPairRepository(session), moved, only_these=True)
        log.info("patch pairs: %d opened, %d changed", opened, changed)
        repo.record_history(history_points(result, now))
        seconds = time.perf_counter() - started
        repo.set_seconds(evaluation_id, seconds)
    info = replace(info, id=evaluation_id, seconds=seconds)
    log.info("evaluated %d hosts in %.2f s", len(hosts), seconds)
    return EvaluationSummary(info, result.fleet, result.by_bucket, result.by_owner)


def _moved(
    hosts: Sequence[ReportHeader],
    result: FleetEvaluation,
    before: Mapping[str, tuple[int, bool, str | None, str | None]],
    exposed_before: Mapping[tuple[int, str], Mapping[str, Exposure] | None],
) -> list[tuple[HostStatus, Mapping[str, Exposure]]]:
    """The hosts whose pairs may change: those whose package set, reboot pending, bucket or owner
    moved since their pairs were last advanced, or whose set's exposures did. Advancing is
    idempotent, so for every other host it would write nothing: skipping them keeps a steady
    fleet's evaluation from reading every pair."""
    moved: list[tuple[HostStatus, Mapping[str, Exposure]]] = []
    for h, s in zip(hosts, result.hosts, strict=True):
        key = (h.package_set_id, h.arch)
        exposures = result.exposures.get(key, {})
        last = (h.package_set_id, s.reboot == "pending_reboot", s.bucket, s.owner)
        if before.get(h.hostname) != last or exposed_before.get(key) != exposures:
            moved.append((s, exposures))
    return moved


def update_pairs(
    repo: PatchPairRepository,
    evaluated: Sequence[tuple[HostStatus, Mapping[str, Exposure]]],
    *,
    only_these: bool = False,
) -> tuple[int, int]:
    """Open, close, reopen and follow the (advisory, host) pairs of the evaluated hosts; write
    only what changed. Returns (opened, changed). A host not given keeps its pairs as they are.
    `only_these` loads just these hosts' pairs instead of all."""
    names = [s.hostname for s, _ in evaluated]
    stored = repo.by_host(names if only_these else None)
    changes: list[PatchPair] = []
    for status, exposures in evaluated:
        changes.extend(advance_pairs(status, exposures, stored.get(status.hostname, {})))
    new, changed = split_changes(changes, stored)
    repo.write(new, changed)
    return len(new), len(changed)


def _log_problems(statuses: Sequence[HostStatus]) -> None:
    """Once per evaluation, not once per host: which hosts could not be wholly evaluated."""
    hurt = [s for s in statuses if s.problem]
    if hurt:
        names = ", ".join(s.hostname for s in hurt[:5]) + (" ..." if len(hurt) > 5 else "")
        log.warning(
            "%d host(s) could not be wholly evaluated and are 'unknown' (%s); first: %s: %s",
            len(hurt),
            names,
            hurt[0].hostname,
            hurt[0].problem,
        )


def _package_names(versions: Iterable[PackageVersion]) -> set[tuple[str, str]]:
    return {(v.ecosystem, v.name) for v in versions}


def history_points(result: FleetEvaluation, now: datetime) -> list[HistoryPoint]:
    """Today's points: the fleet, every bucket and every owner."""
    day = now.date()
    groups: list[tuple[str, Sequence[Rollup]]] = [
        ("fleet", (result.fleet,)),
        ("bucket", result.by_bucket),
        ("owner", result.by_owner),
    ]
    return [
        HistoryPoint(
            day=day,
            scope=scope,
            key=FLEET_KEY if scope == "fleet" else (r.key or NONE_KEY),
            hosts=r.hosts,
            patched=r.patched,
            critical_or_high=r.critical_or_high,
            pending_reboot=r.pending_reboot,
            stale=r.stale,
            uptime_over_limit=r.uptime_over_limit,
            drifted=r.drifted,
            unclassified=r.unclassified,
            days_behind_mean=r.days_behind_mean,
            days_behind_max=r.days_behind_max,
        )
        for scope, rollups in groups
        for r in rollups
    ]


def evaluate_host_now(
    store: Store,
    policy: Policy,
    hostname: str,
    *,
    now: datetime,
    upstream: Upstream | None = None,
) -> HostStatus:
    """Re-evaluate one host after a new report; rollups follow because they are SQL aggregates.

    A package set already summarised by the last evaluation needs neither the catalog nor the
    advisories; a new set is summarised from its members (with `upstream`, loaded once by a
    long-running caller, this stays in milliseconds).
    """
    with store.session(write=True) as session:
        header = HostRepository(session).current_for(hostname)
        if header is None:
            raise NotFoundError(f"host {hostname!r} has no report")
        repo = EvaluationRepository(session)
        key = (header.package_set_id, header.arch)
        summary = repo.summary(*key)
        exposures = repo.exposures(*key) if summary is not None else None
        if summary is None or exposures is None:
            fresh, exposures = _summarise_one(session, policy, header, upstream, now)
            latest = repo.latest()
            if summary is not None:
                repo.save_exposures(*key, exposures)
            elif latest is not None:
                repo.add_summary(*key, fresh, evaluation_id=latest.id, exposures=exposures)
            summary = summary or fresh
        status = evaluate_host(header, summary, policy=policy, now=now)
        refs = FleetReader(session).host_refs([hostname])
        repo.upsert_status(status, refs[hostname], now)
        update_pairs(PatchPairRepository(session), [(status, exposures)], only_these=True)
        return status


def _summarise_one(
    session: Session,
    policy: Policy,
    header: ReportHeader,
    upstream: Upstream | None,
    now: datetime,
) -> tuple[SetSummary, dict[str, Exposure]]:
    """Tier 2 and the exposures of one host's (set, arch), from its members' facts."""
    members = FleetReader(session).set_members({header.package_set_id})
    set_ids = members[header.package_set_id]
    versions = PackageRepository(session).versions(set_ids)
    bad = unevaluable(versions, set_ids)
    clean = {vid: v for vid, v in versions.items() if vid not in bad}
    ids = set(clean)
    upstream = upstream or load_upstream(session, [header.ecosystem], versions.values())
    sources = upstream.sources(policy, _package_names(versions.values()), now)
    facts = package_facts({header.arch: ids}, versions, sources=sources, now=now)
    shadows = shadowing(clean)
    table = FactTable.build(facts, header.arch, shadows)
    summary = with_problem(summarise_set(set_ids, table), set_ids, bad, versions)
    key = (header.package_set_id, header.arch)
    exposures = set_exposures(
        [key],
        {header.package_set_id: ids},
        facts,
        shadows=shadows,
        published=published_times(sources.advisories),
        fix_time=fix_times(versions, sources.catalog, sources.suites_for),
    )
    return summary, exposures[key]


PackageRows = list[tuple[PackageVersion, PackageFacts]]


def host_facts(
    store: Store, policy: Policy, hostname: str, *, now: datetime, upstream: Upstream | None = None
) -> tuple[HostStatus | None, PackageRows]:
    """One host's stored status and the facts of each of its packages (for `outdated`/`vulns`)."""
    with store.session() as session:
        hosts = HostRepository(session)
        header = hosts.current_for(hostname)
        if header is None:
            raise UnknownNameError("host", hostname, hosts.names())
        key = (header.package_set_id, header.arch)
        rows = set_facts(session, policy, [key], now=now, upstream=upstream)[key]
        status = EvaluationRepository(session).status(hostname)
    return status, rows


def set_facts(
    session: Session,
    policy: Policy,
    keys: Collection[tuple[int, str]],
    *,
    now: datetime,
    upstream: Upstream | None = None,
) -> dict[tuple[int, str], PackageRows]:
    """The facts of every package of each (package set, host architecture), by package name.

    Hosts on one set share these rows, so a plan or a forecast over thousands of hosts computes
    them once per set. An older version an install-only newer one shadows is left out.
    """
    members = FleetReader(session).set_members({set_id for set_id, _ in keys})
    every = {vid for ids in members.values() for vid in ids}
    versions = PackageRepository(session).versions(every)
    upstream = upstream or load_upstream(
        session, {v.ecosystem for v in versions.values()}, versions.values()
    )
    sources = upstream.sources(policy, _package_names(versions.values()), now)
    by_arch: dict[str, set[int]] = {}
    for set_id, arch in keys:
        by_arch.setdefault(arch, set()).update(members.get(set_id, ()))
    bad = unevaluable(versions, every)  # left out: see fleetpatch.exposure.evaluate
    if bad:
        by_arch = {arch: ids - bad.keys() for arch, ids in by_arch.items()}
    facts = package_facts(by_arch, versions, sources=sources, now=now)
    shadows = shadowing({vid: v for vid, v in versions.items() if vid not in bad})
    rows: dict[tuple[int, str], PackageRows] = {}
    for set_id, arch in keys:
        ids = set(members.get(set_id, ())) - bad.keys()
        rows[(set_id, arch)] = sorted(
            ((versions[vid], facts[(arch, vid)]) for vid in ids if not shadowed(vid, ids, shadows)),
            key=lambda pair: (pair[0].name, pair[0].arch),
        )
    return rows
