"""The run pages in a real browser: the runs list equals the API's, and a stopped run shows why
it stopped, host by host, as an on-call engineer opening it from the list would see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_support import Server, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_open_the_runs_and_a_stopped_run(page: Page, server: Server) -> None:
    page.goto("/")
    page.click("[data-testid=nav-runs]")
    page.wait_for_url("**/runs")
    runs = server.api("/runs")
    assert runs, "the demo has runs"
    rows = page.locator("[data-testid=run-row]")
    assert rows.count() == len(runs)
    assert [rows.nth(i).get_attribute("data-run") for i in range(rows.count())] == [
        r["id"] for r in runs
    ]
    assert page.locator("[data-testid=run-simulated]").count() == len(runs)
    screenshot(page, "runs")
    chosen = next((r for r in runs if r["state"] == "stopped"), runs[0])
    page.click(f"[data-run='{chosen['id']}'] [data-testid=run-link]")
    page.wait_for_url(f"**/runs/{chosen['id']}")
    assert page.locator("[data-testid=run-id]").inner_text() == chosen["id"]
    assert page.locator("[data-testid=run-state]").inner_text().startswith(chosen["state"])
    shown = server.api(f"/runs/{chosen['id']}")
    hosts = page.locator("[data-testid=run-host]")
    assert hosts.count() == len(shown["hosts"])
    failed = [h for h in shown["hosts"] if h["state"] == "failed"]
    for host in failed:
        row = page.locator(f"[data-testid=run-host][data-host='{host['host']}']")
        assert row.locator("[data-testid=run-host-paged]").inner_text() == "paged"
        assert host["reason"].split(": ", 1)[1] in row.inner_text()
    screenshot(page, "run")
