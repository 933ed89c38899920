"""Stored OSV advisories: one row per id, looked up by ecosystem, package, id or alias.

`upsert` merges records into the store with one rule, whatever the order they arrive in: of two
copies of an id, the one with the later `modified` wins; on a tie the higher content digest wins
(so the outcome never depends on import order) and the tie is reported as a conflict. A withdrawn
record that wins leaves a tombstone: it stops matching, and an older live copy imported later
cannot bring it back. An identical copy changes nothing.

Each row keeps the parsed advisory as compact JSON (`encode`/`decode`, several times cheaper to
load than re-parsing OSV) and the original OSV JSON compressed (`raw`), for display.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from fleetpatch.advisories.ecosystems import normalize_ecosystem
from fleetpatch.advisories.index import AdvisoryIndex, build_index
from fleetpatch.advisories.records import Advisory, Affected, Event, Range, Severity
from fleetpatch.store.sql import chunks, insert_ignore
from fleetpatch.store.tables import table_of
from fleetpatch.store.tables_upstream import (
    AdvisoryAffectedRow,
    AdvisoryAliasRow,
    AdvisoryRow,
    AdvisorySyncRow,
)

_ADVISORIES = table_of(AdvisoryRow)
_ALIASES = table_of(AdvisoryAliasRow)
_AFFECTED = table_of(AdvisoryAffectedRow)


@dataclass(frozen=True, slots=True)
class OsvDocument:
    """A parsed advisory with the OSV JSON it came from (None when there is none to keep)."""

    advisory: Advisory
    raw: bytes | None = None


@dataclass(frozen=True, slots=True)
class UpsertOutcome:
    """What `upsert` did with the records it was given.

    `superseded` counts copies that lost to another copy of the same id (in the input or in the
    store), `identical` copies equal to one already kept, `withdrawn` winners that retire an id.
    """

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    superseded: int = 0
    identical: int = 0
    withdrawn: int = 0
    conflicts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SyncState:
    """HTTP validators of one advisory source, for the next conditional GET."""

    url: str
    etag: str | None
    last_modified: str | None
    fetched_at: datetime
    status: int
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Candidate:
    advisory: Advisory
    record: bytes
    raw: bytes | None
    digest: str

    @property
    def rank(self) -> tuple[datetime, str]:
        return (self.advisory.modified, self.digest)


class _StoredCopy(NamedTuple):
    pk: int
    digest: str
    modified: datetime


@dataclass(slots=True)
class _Tally:
    superseded: int = 0
    identical: int = 0
    conflicts: list[str] = field(default_factory=list)

    def wins(self, candidate: _Candidate, modified: datetime, digest: str) -> bool:
        """Whether `candidate` beats another copy of its id (counting the loser)."""
        if candidate.digest == digest:
            self.identical += 1
            return False
        self.superseded += 1
        if candidate.advisory.modified == modified:
            self.conflicts.append(candidate.advisory.id)
        return candidate.rank > (modified, digest)


class AdvisoryRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def upsert(self, records: Iterable[Advisory | OsvDocument], *, now: datetime) -> UpsertOutcome:
        """Merge records into the store (see the module docstring for the rule)."""
        tally = _Tally()
        batch: dict[str, _Candidate] = {}
        for item in records:
            candidate = _candidate(item)
            kept = batch.get(candidate.advisory.id)
            if kept is None or tally.wins(candidate, kept.advisory.modified, kept.digest):
                batch[candidate.advisory.id] = candidate
        stored = self._stored(list(batch))
        inserts: list[_Candidate] = []
        replaces: list[tuple[int, _Candidate]] = []
        for ident, candidate in batch.items():
            old = stored.get(ident)
            if old is None:
                inserts.append(candidate)
            elif tally.wins(candidate, old.modified, old.digest):
                replaces.append((old.pk, candidate))
        self._replace(replaces, now)
        self._insert(inserts, now)
        winners = [*inserts, *(c for _, c in replaces)]
        return UpsertOutcome(
            inserted=len(inserts),
            updated=len(replaces),
            unchanged=len(batch) - len(inserts) - len(replaces),
            superseded=tally.superseded,
            identical=tally.identical,
            withdrawn=sum(1 for c in winners if c.advisory.withdrawn is not None),
            conflicts=tuple(sorted(set(tally.conflicts))),
        )

    def _stored(self, ids: Sequence[str]) -> dict[str, _StoredCopy]:
        a = _ADVISORIES.c
        found: dict[str, _StoredCopy] = {}
        for part in chunks(ids):
            query = select(a.advisory_id, a.id, a.digest, a.modified).where(a.advisory_id.in_(part))
            for ident, pk, digest, modified in self._session.execute(query):
                found[ident] = _StoredCopy(pk, digest, modified)
        return found

    def _replace(self, replaces: Sequence[tuple[int, _Candidate]], now: datetime) -> None:
        if not replaces:
            return
        pks = [pk for pk, _ in replaces]
        for part in chunks(pks):
            self._session.execute(delete(_ALIASES).where(_ALIASES.c.advisory_pk.in_(part)))
            self._session.execute(delete(_AFFECTED).where(_AFFECTED.c.advisory_pk.in_(part)))
        values: dict[str, Any] = {
            c.name: bindparam(f"b_{c.name}") for c in _ADVISORIES.c if c.name != "id"
        }
        statement = update(_ADVISORIES).where(_ADVISORIES.c.id == bindparam("b_pk")).values(values)
        params = [
            {"b_pk": pk, **{f"b_{k}": v for k, v in _row(c, now).items()}} for pk, c in replaces
        ]
        self._session.connection().execute(statement, params)
        self._insert_children([(pk, c) for pk, c in replaces])

    def _insert(self, inserts: Sequence[_Candidate], now: datetime) -> None:
        if not inserts:
            return
        for part in chunks(inserts, 1000):
            insert_ignore(self._session, _ADVISORIES, [_row(c, now) for c in part])
        pks = {
            ident: row.pk for ident, row in self._stored([c.advisory.id for c in inserts]).items()
        }
        self._insert_children([(pks[c.advisory.id], c) for c in inserts if c.advisory.id in pks])

    def _insert_children(self, rows: Sequence[tuple[int, _Candidate]]) -> None:
        aliases: list[dict[str, Any]] = []
        affected: list[dict[str, Any]] = []
        for pk, candidate in rows:
            advisory = candidate.advisory
            if advisory.withdrawn is not None:
                continue
            names = {*advisory.aliases, *advisory.related, *advisory.upstream} - {advisory.id}
            aliases.extend({"advisory_pk": pk, "alias": n} for n in sorted(names))
            packages = {(normalize_ecosystem(x.ecosystem), x.package) for x in advisory.affected}
            affected.extend(
                {"advisory_pk": pk, "ecosystem": e, "package": p} for e, p in sorted(packages)
            )
        for part in chunks(aliases, 5000):
            insert_ignore(self._session, _ALIASES, part)
        for part in chunks(affected, 5000):
            insert_ignore(self._session, _AFFECTED, part)

    def records(self, ecosystems: Collection[str] | None = None) -> list[Advisory]:
        """Live advisories, optionally only those affecting some ecosystems (and only their
        affected entries in those ecosystems), sorted by id."""
        a = _ADVISORIES.c
        query = select(a.record).where(a.withdrawn.is_(None)).order_by(a.advisory_id)
        if ecosystems is None:
            return [decode(blob) for blob in self._session.execute(query).scalars()]
        wanted = {normalize_ecosystem(e) for e in ecosystems}
        having = select(_AFFECTED.c.advisory_pk).where(_AFFECTED.c.ecosystem.in_(sorted(wanted)))
        blobs = self._session.execute(query.where(a.id.in_(having))).scalars()
        return [_only(decode(blob), wanted) for blob in blobs]

    def index(
        self,
        ecosystems: Collection[str] | None = None,
        packages: Collection[tuple[str, str]] | None = None,
    ) -> AdvisoryIndex:
        """An `AdvisoryIndex` of the live advisories (optionally of some ecosystems, and
        compiled only for some (normalised ecosystem, package) keys)."""
        return build_index(self.records(ecosystems), packages)

    def affecting(self, ecosystem: str, package: str) -> list[Advisory]:
        """Live advisories with an affected entry for `package` in `ecosystem` (normalised)."""
        f = _AFFECTED.c
        having = select(f.advisory_pk).where(
            f.ecosystem == normalize_ecosystem(ecosystem), f.package == package
        )
        return self._by_pks(having)

    def by_id_or_alias(self, name: str) -> list[Advisory]:
        """The advisory with this id and every live advisory naming it as an alias, by id."""
        name = name.strip()
        by_id = select(_ADVISORIES.c.id).where(_ADVISORIES.c.advisory_id == name)
        by_alias = select(_ALIASES.c.advisory_pk).where(_ALIASES.c.alias == name)
        return self._by_pks(by_id.union(by_alias))

    def names(self) -> list[str]:
        """Every id and alias a live advisory answers to (what `by_id_or_alias` finds)."""
        a, x = _ADVISORIES.c, _ALIASES.c
        live = a.withdrawn.is_(None)
        ids = select(a.advisory_id).where(live)
        aliases = select(x.alias).join(_ADVISORIES, a.id == x.advisory_pk).where(live)
        return list(self._session.execute(ids.union(aliases)).scalars())

    def _by_pks(self, pks: Any) -> list[Advisory]:
        a = _ADVISORIES.c
        query = select(a.record).where(a.id.in_(pks), a.withdrawn.is_(None)).order_by(a.advisory_id)
        return [decode(blob) for blob in self._session.execute(query).scalars()]

    def raw(self, advisory_id: str) -> dict[str, Any] | None:
        """The original OSV JSON of a stored advisory; None when unknown or not kept."""
        query = select(_ADVISORIES.c.raw).where(_ADVISORIES.c.advisory_id == advisory_id)
        blob = self._session.execute(query).scalar_one_or_none()
        if blob is None:
            return None
        loaded: dict[str, Any] = orjson.loads(zlib.decompress(blob))
        return loaded

    def count_by_ecosystem(self) -> dict[str, int]:
        """Live advisories per normalised ecosystem they affect."""
        f = _AFFECTED.c
        query = (
            select(f.ecosystem, func.count(func.distinct(f.advisory_pk)))
            .group_by(f.ecosystem)
            .order_by(f.ecosystem)
        )
        return dict(self._session.execute(query).all())

    def sync_state(self, url: str) -> SyncState | None:
        row = self._session.get(AdvisorySyncRow, url)
        if row is None:
            return None
        return SyncState(
            row.url, row.etag, row.last_modified, row.fetched_at, row.status, dict(row.details)
        )

    def set_sync_state(self, state: SyncState) -> None:
        row = self._session.get(AdvisorySyncRow, state.url)
        if row is None:
            row = AdvisorySyncRow(url=state.url)
            self._session.add(row)
        row.etag = state.etag
        row.last_modified = state.last_modified
        row.fetched_at = state.fetched_at
        row.status = state.status
        row.details = dict(state.details)
        self._session.flush()


def _candidate(item: Advisory | OsvDocument) -> _Candidate:
    document = item if isinstance(item, OsvDocument) else OsvDocument(item)
    record = encode(document.advisory)
    content = document.raw if document.raw is not None else record
    return _Candidate(document.advisory, record, document.raw, hashlib.sha256(content).hexdigest())


def _row(candidate: _Candidate, now: datetime) -> dict[str, Any]:
    advisory = candidate.advisory
    return {
        "advisory_id": advisory.id,
        "modified": advisory.modified,
        "published": advisory.published,
        "withdrawn": advisory.withdrawn,
        "summary": advisory.summary,
        "severity": advisory.severity.level,
        "digest": candidate.digest,
        "record": candidate.record,
        "raw": zlib.compress(candidate.raw, 6) if candidate.raw is not None else None,
        "imported_at": now,
    }


def _only(advisory: Advisory, ecosystems: Collection[str]) -> Advisory:
    kept = tuple(a for a in advisory.affected if normalize_ecosystem(a.ecosystem) in ecosystems)
    return advisory if len(kept) == len(advisory.affected) else replace(advisory, affected=kept)


def encode(advisory: Advisory) -> bytes:
    """The advisory as compact JSON arrays, the inverse of `decode`."""
    return orjson.dumps(
        [
            advisory.id,
            advisory.modified,
            advisory.summary,
            advisory.aliases,
            advisory.related,
            advisory.upstream,
            advisory.published,
            advisory.withdrawn,
            _severity_value(advisory.severity),
            [
                [
                    a.ecosystem,
                    a.package,
                    [[r.type, [[e.kind, e.version] for e in r.events]] for r in a.ranges],
                    a.versions,
                    None if a.severity is None else _severity_value(a.severity),
                ]
                for a in advisory.affected
            ],
        ]
    )


def decode(blob: bytes) -> Advisory:
    """An `Advisory` from `encode`'s JSON."""
    ident, modified, summary, aliases, related, upstream, published, withdrawn, sev, affected = (
        orjson.loads(blob)
    )
    return Advisory(
        id=ident,
        modified=datetime.fromisoformat(modified),
        summary=summary,
        aliases=tuple(aliases),
        related=tuple(related),
        upstream=tuple(upstream),
        published=None if published is None else datetime.fromisoformat(published),
        withdrawn=None if withdrawn is None else datetime.fromisoformat(withdrawn),
        severity=Severity(*sev),
        affected=tuple(
            Affected(
                ecosystem,
                package,
                tuple(Range(t, tuple(Event(k, v) for k, v in events)) for t, events in ranges),
                tuple(versions),
                None if severity is None else Severity(*severity),
            )
            for ecosystem, package, ranges, versions, severity in affected
        ),
    )


def _severity_value(severity: Severity) -> list[Any]:
    return [severity.level, severity.source, severity.score]
