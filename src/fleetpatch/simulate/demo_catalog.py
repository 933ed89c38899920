"""The demo's catalog: what upstream offered, and since when, from the shipped real data (pure).

Every entry is a real version from `data/` (see `data/SOURCES.md`); only some first-seen times are
simulated, and those are marked inexact ("at least since"):

- AlmaLinux 9: each version is offered from the `published` date of the earliest advisory that
  fixes it (real, exact). OSV records do not name the repository, so every entry is filed under
  `baseos` (a default AlmaLinux repository) with the label `AlmaLinux errata (OSV)`. A version is a
  security update when an `ALSA-` record fixes it (`ALBA-`/`ALEA-` are bug fix and enhancement).
- Debian 12: the versions the bookworm, bookworm-updates and bookworm-security lists carried, with
  their real origins. The lists give a Release date per suite, the latest moment each version was
  known to be published. A bookworm version without a `deb12u` stable-update suffix is dated to
  bookworm's release (2023-06-10), except the kernel's (its stable updates carry no suffix); the
  other versions of one source package are spread back from
  their suite's Release date in version order (newest latest, a stable pseudo-random gap between
  consecutive versions), never before bookworm's release. The newest versions of the non-kernel
  sources updated since bookworm's last point release are spread evenly over the time since it
  (a stretch each, jittered within it), so updates keep arriving through the demo's 90 days.
  Those spread times are simulated.
  Versions no list carries any more (`installed-here`, `snapshot.debian.org` rows) are not
  offered: hosts can still have them installed, as real hosts do.

`entries_as_of` and `advisories_as_of` cut the catalog and the advisories back to what was known on
a past day, so evaluating history never sees a version before it was published.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from fleetpatch.advisories.records import FIXED, Advisory
from fleetpatch.catalog.records import CatalogEntry, Origin
from fleetpatch.simulate.images import unit
from fleetpatch.simulate.packagedata import (
    ALMALINUX_9,
    DEBIAN_12,
    EcosystemData,
    PackageHistory,
    VersionRow,
)
from fleetpatch.versions import sort_key

BOOKWORM_RELEASED = datetime(2023, 6, 10, tzinfo=UTC)
# `Date:` of the Release files the Debian data was read from (data/SOURCES.md).
DEBIAN_RELEASE_DATES = {
    "bookworm": datetime(2026, 7, 11, 10, 16, 37, tzinfo=UTC),
    "bookworm-updates": datetime(2026, 11, 26, 2, 14, 46, tzinfo=UTC),
    "bookworm-security": datetime(2026, 11, 25, 22, 33, 12, tzinfo=UTC),
}
_ARCHIVES = {
    "bookworm": "oldstable",
    "bookworm-updates": "oldstable-updates",
    "bookworm-security": "oldstable-security",
}
NEWEST_GAP_DAYS = (0.5, 75.0)  # before its suite's Release date, the newest kernel of a series
# The newest version of any other source updated after bookworm's last point release (2026-07-11,
# 137 days before the security list) was published anywhere since that point release.
NEWEST_UPDATE_GAP_DAYS = (0.5, 137.0)
STEP_GAP_DAYS = (7.0, 90.0)  # between consecutive versions of one source
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_Row = tuple[PackageHistory, VersionRow]


def debian_origin(suite: str) -> Origin:
    """The origin apt reports for one of the bookworm suites on deb.debian.org."""
    security = suite.endswith("-security")
    return Origin(
        archive=_ARCHIVES[suite],
        suite=suite,
        codename=suite,
        label="Debian-Security" if security else "Debian",
        component="main",
        security=security,
        origin="Debian",
        site="deb.debian.org",
    )


def alma_origin(security: bool) -> Origin:
    return Origin(
        archive="baseos",
        suite="baseos",
        codename="almalinux-9",
        label="AlmaLinux errata (OSV)",
        component="",
        security=security,
        origin="AlmaLinux",
        site="errata.almalinux.org",
    )


def demo_catalog(
    debian: EcosystemData, alma: EcosystemData, advisories: Iterable[Advisory]
) -> list[CatalogEntry]:
    """Every offered version of both ecosystems, sorted by (ecosystem, name, version)."""
    entries = debian_entries(debian) + alma_entries(alma, advisories)
    return sorted(entries, key=lambda e: (e.ecosystem, e.name, e.version, e.arch))


def debian_entries(data: EcosystemData) -> list[CatalogEntry]:
    histories = list(data.packages) + [k.package for k in data.kernels]
    groups: defaultdict[str, list[_Row]] = defaultdict(list)
    for history in histories:
        for row in history.versions:
            if row.origin in DEBIAN_RELEASE_DATES:
                groups[history.group].append((history, row))
    entries: list[CatalogEntry] = []
    shares = _newest_shares(groups)
    for group, rows in sorted(groups.items()):
        times = _spread(group, rows, shares.get(group))
        entries.extend(_debian_entry(h, r, times[r.source_version]) for h, r in rows)
    return entries


def _newest_shares(groups: Mapping[str, Sequence[_Row]]) -> dict[str, float]:
    """Where in NEWEST_UPDATE_GAP_DAYS the newest version of each non-kernel source updated
    after the point release falls, in [0, 1).

    Those sources are shuffled (stably) and each gets its own stretch of the gap, with a stable
    jitter inside it, so one arrives every few days: independent random times clump and leave
    droughts that flip the whole fleet between "patched" and "behind" at once (a drought of
    seven weeks made every host "patched" for the first twelve days of the demo's history).
    Kernels keep their own dates (`NEWEST_GAP_DAYS`).
    """
    late = sorted(
        (g for g, rows in groups.items() if not g.startswith("linux") and _newest_is_late(rows)),
        key=lambda g: unit(g, "newest-order"),
    )
    return {g: (i + 0.375 + 0.25 * unit(g, "newest")) / len(late) for i, g in enumerate(late)}


def _newest_is_late(rows: Sequence[_Row]) -> bool:
    """Whether a suite newer than bookworm's point release lists the source's newest version."""
    newest = max((r.source_version for _, r in rows), key=lambda v: sort_key("dpkg", v))
    point_release = DEBIAN_RELEASE_DATES["bookworm"]
    return any(
        r.source_version == newest and DEBIAN_RELEASE_DATES[r.origin] > point_release
        for _, r in rows
    )


def _spread(group: str, rows: Sequence[_Row], newest_share: float | None) -> dict[str, datetime]:
    """First-seen time per source version: newest latest, walking back in version order.

    Rows of one source version were built together, so they share a time; the newest time a
    version can have is the latest Release date of the suites listing it.
    """
    bounds: dict[str, datetime] = {}
    updates: set[str] = set()
    for _, row in rows:
        bound = DEBIAN_RELEASE_DATES[row.origin]
        bounds[row.source_version] = max(bounds.get(row.source_version, bound), bound)
        if _stable_update(group, row):
            updates.add(row.source_version)
    times: dict[str, datetime] = {}
    later: datetime | None = None
    for version in sorted(bounds, key=lambda v: sort_key("dpkg", v), reverse=True):
        if version not in updates:
            times[version] = BOOKWORM_RELEASED
            later = BOOKWORM_RELEASED
            continue
        low, high = NEWEST_GAP_DAYS if later is None else STEP_GAP_DAYS
        share = unit(group, version, "first-seen")
        if later is None and newest_share is not None:
            (low, high), share = NEWEST_UPDATE_GAP_DAYS, newest_share
        gap = low + (high - low) * share
        start = bounds[version] if later is None else min(bounds[version], later)
        times[version] = max(
            BOOKWORM_RELEASED, (start - timedelta(days=gap)).replace(microsecond=0)
        )
        later = times[version]
    return times


def _stable_update(group: str, row: VersionRow) -> bool:
    """Published after bookworm's release: a `deb12u` version, one only a newer suite has, or a
    kernel (stable kernel updates carry no `deb12u` suffix)."""
    return "deb12u" in row.version or row.origin != "bookworm" or group.startswith("linux")


def _debian_entry(history: PackageHistory, row: VersionRow, at: datetime) -> CatalogEntry:
    return CatalogEntry(
        ecosystem=DEBIAN_12,
        name=history.name,
        version=row.version,
        arch=history.arch,
        source=history.source,
        source_version=row.source_version,
        origin=debian_origin(row.origin),
        first_seen=at,
        first_seen_exact=False,
    )


def alma_entries(data: EcosystemData, advisories: Iterable[Advisory]) -> list[CatalogEntry]:
    security = security_fixes(advisories)
    return [
        CatalogEntry(
            ecosystem=ALMALINUX_9,
            name=history.name,
            version=row.version,
            arch=history.arch,
            source=history.source,
            source_version=row.source_version,
            origin=alma_origin((history.name, row.version) in security),
            first_seen=_EPOCH + timedelta(days=row.rank),
            first_seen_exact=True,
        )
        for history in data.packages
        for row in history.versions
    ]


def security_fixes(advisories: Iterable[Advisory]) -> set[tuple[str, str]]:
    """(package, version) pairs that an AlmaLinux security advisory (`ALSA-`) fixes."""
    found: set[tuple[str, str]] = set()
    for advisory in advisories:
        if not advisory.id.startswith("ALSA-"):
            continue
        for affected in advisory.affected:
            for version_range in affected.ranges:
                found.update(
                    (affected.package, e.version) for e in version_range.events if e.kind == FIXED
                )
    return found


def entries_as_of(entries: Iterable[CatalogEntry], when: datetime) -> list[CatalogEntry]:
    """The entries already published at `when`."""
    return [e for e in entries if e.first_seen <= when]


def advisories_as_of(advisories: Iterable[Advisory], when: datetime) -> list[Advisory]:
    """The advisories already published at `when` (a record without a date counts as known)."""
    return [a for a in advisories if a.published is None or a.published <= when]
