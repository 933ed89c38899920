"""Hosts as they stand now: each host's current (newest) report, and which hosts share a set.

Readers only; hosts are created by `ReportRepository.add_many` when their first report arrives.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetpatch.store.fleet import FleetReader
from fleetpatch.store.mapping import header_from_row
from fleetpatch.store.records import ReportHeader
from fleetpatch.store.reports import header_query
from fleetpatch.store.tables import HostRow, ReportRow


class HostRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def current(self) -> list[ReportHeader]:
        """Every host's current report, by hostname (read in bulk: see `FleetReader`)."""
        return FleetReader(self._session).current_headers()

    def current_for(self, hostname: str) -> ReportHeader | None:
        query = header_query().where(
            HostRow.hostname == hostname, HostRow.current_report_id == ReportRow.id
        )
        found = self._session.execute(query).one_or_none()
        return None if found is None else header_from_row(*found)

    def names(self) -> list[str]:
        query = select(HostRow.hostname).order_by(HostRow.hostname)
        return list(self._session.execute(query).scalars())

    def hosts_by_package_set(self) -> dict[int, tuple[str, ...]]:
        """Package set id -> hostnames whose current report has that set."""
        query = (
            select(ReportRow.package_set_id, HostRow.hostname)
            .join(HostRow, HostRow.current_report_id == ReportRow.id)
            .order_by(ReportRow.package_set_id, HostRow.hostname)
        )
        grouped: dict[int, list[str]] = {}
        for set_id, hostname in self._session.execute(query):
            grouped.setdefault(set_id, []).append(hostname)
        return {k: tuple(v) for k, v in grouped.items()}
