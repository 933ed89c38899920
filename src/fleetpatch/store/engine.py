"""Opening the store: engine, connection settings, migrations, and the unit of work.

`open_store(url)` returns a `Store` whose schema is at the newest migration. `Store.session()` is
one transaction: it commits when the `with` block ends normally and rolls back when it raises.
Use cases open exactly one; repositories receive the session and never commit.

SQLite is tuned for one writer and many readers: WAL, foreign keys on, a busy timeout, and
`synchronous=NORMAL` (durable at checkpoints, safe against corruption under WAL). The driver's
own transaction handling is switched off and SQLAlchemy emits `BEGIN` itself, so that a write
session can ask for `BEGIN IMMEDIATE` and wait on the busy timeout instead of failing half way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from fleetpatch.errors import StoreError, StoreUrlError
from fleetpatch.store.migrate import upgrade_to_head

SQLITE_BUSY_TIMEOUT_MS = 10_000


class Store:
    """An open store: an engine at the current schema and a session factory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            bind=engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """One transaction; `write=True` takes SQLite's write lock up front.

        A database failure inside it (locked, gone, a broken schema) leaves as a `StoreError`
        with one line, so no caller outside the store needs to know SQLAlchemy's exceptions.
        """
        factory = self._write_sessions if write else self._sessions
        try:
            with factory.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"store error: {_first_line(exc)}") from exc

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, *, must_exist: bool = False) -> Store:
    """Connect to the store at `url` and migrate it to the newest schema.

    `must_exist`: a SQLite file that is not there is an error rather than a new empty store
    (read-only commands must not answer "nothing" from a store created by a typo)."""
    shown = _safe_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreUrlError(f"cannot open store {shown}: {_first_line(exc)}") from exc
    path = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if must_exist and path not in (None, "", ":memory:") and not Path(str(path)).exists():
        raise StoreUrlError(f"no store at {path}; run `fleetpatch ingest` or pass --db")
    try:
        engine = _create_engine(url)
    except (ImportError, NoSuchModuleError) as exc:
        raise StoreUrlError(
            f"cannot open store {shown}: no driver for {parsed.drivername!r} is installed "
            f"({_first_line(exc)}); use sqlite or postgresql+psycopg"
        ) from exc
    try:
        upgrade_to_head(engine)
    except (SQLAlchemyError, ArgumentError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"cannot open store {shown}: {reason}") from exc
    return Store(engine)


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    engine = create_engine(parsed, connect_args={"isolation_level": None})
    file_backed = parsed.database not in (None, "", ":memory:")
    event.listen(engine, "connect", _sqlite_pragmas(file_backed))
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(file_backed: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if file_backed:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    return on_connect


def _sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
