"""Fixtures of the fuzz suite: a small real store and the in-process app over a copy of it.

The Hypothesis profile is in `fuzz_support.py`.
The store is built once (a few generated hosts, the Debian 12 lists, the AlmaLinux advisories,
one evaluation) and copied per test; within a test, Hypothesis' examples share that copy, so
accepted reports pile up the way they do on a real server.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fuzz_support import ErrorLog, Served, bearer
from report_strategies import DATA, NOW

from fleetpatch.app.evaluate import evaluate_fleet
from fleetpatch.app.ingest import Source, ingest
from fleetpatch.app.tokens import create_token
from fleetpatch.app.upstream import import_advisories, import_catalog
from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import parse_policy
from fleetpatch.policy.records import Policy
from fleetpatch.settings import Settings
from fleetpatch.simulate.fleet import fleet_to_ndjson, generate_fleet
from fleetpatch.store import open_store
from fleetpatch.web.app import create_app


@pytest.fixture(scope="session")
def policy() -> Policy:
    return parse_policy(EXAMPLE_POLICY, "fleet.yaml")


@pytest.fixture(scope="session")
def fuzz_db(tmp_path_factory: pytest.TempPathFactory, policy: Policy) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "fleet.db"
    store = open_store(f"sqlite:///{path}")
    body = b"".join(fleet_to_ndjson(generate_fleet(6, seed=3, now=NOW)))
    ingest(store, [Source.from_bytes("fleet", body)], now=NOW)
    import_catalog(store, [str(DATA / "catalog/debian12/lists")], now=NOW)
    import_advisories(store, [DATA / "web/almalinux9-osv"], now=NOW)
    evaluate_fleet(store, policy, now=NOW)
    store.close()
    return path


@pytest.fixture
def served(fuzz_db: Path, tmp_path: Path, policy: Policy) -> Iterator[Served]:
    """A private copy of the store behind the app, auth off, with a reporter token."""
    copy = tmp_path / "fleet.db"
    shutil.copyfile(fuzz_db, copy)
    store = open_store(f"sqlite:///{copy}")
    secret = create_token(store, "fuzz", "reporter", now=NOW)[1]
    app = create_app(Settings(), store, policy, lambda: NOW, auth=False)
    errors = ErrorLog()
    logger = logging.getLogger("fleetpatch")
    logger.addHandler(errors)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            # The token's first use is recorded (a row write); do it now, before any digest.
            client.post("/api/v1/reports", content=b"[]", headers=bearer(secret))
            yield Served(store, policy, client, secret, errors)
    finally:
        logger.removeHandler(errors)
        store.close()
