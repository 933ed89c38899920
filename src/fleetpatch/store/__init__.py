"""The store: SQLAlchemy tables, repositories (rows <-> records) and Alembic migrations.

Open it with `open_store(url)`; do one use case per `Store.session()`; hand the session to
repositories (`ReportRepository`, `HostRepository`, `PackageRepository`), which never commit.
"""

from __future__ import annotations

from fleetpatch.store.engine import Store, open_store
from fleetpatch.store.hosts import HostRepository
from fleetpatch.store.packages import PackageCache, PackageRepository
from fleetpatch.store.records import PackageSetInfo, PackageVersion, ReportHeader, StoreOutcome
from fleetpatch.store.reports import ReportRepository

__all__ = [
    "HostRepository",
    "PackageCache",
    "PackageRepository",
    "PackageSetInfo",
    "PackageVersion",
    "ReportHeader",
    "ReportRepository",
    "Store",
    "StoreOutcome",
    "open_store",
]
