"""Incidents in the store: add one (unless its CVE already has an open one), find it by any
name, its hosts and timeline, and the compare-and-set updates that let several workers tick the
same incident without doing anything twice.

`add` inserts inside a savepoint: when another worker opened the same CVE first, the unique
`open_key` refuses the row and `add` returns that worker's incident instead. `mark` sets one of
`escalated_at`/`breached_at` only while it is unset, and `close` moves `open` to `closed` only
once; both return whether this call did it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fleetpatch.store.tables_incidents import (
    IncidentEventRow,
    IncidentHostRow,
    IncidentNameRow,
    IncidentRow,
)
from fleetpatch.store.tables_notices import NoticeRow
from fleetpatch.store.tables_upstream import AdvisoryRow

Flag = Literal["escalated_at", "breached_at"]


class IncidentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self, incident: IncidentRow, names: Collection[str], hosts: Sequence[IncidentHostRow]
    ) -> tuple[str, bool]:
        """(id, True) when stored; (the open incident's id, False) when its CVE had one."""
        found = self.open_for(names)
        if found is not None:
            return found.id, False
        try:
            with self.session.begin_nested():
                self.session.add(incident)
                self.session.flush()
                for name in sorted(set(names)):
                    self.session.add(IncidentNameRow(incident_id=incident.id, name=name))
                for host in hosts:
                    self.session.add(host)
                self.session.flush()
        except IntegrityError:
            found = self.open_for(names)
            if found is None:
                raise
            return found.id, False
        return incident.id, True

    def open_for(self, names: Collection[str]) -> IncidentRow | None:
        """The open incident any of `names` (ids or aliases) belongs to."""
        if not names:
            return None
        query = (
            select(IncidentRow)
            .join(IncidentNameRow, IncidentNameRow.incident_id == IncidentRow.id)
            .where(IncidentNameRow.name.in_(list(names)), IncidentRow.state == "open")
            .limit(1)
        )
        return self.session.scalars(query).first()

    def by_name(self, name: str) -> list[IncidentRow]:
        """Incidents whose id is `name`, or whose advisories answer to it; open ones first."""
        row = self.session.get(IncidentRow, name)
        if row is not None:
            return [row]
        query = (
            select(IncidentRow)
            .join(IncidentNameRow, IncidentNameRow.incident_id == IncidentRow.id)
            .where(IncidentNameRow.name == name)
            .order_by(IncidentRow.opened_at.desc())
        )
        rows = list(self.session.scalars(query))
        return sorted(rows, key=lambda r: r.state != "open")

    def get(self, incident_id: str) -> IncidentRow | None:
        return self.session.get(IncidentRow, incident_id, populate_existing=True)

    def listing(self, *, state: str | None = None, limit: int = 200) -> list[IncidentRow]:
        query = select(IncidentRow).order_by(IncidentRow.opened_at.desc()).limit(limit)
        if state is not None:
            query = query.where(IncidentRow.state == state)
        return list(self.session.scalars(query))

    def ids(self) -> list[str]:
        return list(self.session.scalars(select(IncidentRow.id)))

    def names(self, incident_id: str) -> list[str]:
        query = select(IncidentNameRow.name).where(IncidentNameRow.incident_id == incident_id)
        return sorted(self.session.scalars(query))

    def hosts(self, incident_id: str) -> list[IncidentHostRow]:
        query = (
            select(IncidentHostRow)
            .where(IncidentHostRow.incident_id == incident_id)
            .order_by(IncidentHostRow.host)
        )
        return list(self.session.scalars(query))

    def add_hosts(self, hosts: Sequence[IncidentHostRow]) -> int:
        """Members not yet listed; returns how many were new."""
        added = 0
        for host in hosts:
            if self.session.get(IncidentHostRow, (host.incident_id, host.host)) is not None:
                continue
            try:
                with self.session.begin_nested():
                    self.session.add(host)
                    self.session.flush()
            except IntegrityError:
                continue
            added += 1
        return added

    def event(
        self,
        incident_id: str,
        *,
        at: datetime,
        kind: str,
        actor: str,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        self.session.add(
            IncidentEventRow(
                incident_id=incident_id, at=at, kind=kind, actor=actor, detail=dict(detail or {})
            )
        )

    def events(self, incident_id: str) -> list[IncidentEventRow]:
        query = (
            select(IncidentEventRow)
            .where(IncidentEventRow.incident_id == incident_id)
            .order_by(IncidentEventRow.at, IncidentEventRow.id)
        )
        return list(self.session.scalars(query))

    def mark(self, incident_id: str, flag: Flag, at: datetime) -> bool:
        column = getattr(IncidentRow, flag)
        done = self.session.execute(
            update(IncidentRow)
            .where(IncidentRow.id == incident_id, column.is_(None))
            .values({flag: at})
            .execution_options(synchronize_session=False)
        )
        return getattr(done, "rowcount", 0) == 1

    def close(
        self, incident_id: str, *, at: datetime, actor: str, reason: str, record: Mapping[str, Any]
    ) -> bool:
        done = self.session.execute(
            update(IncidentRow)
            .where(IncidentRow.id == incident_id, IncidentRow.state == "open")
            .values(
                state="closed",
                open_key=None,
                closed_at=at,
                closed_by=actor,
                close_reason=reason,
                record=dict(record),
            )
            .execution_options(synchronize_session=False)
        )
        return getattr(done, "rowcount", 0) == 1

    def imported_since(self, since: datetime) -> list[str]:
        """Ids of live advisories stored (inserted or replaced) at or after `since`."""
        query = select(AdvisoryRow.advisory_id).where(
            AdvisoryRow.imported_at >= since, AdvisoryRow.withdrawn.is_(None)
        )
        return sorted(self.session.scalars(query))

    def notices(self, incident_id: str) -> list[NoticeRow]:
        """The incident's deliveries (their keys start `incident/<id>/`), oldest first."""
        prefix = f"incident/{incident_id}/"
        query = (
            select(NoticeRow)
            .where(NoticeRow.key.startswith(prefix, autoescape=True))
            .order_by(NoticeRow.id)
        )
        return list(self.session.scalars(query))
