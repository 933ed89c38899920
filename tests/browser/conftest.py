"""Browser tests: Playwright driving Debian's Chromium against a real uvicorn serving a demo store.

The store is a small `fleetpatch demo` fleet with its simulated runs (built once per session by
`build_demo` and `build_demo_runs`), served by the real app factory on a free loopback port.
Tests skip when `/usr/bin/chromium` (or the Python `playwright` package) is missing, unless
`FLEETPATCH_REQUIRE_BROWSER=1` (CI) makes that a failure. Playwright is never asked to download a
browser. Screenshots go to `artifacts/screenshots/`.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_support import Server

from fleetpatch.app.demo import build_demo
from fleetpatch.app.tokens import create_token
from fleetpatch.orchestrate.demo_runs import build_demo_runs
from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import parse_policy
from fleetpatch.policy.records import Policy
from fleetpatch.settings import Settings
from fleetpatch.store import Store, open_store

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
HOSTS = 60
EVERY = 10


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium through Playwright")


def _unavailable(reason: str) -> None:
    if os.environ.get("FLEETPATCH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser required (FLEETPATCH_REQUIRE_BROWSER=1): {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Fleet:
    store: Store
    policy: Policy
    url: str


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    path = tmp_path_factory.mktemp("browser") / "fleetpatch.db"
    url = f"sqlite:///{path}"
    store = open_store(url)
    policy = parse_policy(EXAMPLE_POLICY, "fleet.yaml")
    build_demo(store, policy, hosts=HOSTS, seed=7, now=NOW, every=EVERY)
    build_demo_runs(store, policy, now=NOW, seed=7)  # as `fleetpatch demo` does
    yield Fleet(store, policy, url)
    store.close()


def _serve(fleet: Fleet, *, auth: bool) -> Iterator[Server]:
    import uvicorn

    from fleetpatch.web.app import create_app

    app = create_app(Settings(db_url=fleet.url), fleet.store, fleet.policy, lambda: NOW, auth=auth)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uvicorn_server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}")
    uvicorn_server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def server(fleet: Fleet) -> Iterator[Server]:
    yield from _serve(fleet, auth=False)


@pytest.fixture(scope="session")
def auth_server(fleet: Fleet) -> Iterator[Server]:
    """The same fleet with auth on: pages need a login."""
    yield from _serve(fleet, auth=True)


@pytest.fixture(scope="session")
def viewer_token(fleet: Fleet) -> str:
    _, secret = create_token(fleet.store, "browser-viewer", "viewer", now=NOW)
    return secret


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
