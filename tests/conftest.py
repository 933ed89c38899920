"""Fixtures shared by every test area: a migrated store on SQLite, and on PostgreSQL when asked.

PostgreSQL runs only when `FLEETPATCH_TEST_PG` holds a URL; each test gets its own schema, dropped
afterwards, so parallel runs and reruns never collide. With `FLEETPATCH_REQUIRE_SERVICES=1` a
missing URL or an unreachable server fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from fleetpatch.settings import normalise_db_url
from fleetpatch.store import Store, open_store


def _unavailable(reason: str) -> None:
    if os.environ.get("FLEETPATCH_REQUIRE_SERVICES") == "1":
        pytest.fail(f"PostgreSQL required (FLEETPATCH_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh, empty schema."""
    base = normalise_db_url(os.environ.get("FLEETPATCH_TEST_PG", ""))
    if not base.startswith("postgresql"):
        _unavailable("FLEETPATCH_TEST_PG is not set to a PostgreSQL URL")
    engine = create_engine(make_url(base), isolation_level="AUTOCOMMIT")
    schema = f"fp_test_{uuid.uuid4().hex[:12]}"
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        engine.dispose()
        _unavailable(f"PostgreSQL at FLEETPATCH_TEST_PG unreachable: {str(exc).splitlines()[0]}")
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fleetpatch.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated, empty store, once per backend."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()
