"""Reports: the write path of ingestion and the history of each host.

`add_many` stores a batch of already-validated reports inside the caller's transaction. For each
report it resolves (or stores) the package set, skips reports whose content digest is already
stored, creates hosts on first sight, inserts the rest in one multi-row statement, and moves each
host's current pointer when a report is newer (by `collected_at`) than the one it points at. An
older report arriving late becomes history without hiding the newer one. Every insert is
`ON CONFLICT DO NOTHING` and the pointer update is conditional, so concurrent ingesters agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from fleetpatch.errors import NotFoundError
from fleetpatch.inventory.records import HostReport
from fleetpatch.store.digests import report_digest
from fleetpatch.store.mapping import header_from_row, report_values
from fleetpatch.store.packages import PackageCache, PackageRepository, SetContent
from fleetpatch.store.records import ReportHeader, StoreOutcome
from fleetpatch.store.sql import chunks, insert_ignore
from fleetpatch.store.tables import HostRow, PackageSetRow, ReportRow, table_of


@dataclass(frozen=True, slots=True)
class _Prepared:
    report: HostReport
    content: SetContent
    digest: str


class ReportRepository:
    def __init__(self, session: Session, cache: PackageCache | None = None) -> None:
        self._session = session
        self._cache = cache if cache is not None else PackageCache()
        self._packages = PackageRepository(session, self._cache)

    def add_many(self, reports: Sequence[HostReport], *, received_at: datetime) -> StoreOutcome:
        """Store the reports not stored yet; returns the new report ids and the duplicate count."""
        prepared = self._new_only([self._prepare(r) for r in reports])
        if not prepared:
            return StoreOutcome(duplicates=len(reports))
        set_ids = self._packages.ensure_sets(p.content for p in prepared)
        hosts = self._ensure_hosts({p.report.hostname for p in prepared}, received_at)
        rows = [
            report_values(
                p.report,
                digest=p.digest,
                host_id=hosts[p.report.hostname],
                package_set_id=set_ids[p.content.digest],
                received_at=received_at,
            )
            for p in prepared
        ]
        table = table_of(ReportRow)
        returned = insert_ignore(self._session, table, rows, (table.c.id, table.c.digest))
        ids: dict[str, int] = {row.digest: row.id for row in returned}
        self._point_hosts_at_newest([p for p in prepared if p.digest in ids], hosts, ids)
        return StoreOutcome(stored=tuple(ids.values()), duplicates=len(reports) - len(ids))

    def _prepare(self, report: HostReport) -> _Prepared:
        content = self._cache.content_of(report.ecosystem, report.packages)
        return _Prepared(report, content, report_digest(report, content.digest))

    def _new_only(self, prepared: list[_Prepared]) -> list[_Prepared]:
        """Drop reports already stored, and repeats within the batch."""
        stored = self._existing_digests([p.digest for p in prepared])
        fresh: dict[str, _Prepared] = {}
        for item in prepared:
            if item.digest not in stored:
                fresh.setdefault(item.digest, item)
        return list(fresh.values())

    def _existing_digests(self, digests: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for part in chunks(digests):
            query = select(ReportRow.digest).where(ReportRow.digest.in_(part))
            found.update(self._session.execute(query).scalars())
        return found

    def _ensure_hosts(self, names: set[str], seen_at: datetime) -> dict[str, int]:
        rows = [{"hostname": n, "first_seen_at": seen_at} for n in sorted(names)]
        insert_ignore(self._session, table_of(HostRow), rows)
        ids: dict[str, int] = {}
        for part in chunks(sorted(names)):
            query = select(HostRow.hostname, HostRow.id).where(HostRow.hostname.in_(part))
            ids.update(self._session.execute(query).all())
        return ids

    def _point_hosts_at_newest(
        self, stored: list[_Prepared], hosts: dict[str, int], ids: dict[str, int]
    ) -> None:
        newest: dict[int, tuple[datetime, int]] = {}
        for item in stored:
            host_id = hosts[item.report.hostname]
            candidate = (item.report.collected_at, ids[item.digest])
            if host_id not in newest or candidate >= newest[host_id]:
                newest[host_id] = candidate
        if not newest:
            return
        table = table_of(HostRow)
        statement = (
            update(table)
            .where(
                and_(
                    table.c.id == bindparam("host_id"),
                    or_(
                        table.c.current_collected_at.is_(None),
                        table.c.current_collected_at
                        <= bindparam("at", type_=HostRow.current_collected_at.type),
                    ),
                )
            )
            .values(current_report_id=bindparam("report_id"), current_collected_at=bindparam("at"))
        )
        params = [{"host_id": h, "report_id": r, "at": at} for h, (at, r) in sorted(newest.items())]
        self._session.connection().execute(statement, params)

    def header(self, report_id: int) -> ReportHeader:
        query = header_query().where(ReportRow.id == report_id)
        found = self._session.execute(query).one_or_none()
        if found is None:
            raise NotFoundError(f"report {report_id} does not exist")
        return header_from_row(*found)

    def load(self, report_id: int) -> HostReport:
        """The full report, packages included."""
        header = self.header(report_id)
        return header.with_packages(self._packages.members(header.package_set_id))

    def history(self, hostname: str, limit: int | None = None) -> list[ReportHeader]:
        """The host's reports, newest first (by collection time, then arrival)."""
        query = (
            header_query()
            .where(HostRow.hostname == hostname)
            .order_by(ReportRow.collected_at.desc(), ReportRow.id.desc())
            .limit(limit)
        )
        return [header_from_row(*t) for t in self._session.execute(query)]

    def count(self) -> int:
        return self._session.execute(select(func.count(ReportRow.id))).scalar_one()

    def count_for(self, hostname: str) -> int:
        query = (
            select(func.count(ReportRow.id))
            .join(HostRow, ReportRow.host_id == HostRow.id)
            .where(HostRow.hostname == hostname)
        )
        return self._session.execute(query).scalar_one()


def header_query() -> Select[ReportRow, str, int]:
    """Reports with their hostname and package count: the shape `header_from_row` takes."""
    return (
        select(ReportRow, HostRow.hostname, PackageSetRow.package_count)
        .join(HostRow, ReportRow.host_id == HostRow.id)
        .join(PackageSetRow, ReportRow.package_set_id == PackageSetRow.id)
    )
