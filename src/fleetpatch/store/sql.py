"""Small SQL helpers that hide the one dialect difference the writers care about.

`insert_ignore` is `INSERT ... ON CONFLICT DO NOTHING`, spelled per dialect: concurrent ingesters
may insert the same package version or package set at the same moment and both must succeed.
`chunks` keeps `IN (...)` lists under every driver's bound-parameter limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fleetpatch.errors import StoreError

T = TypeVar("T")
IN_CHUNK = 500


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_ignore(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    returning: Sequence[ColumnElement[Any]] = (),
) -> list[Row[Any]]:
    """Insert rows, skipping any that clash with a unique constraint.

    With `returning`, gives those columns of the rows actually inserted (clashes return nothing).
    """
    if not rows:
        return []
    statement = _dialect_insert(session, table).on_conflict_do_nothing()
    if returning:
        return list(session.execute(statement.returning(*returning), rows))
    session.execute(statement, rows)
    return []


def _dialect_insert(session: Session, table: Table) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise StoreError(f"the store supports SQLite and PostgreSQL, not {name}")
