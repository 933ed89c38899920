"""Package versions and package sets: each distinct one stored once.

Writers resolve content to ids through a `PackageCache` that lives for one ingest call, so a batch
of reports built from a handful of images costs a handful of look-ups, not one per package. Readers
get `PackageVersion` records; "every distinct version in the fleet" and "the members of a set" are
one query each (plus one per 500 ids).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetpatch.errors import NotFoundError, StoreError
from fleetpatch.inventory.records import Package
from fleetpatch.store.digests import PackageKey, pack_ids, package_set_digest, unpack_ids
from fleetpatch.store.records import PackageSetInfo, PackageVersion
from fleetpatch.store.sql import chunks, insert_ignore
from fleetpatch.store.tables import PackageSetRow, PackageVersionRow, table_of


@dataclass(frozen=True, slots=True)
class SetContent:
    """A package set to store: its digest and its sorted, distinct package keys."""

    ecosystem: str
    digest: str
    keys: Sequence[PackageKey]


MAX_REMEMBERED_CONTENTS = 2048


@dataclass(slots=True)
class PackageCache:
    """Ids already resolved in this unit of work. Valid only inside the session that filled it.

    `contents` remembers the digest of package tuples seen in this batch by object identity: reports
    decoded from one image share one tuple (see `app/validation.py`), and hashing 700 packages
    costs more than validating the rest of the report. The entry keeps the tuple alive, so its id
    cannot be reused by another object while it is remembered.
    """

    version_ids: dict[str, dict[PackageKey, int]] = field(default_factory=dict)
    set_ids: dict[str, int] = field(default_factory=dict)
    contents: dict[int, tuple[tuple[Package, ...], SetContent]] = field(default_factory=dict)

    def content_of(self, ecosystem: str, packages: tuple[Package, ...]) -> SetContent:
        known = self.contents.get(id(packages))
        if known is not None and known[0] is packages and known[1].ecosystem == ecosystem:
            return known[1]
        digest, keys = package_set_digest(ecosystem, packages)
        content = SetContent(ecosystem, digest, keys)
        if len(self.contents) >= MAX_REMEMBERED_CONTENTS:
            self.contents.pop(next(iter(self.contents)))
        self.contents[id(packages)] = (packages, content)
        return content


class PackageRepository:
    def __init__(self, session: Session, cache: PackageCache | None = None) -> None:
        self._session = session
        self._cache = cache if cache is not None else PackageCache()

    def ensure_sets(self, sets: Iterable[SetContent]) -> dict[str, int]:
        """The set id of every digest, storing the sets (and their versions) not yet known."""
        wanted = {s.digest: s for s in sets}
        self._load_sets([d for d in wanted if d not in self._cache.set_ids])
        new = [s for d, s in wanted.items() if d not in self._cache.set_ids]
        if new:
            self._ensure_versions(new)
            rows = [self._set_row(s) for s in new]
            insert_ignore(self._session, table_of(PackageSetRow), rows)
            self._load_sets([s.digest for s in new])
        missing = [d for d in wanted if d not in self._cache.set_ids]
        if missing:
            raise StoreError(f"package set {missing[0]} was not stored")
        return {d: self._cache.set_ids[d] for d in wanted}

    def _set_row(self, content: SetContent) -> dict[str, object]:
        known = self._cache.version_ids.get(content.ecosystem, {})
        try:
            ids = [known[k] for k in content.keys]
        except KeyError as exc:
            raise StoreError(f"package version {exc.args[0]} was not stored") from exc
        return {
            "digest": content.digest,
            "ecosystem": content.ecosystem,
            "package_count": len(content.keys),
            "members": pack_ids(ids),
        }

    def _load_sets(self, digests: Sequence[str]) -> None:
        for part in chunks(digests):
            query = select(PackageSetRow.digest, PackageSetRow.id).where(
                PackageSetRow.digest.in_(part)
            )
            self._cache.set_ids.update(self._session.execute(query).all())

    def _ensure_versions(self, sets: Sequence[SetContent]) -> None:
        """Resolve every package version of `sets` to an id, inserting the new ones."""
        wanted: dict[str, set[PackageKey]] = {}
        for content in sets:
            wanted.setdefault(content.ecosystem, set()).update(content.keys)
        for ecosystem, keys in wanted.items():
            known = self._cache.version_ids.setdefault(ecosystem, {})
            unknown = keys - known.keys()
            if unknown:
                self._load_versions(ecosystem, {k[0] for k in unknown})
                unknown -= known.keys()
            if unknown:
                rows = [_version_row(ecosystem, k) for k in sorted(unknown)]
                insert_ignore(self._session, table_of(PackageVersionRow), rows)
                self._load_versions(ecosystem, {k[0] for k in unknown})

    def _load_versions(self, ecosystem: str, names: Iterable[str]) -> None:
        table = table_of(PackageVersionRow)
        known = self._cache.version_ids.setdefault(ecosystem, {})
        columns = (table.c.name, table.c.version, table.c.arch, table.c.source)
        for part in chunks(sorted(names)):
            query = select(*columns, table.c.source_version, table.c.id).where(
                table.c.ecosystem == ecosystem, table.c.name.in_(part)
            )
            for name, version, arch, source, source_version, row_id in self._session.execute(query):
                known[(name, version, arch, source, source_version)] = row_id

    def set_info(self, set_id: int) -> PackageSetInfo:
        row = self._session.get(PackageSetRow, set_id)
        if row is None:
            raise NotFoundError(f"package set {set_id} does not exist")
        return PackageSetInfo(row.id, row.digest, row.ecosystem, row.package_count)

    def member_ids(self, set_id: int) -> array[int]:
        """The set's package-version ids, sorted ascending."""
        blob = self._session.execute(
            select(PackageSetRow.members).where(PackageSetRow.id == set_id)
        ).scalar_one_or_none()
        if blob is None:
            raise NotFoundError(f"package set {set_id} does not exist")
        return unpack_ids(blob)

    def members(self, set_id: int) -> tuple[Package, ...]:
        """The set's packages, sorted by name, version, arch, source."""
        versions = self.versions(self.member_ids(set_id))
        return tuple(sorted(v.package() for v in versions.values()))

    def versions(self, ids: Iterable[int]) -> dict[int, PackageVersion]:
        found: dict[int, PackageVersion] = {}
        for part in chunks(list(ids)):
            query = select(PackageVersionRow).where(PackageVersionRow.id.in_(part))
            found.update({r.id: _record(r) for r in self._session.execute(query).scalars()})
        return found

    def distinct_versions(self, ecosystem: str | None = None) -> list[PackageVersion]:
        """Every distinct package version stored, optionally of one ecosystem."""
        query = select(PackageVersionRow).order_by(PackageVersionRow.id)
        if ecosystem is not None:
            query = query.where(PackageVersionRow.ecosystem == ecosystem)
        return [_record(r) for r in self._session.execute(query).scalars()]


def _version_row(ecosystem: str, key: PackageKey) -> dict[str, str]:
    name, version, arch, source, source_version = key
    return {
        "ecosystem": ecosystem,
        "name": name,
        "version": version,
        "arch": arch,
        "source": source,
        "source_version": source_version,
    }


def _record(row: PackageVersionRow) -> PackageVersion:
    return PackageVersion(
        row.id, row.ecosystem, row.name, row.version, row.arch, row.source, row.source_version
    )
