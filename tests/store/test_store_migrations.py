"""Migrations: an empty database reaches head, the ORM agrees with it, reopening changes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect

from fleetpatch.errors import StoreError
from fleetpatch.store import Store, open_store
from fleetpatch.store.migrate import current_revision, head_revision, schema_diff


def test_empty_database_is_migrated_to_head(store: Store) -> None:
    assert current_revision(store.engine) == head_revision()
    tables = set(inspect(store.engine).get_table_names())
    assert {"hosts", "reports", "package_sets", "package_versions", "alembic_version"} <= tables


def test_orm_tables_match_the_migrated_schema(store: Store) -> None:
    assert schema_diff(store.engine) == []


def test_reopening_a_migrated_store_is_a_no_op(store_url: str) -> None:
    first = open_store(store_url)
    revision = current_revision(first.engine)
    first.close()
    again = open_store(store_url)
    try:
        assert current_revision(again.engine) == revision
        assert schema_diff(again.engine) == []
    finally:
        again.close()


def test_sqlite_file_runs_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'f.db'}")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    finally:
        store.close()
    raw = sqlite3.connect(tmp_path / "f.db")
    try:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == (
            head_revision(),
        )
    finally:
        raw.close()


def test_unreachable_database_is_a_one_line_store_error(tmp_path: Path) -> None:
    missing_dir = tmp_path / "no" / "such" / "dir" / "f.db"
    with pytest.raises(StoreError) as caught:
        open_store(f"sqlite:///{missing_dir}")
    assert str(caught.value).startswith(f"cannot open store sqlite:///{missing_dir}: ")
    assert "\n" not in str(caught.value)


def test_password_is_not_shown_in_errors() -> None:
    with pytest.raises(StoreError) as caught:
        open_store("postgresql+psycopg://fp:s3cret@127.0.0.1:1/none?connect_timeout=2")
    assert "s3cret" not in str(caught.value)
    assert "***" in str(caught.value)
