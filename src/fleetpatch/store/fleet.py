"""Bulk reads evaluation needs: which report each host points at, and package set members.

Package set members are packed id arrays (see `digests.py`); reading a few thousand of them in
chunks is what keeps loading a 100,000-host fleet to seconds.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetpatch.store.digests import unpack_ids
from fleetpatch.store.evaluations import HostRef
from fleetpatch.store.mapping import header_from_row
from fleetpatch.store.records import ReportHeader
from fleetpatch.store.reports import header_query
from fleetpatch.store.sql import chunks
from fleetpatch.store.tables import HostRow, PackageSetRow, ReportRow, table_of


class FleetReader:
    def __init__(self, session: Session) -> None:
        self._session = session

    def host_refs(self, names: Collection[str] | None = None) -> dict[str, HostRef]:
        """hostname -> (host id, current report id) for hosts that have a report."""
        query = select(HostRow.hostname, HostRow.id, HostRow.current_report_id).where(
            HostRow.current_report_id.is_not(None)
        )
        if names is not None:
            query = query.where(HostRow.hostname.in_(list(names)))
        return {
            name: HostRef(host_id, report_id)
            for name, host_id, report_id in self._session.execute(query)
            if report_id is not None
        }

    def set_members(self, ids: Iterable[int]) -> dict[int, array[int]]:
        """Package set id -> its member package-version ids."""
        found: dict[int, array[int]] = {}
        for part in chunks(sorted(set(ids))):
            query = select(PackageSetRow.id, PackageSetRow.members).where(
                PackageSetRow.id.in_(part)
            )
            for set_id, blob in self._session.execute(query):
                found[set_id] = unpack_ids(blob)
        return found

    def current_headers(self) -> list[ReportHeader]:
        """Every host's current report header, by hostname, read without ORM objects.

        The same records as `HostRepository.current`, several times faster: a full evaluation
        of 100,000 hosts starts here.
        """
        reports = table_of(ReportRow)
        query = (
            select(reports, HostRow.hostname, PackageSetRow.package_count)
            .join(HostRow, HostRow.current_report_id == reports.c.id)
            .join(PackageSetRow, PackageSetRow.id == reports.c.package_set_id)
            .order_by(HostRow.hostname)
        )
        return [_header(row) for row in self._session.execute(query)]

    def all_set_ids(self) -> list[int]:
        return list(self._session.execute(select(PackageSetRow.id)).scalars())

    def current_set_ids(self) -> list[int]:
        query = (
            select(ReportRow.package_set_id)
            .join(HostRow, HostRow.current_report_id == ReportRow.id)
            .distinct()
        )
        return list(self._session.execute(query).scalars())

    def timelines(self, set_ids: Collection[int]) -> dict[str, list[ReportHeader]]:
        """Every report, oldest first, of each host that ever reported one of `set_ids`."""
        found: dict[str, list[ReportHeader]] = {}
        for part in chunks(sorted(set_ids)):
            hosts = select(ReportRow.host_id).where(ReportRow.package_set_id.in_(part))
            query = header_query().where(ReportRow.host_id.in_(hosts))
            for row in self._session.execute(query):
                header = header_from_row(*row)
                found.setdefault(header.hostname, []).append(header)
        for reports in found.values():
            reports.sort(key=lambda h: (h.collected_at, h.id))
        return {name: list({h.id: h for h in reports}.values()) for name, reports in found.items()}


def _header(row: Any) -> ReportHeader:
    """A header from a Core row of `reports` + hostname + package count (see `header_from_row`)."""
    return header_from_row(row, row.hostname, row.package_count)
