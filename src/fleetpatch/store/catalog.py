"""The stored package catalog: repository indexes imported, and the versions they offer since when.

An import is one repository index at a time (`ReleaseImport`: an apt `Release` of a suite, an RPM
`repomd.xml`, an `APKINDEX`) with its entries. Its entries are grouped by (component, arch): the
unit that is or is not "already imported" for a suite. First-seen times follow
`fleetpatch.catalog.firstseen`, against every version of the ecosystem already stored:

- an index of a suite never imported before stamps its versions "at least since" the Release date;
- later imports date new versions exactly, never move a first-seen time later, and move it
  earlier (inexact) when an older Release turns up;
- re-importing a Release already stored (same ecosystem, site, suite and date, same indexes)
  writes nothing but its `checked_at` time.

Writes are bulk statements; the first-seen update is conditional (`first_seen > new`), so two
importers racing can only move a time earlier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping, and_, bindparam, select, update
from sqlalchemy.orm import Session

from fleetpatch.catalog.apt import ecosystem_of, suite_entries
from fleetpatch.catalog.candidates import CatalogIndex
from fleetpatch.catalog.firstseen import import_release
from fleetpatch.catalog.records import (
    AptImport,
    CatalogEntry,
    FirstSeen,
    Origin,
    Staleness,
    VersionKey,
)
from fleetpatch.store.sql import chunks, insert_ignore
from fleetpatch.store.tables import table_of
from fleetpatch.store.tables_upstream import CatalogEntryRow, CatalogReleaseRow

_ENTRIES = table_of(CatalogEntryRow)
_RELEASES = table_of(CatalogReleaseRow)
_INSERT_BATCH = 5_000
_ORIGIN_FIELDS = (
    "archive",
    "suite",
    "codename",
    "label",
    "component",
    "security",
    "origin",
    "site",
)


@dataclass(frozen=True, slots=True)
class ReleaseImport:
    """The repository index an import comes from. `kind` is `apt`, `rpm` or `apk`."""

    ecosystem: str
    kind: str
    site: str
    suite: str
    date: datetime
    archive: str = ""
    codename: str = ""
    valid_until: datetime | None = None
    location: str = ""


@dataclass(frozen=True, slots=True)
class CatalogRelease:
    """One repository index as stored: what it was, when it was imported and last checked."""

    ecosystem: str
    kind: str
    site: str
    suite: str
    archive: str
    codename: str
    date: datetime
    valid_until: datetime | None
    imported_at: datetime
    checked_at: datetime
    location: str
    indexes: tuple[str, ...]
    entry_count: int

    def staleness(self, now: datetime) -> Staleness | None:
        """A warning when the index is past its `Valid-Until` at `now`."""
        if self.valid_until is None or self.valid_until >= now:
            return None
        return Staleness(self.suite, self.valid_until, now)


@dataclass(frozen=True, slots=True)
class CatalogOutcome:
    """What imports changed. `entries_listed` counts every entry the indexes listed."""

    releases_imported: int = 0
    releases_unchanged: int = 0
    entries_listed: int = 0
    entries_new: int = 0
    first_seen_moved: int = 0

    def __add__(self, other: CatalogOutcome) -> CatalogOutcome:
        return CatalogOutcome(
            self.releases_imported + other.releases_imported,
            self.releases_unchanged + other.releases_unchanged,
            self.entries_listed + other.entries_listed,
            self.entries_new + other.entries_new,
            self.first_seen_moved + other.first_seen_moved,
        )


def index_name(entry: CatalogEntry) -> str:
    """The (component, arch) group an entry belongs to: `main/amd64`, `main/all`."""
    return f"{entry.origin.component}/{entry.arch}"


class CatalogRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def import_apt(
        self,
        imported: AptImport,
        *,
        now: datetime,
        ecosystem: str | None = None,
        location: str = "",
    ) -> CatalogOutcome:
        """Store every suite of an apt import (ecosystem from each Release unless given)."""
        outcome = CatalogOutcome()
        for suite in imported.suites:
            release = suite.release
            source = ReleaseImport(
                ecosystem=ecosystem or ecosystem_of(release),
                kind="apt",
                site=suite.site,
                suite=suite.suite,
                date=release.date,
                archive=release.suite,
                codename=release.codename,
                valid_until=release.valid_until,
                location=location or ",".join(p.source for p in suite.indexes),
            )
            entries = suite_entries(suite, ecosystem=source.ecosystem)
            outcome += self.import_release(source, entries, now=now)
        return outcome

    def import_release(
        self, release: ReleaseImport, entries: Sequence[CatalogEntry], *, now: datetime
    ) -> CatalogOutcome:
        """Store one repository index and its entries, honouring the first-seen rules."""
        groups: defaultdict[str, list[CatalogEntry]] = defaultdict(list)
        for entry in entries:
            groups[index_name(entry)].append(entry)
        known = self._release_row(release)
        todo = {n: g for n, g in groups.items() if known is None or n not in known.indexes}
        if known is not None and not todo:
            known.checked_at = now
            return CatalogOutcome(releases_unchanged=1, entries_listed=len(entries))
        seen_before = self._imported_indexes(release.ecosystem, release.suite)
        existing = self._first_seen(release.ecosystem)
        merged = dict(existing)
        stamped: list[CatalogEntry] = []
        for name, group in sorted(todo.items()):
            more, merged = import_release(
                merged, group, release.date, first_import=name not in seen_before
            )
            stamped.extend(more)
        moved = [k for k, seen in merged.items() if k in existing and existing[k] != seen]
        self._move_first_seen(release.ecosystem, moved, merged)
        new = self._insert_new(release, stamped)
        self._save_release(release, known, sorted(todo), len(entries), now)
        return CatalogOutcome(1, 0, len(entries), new, len(moved))

    def add_dated(
        self, release: ReleaseImport, entries: Sequence[CatalogEntry], *, now: datetime
    ) -> int:
        """Store entries with the first-seen times they carry (a curated, dated history such as
        the demo's), bypassing the Release-date stamping; stored identities are left alone.
        Returns how many entries were new."""
        new = self._insert_new(release, entries)
        indexes = sorted({index_name(e) for e in entries})
        self._save_release(release, self._release_row(release), indexes, len(entries), now)
        return new

    def _release_row(self, release: ReleaseImport) -> CatalogReleaseRow | None:
        query = select(CatalogReleaseRow).where(
            CatalogReleaseRow.ecosystem == release.ecosystem,
            CatalogReleaseRow.site == release.site,
            CatalogReleaseRow.suite == release.suite,
            CatalogReleaseRow.date == release.date,
        )
        return self._session.execute(query).scalar_one_or_none()

    def _imported_indexes(self, ecosystem: str, suite: str) -> set[str]:
        query = select(CatalogReleaseRow.indexes).where(
            CatalogReleaseRow.ecosystem == ecosystem, CatalogReleaseRow.suite == suite
        )
        return {name for names in self._session.execute(query).scalars() for name in names}

    def _first_seen(self, ecosystem: str) -> dict[VersionKey, FirstSeen]:
        table = _ENTRIES
        query = select(
            table.c.name,
            table.c.version,
            table.c.arch,
            table.c.first_seen,
            table.c.first_seen_exact,
        ).where(table.c.ecosystem == ecosystem)
        found: dict[VersionKey, FirstSeen] = {}
        for name, version, arch, at, exact in self._session.execute(query):
            key = (ecosystem, name, version, arch)
            known = found.get(key)
            if known is None or at < known.at:
                found[key] = FirstSeen(at, exact)
        return found

    def _move_first_seen(
        self, ecosystem: str, keys: Sequence[VersionKey], merged: dict[VersionKey, FirstSeen]
    ) -> None:
        if not keys:
            return
        c = _ENTRIES.c
        statement = (
            update(_ENTRIES)
            .where(
                and_(
                    c.ecosystem == bindparam("b_ecosystem"),
                    c.name == bindparam("b_name"),
                    c.version == bindparam("b_version"),
                    c.arch == bindparam("b_arch"),
                    c.first_seen > bindparam("b_at"),
                )
            )
            .values(first_seen=bindparam("b_at"), first_seen_exact=bindparam("b_exact"))
        )
        params = [
            {
                "b_ecosystem": ecosystem,
                "b_name": k[1],
                "b_version": k[2],
                "b_arch": k[3],
                "b_at": merged[k].at,
                "b_exact": merged[k].exact,
            }
            for k in keys
        ]
        self._session.connection().execute(statement, params)

    def _insert_new(self, release: ReleaseImport, entries: Sequence[CatalogEntry]) -> int:
        c = _ENTRIES.c
        query = select(c.name, c.version, c.arch, c.component).where(
            c.ecosystem == release.ecosystem, c.suite == release.suite
        )
        stored = set(self._session.execute(query))
        rows: dict[tuple[str, str, str, str], dict[str, object]] = {}
        for e in entries:
            identity = (e.name, e.version, e.arch, e.origin.component)
            if identity not in stored and identity not in rows:
                rows[identity] = _entry_row(e)
        values = list(rows.values())
        for start in range(0, len(values), _INSERT_BATCH):
            insert_ignore(self._session, _ENTRIES, values[start : start + _INSERT_BATCH])
        return len(values)

    def _save_release(
        self,
        release: ReleaseImport,
        known: CatalogReleaseRow | None,
        indexes: Sequence[str],
        entry_count: int,
        now: datetime,
    ) -> None:
        if known is not None:
            known.indexes = sorted({*known.indexes, *indexes})
            known.entry_count = max(known.entry_count, entry_count)
            known.checked_at = now
            return
        row = CatalogReleaseRow(
            ecosystem=release.ecosystem,
            kind=release.kind,
            site=release.site,
            suite=release.suite,
            archive=release.archive,
            codename=release.codename,
            date=release.date,
            valid_until=release.valid_until,
            imported_at=now,
            checked_at=now,
            location=release.location,
            indexes=list(indexes),
            entry_count=entry_count,
        )
        self._session.add(row)
        self._session.flush()

    def index(
        self, ecosystems: Collection[str] | None = None, names: Collection[str] | None = None
    ) -> CatalogIndex:
        """Every stored entry (optionally of some ecosystems and package names), ready for
        candidate look-ups."""
        return CatalogIndex(self.entries(ecosystems, names))

    def entries(
        self, ecosystems: Collection[str] | None = None, names: Collection[str] | None = None
    ) -> list[CatalogEntry]:
        """Stored entries, optionally of some ecosystems and package names; equal origins
        share one object."""
        query = select(_ENTRIES)
        if ecosystems is not None:
            query = query.where(_ENTRIES.c.ecosystem.in_(sorted(ecosystems)))
        origins: dict[tuple[object, ...], Origin] = {}
        if names is None:
            return [_entry(row, origins) for row in self._session.execute(query).mappings()]
        found: list[CatalogEntry] = []
        for part in chunks(sorted(names)):
            rows = self._session.execute(query.where(_ENTRIES.c.name.in_(part))).mappings()
            found.extend(_entry(row, origins) for row in rows)
        return found

    def releases(self, ecosystem: str | None = None) -> list[CatalogRelease]:
        """Imported indexes, by ecosystem, site and suite, newest Release first."""
        query = select(CatalogReleaseRow).order_by(
            CatalogReleaseRow.ecosystem,
            CatalogReleaseRow.site,
            CatalogReleaseRow.suite,
            CatalogReleaseRow.date.desc(),
        )
        if ecosystem is not None:
            query = query.where(CatalogReleaseRow.ecosystem == ecosystem)
        return [_release(r) for r in self._session.execute(query).scalars()]

    def latest_releases(self, ecosystem: str | None = None) -> list[CatalogRelease]:
        """The newest imported Release of each (ecosystem, site, suite)."""
        latest: dict[tuple[str, str, str], CatalogRelease] = {}
        for release in self.releases(ecosystem):
            latest.setdefault((release.ecosystem, release.site, release.suite), release)
        return list(latest.values())

    def stale(self, now: datetime) -> list[Staleness]:
        """Suites whose newest imported Release is past its `Valid-Until` at `now`."""
        found = (r.staleness(now) for r in self.latest_releases())
        return [s for s in found if s is not None]


def _entry_row(entry: CatalogEntry) -> dict[str, object]:
    origin = entry.origin
    return {
        "ecosystem": entry.ecosystem,
        "name": entry.name,
        "version": entry.version,
        "arch": entry.arch,
        "source": entry.source,
        "source_version": entry.source_version,
        "archive": origin.archive,
        "suite": origin.suite,
        "codename": origin.codename,
        "label": origin.label,
        "component": origin.component,
        "security": origin.security,
        "origin": origin.origin,
        "site": origin.site,
        "first_seen": entry.first_seen,
        "first_seen_exact": entry.first_seen_exact,
        "multi_arch": entry.multi_arch,
        "phased_percentage": entry.phased_percentage,
    }


def _entry(row: RowMapping, origins: dict[tuple[object, ...], Origin]) -> CatalogEntry:
    fields = tuple(row[f] for f in _ORIGIN_FIELDS)
    origin = origins.get(fields)
    if origin is None:
        origin = origins.setdefault(fields, Origin(*fields))
    return CatalogEntry(
        ecosystem=row["ecosystem"],
        name=row["name"],
        version=row["version"],
        arch=row["arch"],
        source=row["source"],
        source_version=row["source_version"],
        origin=origin,
        first_seen=row["first_seen"],
        first_seen_exact=row["first_seen_exact"],
        multi_arch=row["multi_arch"],
        phased_percentage=row["phased_percentage"],
    )


def _release(row: CatalogReleaseRow) -> CatalogRelease:
    return CatalogRelease(
        ecosystem=row.ecosystem,
        kind=row.kind,
        site=row.site,
        suite=row.suite,
        archive=row.archive,
        codename=row.codename,
        date=row.date,
        valid_until=row.valid_until,
        imported_at=row.imported_at,
        checked_at=row.checked_at,
        location=row.location,
        indexes=tuple(row.indexes),
        entry_count=row.entry_count,
    )
