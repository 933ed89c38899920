"""Bulk reads evaluation needs: which report each host points at, and package set members.

Package set members are packed id arrays (see `digests.py`); reading a few thousand of them in
chunks is what keeps loading a 100,000-host fleet to seconds.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetpatch.store.digests import unpack_ids
from fleetpatch.store.evaluations import HostRef
from fleetpatch.store.sql import chunks
from fleetpatch.store.tables import HostRow, PackageSetRow


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
            for name, host_id, report_id in self._session.execute(query).tuples()
            if report_id is not None
        }

    def set_members(self, ids: Iterable[int]) -> dict[int, array[int]]:
        """Package set id -> its member package-version ids."""
        found: dict[int, array[int]] = {}
        for part in chunks(sorted(set(ids))):
            query = select(PackageSetRow.id, PackageSetRow.members).where(
                PackageSetRow.id.in_(part)
            )
            for set_id, blob in self._session.execute(query).tuples():
                found[set_id] = unpack_ids(blob)
        return found
