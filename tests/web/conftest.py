"""Fixtures for the web tests: a small real store (generated hosts, Debian 12 catalog, AlmaLinux
advisories), evaluated once per session and copied per test, and in-process clients over it;
`runs_store`/`runs_client` add the demo's three runs, worked by the engine (simulated executor)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_support import DATA, HOSTS, NOW, Tokens

from fleetpatch.app.evaluate import evaluate_fleet
from fleetpatch.app.ingest import Source, ingest
from fleetpatch.app.tokens import create_token
from fleetpatch.app.upstream import import_advisories, import_catalog
from fleetpatch.orchestrate.demo_runs import build_demo_runs
from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import parse_policy
from fleetpatch.policy.records import Policy
from fleetpatch.settings import Settings
from fleetpatch.simulate.fleet import fleet_to_ndjson, generate_fleet
from fleetpatch.store import Store, open_store
from fleetpatch.web.app import create_app


@pytest.fixture(scope="session")
def policy() -> Policy:
    return parse_policy(EXAMPLE_POLICY, "fleet.yaml")


@pytest.fixture(scope="session")
def evaluated_db(tmp_path_factory: pytest.TempPathFactory, policy: Policy) -> Path:
    """A store file with HOSTS generated hosts, catalog, advisories and one evaluation."""
    path = tmp_path_factory.mktemp("web") / "fleet.db"
    store = open_store(f"sqlite:///{path}")
    body = b"".join(fleet_to_ndjson(generate_fleet(HOSTS, seed=7, now=NOW)))
    ingest(store, [Source.from_bytes("fleet", body)], now=NOW)
    import_catalog(store, [str(DATA / "catalog/debian12/lists")], now=NOW)
    import_advisories(store, [DATA / "web/almalinux9-osv"], now=NOW)
    evaluate_fleet(store, policy, now=NOW)
    store.close()
    return path


@pytest.fixture
def store(evaluated_db: Path, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the evaluated store, so a test may write to it."""
    copy = tmp_path / "fleet.db"
    shutil.copyfile(evaluated_db, copy)
    opened = open_store(f"sqlite:///{copy}")
    yield opened
    opened.close()


@pytest.fixture
def tokens(store: Store) -> Tokens:
    made = {r: create_token(store, f"test-{r}", r, now=NOW)[1] for r in Tokens.__annotations__}
    return Tokens(**made)


def make_client(store: Store, policy: Policy, *, auth: bool) -> TestClient:
    app = create_app(Settings(), store, policy, lambda: NOW, auth=auth)
    return TestClient(app, raise_server_exceptions=True)


@pytest.fixture
def client(store: Store, policy: Policy) -> Iterator[TestClient]:
    """Auth off: the loopback demo mode."""
    with make_client(store, policy, auth=False) as c:
        yield c


@pytest.fixture
def auth_client(store: Store, policy: Policy) -> Iterator[TestClient]:
    with make_client(store, policy, auth=True) as c:
        yield c


@pytest.fixture(scope="session")
def runs_db(evaluated_db: Path, tmp_path_factory: pytest.TempPathFactory, policy: Policy) -> Path:
    """The evaluated web store plus the demo's three runs, built once."""
    path = tmp_path_factory.mktemp("runs") / "fleet.db"
    shutil.copyfile(evaluated_db, path)
    store = open_store(f"sqlite:///{path}")
    made = build_demo_runs(store, policy, now=NOW, seed=7)
    store.close()
    assert made.skipped == ()
    return path


@pytest.fixture
def runs_store(runs_db: Path, tmp_path: Path) -> Iterator[Store]:
    copy = tmp_path / "fleet.db"
    shutil.copyfile(runs_db, copy)
    opened = open_store(f"sqlite:///{copy}")
    yield opened
    opened.close()


@pytest.fixture
def runs_client(runs_store: Store, policy: Policy) -> Iterator[TestClient]:
    app = create_app(Settings(), runs_store, policy, lambda: NOW, auth=False)
    with TestClient(app, raise_server_exceptions=True) as c:
        yield c
