"""Schema migrations, run in code: no `alembic.ini`, the scripts ship inside the package.

`upgrade_to_head` is what `open_store` calls; it is idempotent and safe when several processes open
the same PostgreSQL store at once (a transaction-scoped advisory lock serialises them; on SQLite the
migration runs under `BEGIN IMMEDIATE`, which does the same).
"""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from fleetpatch.store import tables_cadence as _cadence_tables  # noqa: F401 (registers the tables)
from fleetpatch.store import tables_eval as _eval_tables  # noqa: F401 (registers the tables)
from fleetpatch.store import tables_incidents as _incident_tables  # noqa: F401 (registers)
from fleetpatch.store import tables_notices as _notice_tables  # noqa: F401 (registers)
from fleetpatch.store import tables_patching as _patching_tables  # noqa: F401 (registers)
from fleetpatch.store import tables_runs as _runs_tables  # noqa: F401 (registers the tables)
from fleetpatch.store import tables_upstream as _upstream_tables  # noqa: F401 (registers the tables)
from fleetpatch.store.tables import Base

SCRIPT_LOCATION = "fleetpatch.store:migrations"
_LOCK_KEY = 0x666C_7470  # "fltp": any constant shared by every fleetpatch process


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema to the newest revision; nothing happens when it is already there."""
    if current_revision(engine) == head_revision():
        return
    cfg = alembic_config()
    with engine.execution_options(sqlite_immediate=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def schema_diff(engine: Engine) -> list[Any]:
    """Differences between the ORM tables and the database (empty when they agree)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff: list[Any] = compare_metadata(context, Base.metadata)
        return diff
