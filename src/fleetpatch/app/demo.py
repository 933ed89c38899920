"""Build the demo store: a realistic fleet with 90 days of history, from the shipped real data.

`build_demo` fills an empty store with

1. the demo catalog (`fleetpatch.simulate.demo_catalog`): real Debian 12 and AlmaLinux 9 versions
   with their first-seen times, stored as given (`CatalogRepository.add_dated`), one Release
   record per suite dated by its newest version;
2. every shipped AlmaLinux 9 OSV record (raw JSON kept);
3. for every second day of the last 90 up to today (`every`), the reports every host sent that
   day (`fleetpatch.simulate.history`) and an evaluation at that day's virtual clock, against
   the catalog and advisories as they were then, which writes that day's history points.

Upstream indexes are built once per distinct catalog/advisory cut, not per day, and each day's
reports go in one batch; a day is one transaction for the reports and one for the evaluation.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fleetpatch.advisories.index import AdvisoryIndex, build_index
from fleetpatch.advisories.records import Advisory
from fleetpatch.app.evaluate import EvaluationSummary, Upstream, evaluate_fleet
from fleetpatch.catalog.candidates import CatalogIndex
from fleetpatch.catalog.records import CatalogEntry
from fleetpatch.errors import InputError
from fleetpatch.policy.records import Policy
from fleetpatch.simulate.advisorydata import ShippedAdvisory, load_advisories
from fleetpatch.simulate.demo_catalog import (
    advisories_as_of,
    demo_catalog,
    entries_as_of,
)
from fleetpatch.simulate.fleet import generate_fleet
from fleetpatch.simulate.history import FleetHistory
from fleetpatch.simulate.packagedata import ALMALINUX_9, DEBIAN_12, load_ecosystem
from fleetpatch.store import PackageCache, ReportRepository, Store
from fleetpatch.store.advisories import AdvisoryRepository, OsvDocument
from fleetpatch.store.catalog import CatalogRepository, ReleaseImport

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
HOSTS_PER_IMAGE = 15  # a demo fleet shares images the way a real one does
# Evaluating costs about the same whatever the fleet size (distinct versions, not hosts): every
# second day keeps a 400-host demo well under a minute on two cores and the trend lines smooth.
DEFAULT_EVERY_DAYS = 2


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What `build_demo` stored, and today's evaluation."""

    hosts: int
    days: int
    reports: int
    package_sets: int
    catalog_entries: int
    advisories: int
    seconds: float
    today: EvaluationSummary


def build_demo(
    store: Store,
    policy: Policy,
    *,
    hosts: int,
    seed: int,
    now: datetime,
    every: int = DEFAULT_EVERY_DAYS,
    progress: Progress | None = None,
) -> DemoSummary:
    """Fill an empty `store` with the demo fleet of `hosts` hosts ending at `now`.

    Hosts report, and the fleet is evaluated, every `every` days of the 90 (and on `now`).
    """
    if hosts < 1:
        raise InputError("--hosts: the demo needs at least one host")
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    with store.session() as session:
        if ReportRepository(session).count():
            raise InputError("the demo needs an empty store: it would mix with the reports there")
    say("loading the shipped package data and advisories")
    ecosystems = {e: load_ecosystem(e) for e in (DEBIAN_12, ALMALINUX_9)}
    shipped = load_advisories()
    advisories = [s.advisory for s in shipped]
    catalog = demo_catalog(ecosystems[DEBIAN_12], ecosystems[ALMALINUX_9], advisories)
    say(f"storing {len(catalog)} catalog entries and {len(shipped)} advisories")
    store_upstream(store, catalog, shipped, now=now)
    images = max(5, hosts // HOSTS_PER_IMAGE)
    final = list(generate_fleet(hosts, seed=seed, now=now, images=images))
    history = FleetHistory(final, catalog, ecosystems, seed=seed, now=now)
    upstreams = _Upstreams(catalog, advisories)
    reports = 0
    cache = PackageCache()
    today: EvaluationSummary | None = None
    days = history.days(every)
    for day in days:
        batch = history.reports(day)
        with store.session(write=True) as session:
            reports += len(ReportRepository(session, cache).add_many(batch, received_at=day).stored)
        today = evaluate_fleet(store, policy, now=day, upstream=upstreams.at(day))
        if (now - day).days % 14 == 0:
            say(f"{day:%Y-%m-%d}: {len(batch)} reports, {today.fleet.patched} hosts patched")
    assert today is not None  # history.days() is never empty
    seconds = time.perf_counter() - started
    log.info("demo built in %.1f s", seconds)
    return DemoSummary(
        hosts=hosts,
        days=len(days),
        reports=reports,
        package_sets=history.distinct_sets,
        catalog_entries=len(catalog),
        advisories=len(shipped),
        seconds=seconds,
        today=today,
    )


class _Upstreams:
    """Indexes of the catalog and advisories as known at a moment, each built once per cut."""

    def __init__(self, catalog: Sequence[CatalogEntry], advisories: Sequence[Advisory]) -> None:
        self._catalog = catalog
        self._advisories = advisories
        self._catalogs: dict[int, CatalogIndex] = {}
        self._indexes: dict[int, AdvisoryIndex] = {}

    def at(self, when: datetime) -> Upstream:
        entries = entries_as_of(self._catalog, when)
        records = advisories_as_of(self._advisories, when)
        catalog = self._catalogs.get(len(entries))
        if catalog is None:
            catalog = self._catalogs[len(entries)] = CatalogIndex(entries)
        index = self._indexes.get(len(records))
        if index is None:
            index = self._indexes[len(records)] = build_index(records)
        return Upstream(catalog, index, len(entries), len(records))


def store_upstream(
    store: Store,
    catalog: Sequence[CatalogEntry],
    advisories: Sequence[ShippedAdvisory],
    *,
    now: datetime,
) -> None:
    """Store the catalog as dated Releases (oldest first) and the advisories, one transaction."""
    with store.session(write=True) as session:
        repository = CatalogRepository(session)
        for release, entries in releases_of(catalog):
            repository.add_dated(release, entries, now=now)
        AdvisoryRepository(session).upsert(
            [OsvDocument(s.advisory, s.raw) for s in advisories], now=now
        )


def releases_of(
    catalog: Sequence[CatalogEntry],
) -> list[tuple[ReleaseImport, list[CatalogEntry]]]:
    """One Release per (ecosystem, site, suite), dated by its newest entry."""
    grouped: defaultdict[tuple[str, str, str], list[CatalogEntry]] = defaultdict(list)
    for entry in catalog:
        grouped[(entry.ecosystem, entry.origin.site, entry.origin.suite)].append(entry)
    releases = []
    for (ecosystem, site, suite), entries in sorted(grouped.items()):
        origin = entries[0].origin
        release = ReleaseImport(
            ecosystem=ecosystem,
            kind="apt" if ecosystem == DEBIAN_12 else "rpm",
            site=site,
            suite=suite,
            date=max(e.first_seen for e in entries),
            archive=origin.archive,
            codename=origin.codename,
            location="fleetpatch demo data (see fleetpatch/simulate/data/SOURCES.md)",
        )
        releases.append((release, entries))
    return releases
