"""The dashboard in a real browser: the numbers a platform team reads equal the API's JSON.

Each test walks a path a user takes (overview → bucket, hosts filtered, a host, a CVE search),
reads the figures off the rendered page, compares them with `/api/v1`, and keeps a screenshot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from browser_support import Server, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def _int(page: Page, selector: str) -> int:
    return int(page.locator(selector).inner_text().strip())


def _percent(value: float) -> str:
    return f"{value:.1f} %"


def test_overview_numbers_equal_the_api(page: Page, server: Server) -> None:
    page.goto("/")
    api = server.api("/overview")
    fleet = api["fleet"]
    assert _int(page, "[data-testid=fleet-hosts]") == fleet["hosts"]
    assert page.locator("[data-testid=fleet-patched]").inner_text() == _percent(
        fleet["patched_percent"]
    )
    mean = page.locator("[data-testid=fleet-days-mean]").inner_text()
    assert mean == f"{fleet['days_behind_mean']:.1f}"
    assert _int(page, "[data-testid=fleet-critical-high]") == fleet["critical_or_high"]
    assert _int(page, "[data-testid=fleet-pending-reboot]") == fleet["pending_reboot"]
    assert _int(page, "[data-testid=fleet-unclassified]") == fleet["unclassified"]
    rows = page.locator("[data-testid=bucket-row]")
    by_key = {b["key"] if b["key"] is not None else "(none)": b for b in api["buckets"]}
    assert rows.count() == len(by_key)
    for i in range(rows.count()):
        row = rows.nth(i)
        line = by_key[row.get_attribute("data-bucket") or ""]
        for cell, field in (
            ("cell-hosts", "hosts"),
            ("cell-critical-high", "critical_or_high"),
            ("cell-pending-reboot", "pending_reboot"),
            ("cell-stale", "stale"),
            ("cell-drifted", "drifted"),
            ("cell-sla-breaches", "sla_breaches"),
        ):
            assert int(row.locator(f"[data-testid={cell}]").inner_text()) == line[field], cell
    assert len(api["trend"]) >= 10  # the demo's history, one point per evaluation
    assert page.locator("[data-testid=trend-charts] svg").count() >= 1
    screenshot(page, "overview")


def test_follow_a_bucket(page: Page, server: Server) -> None:
    page.goto("/")
    page.locator("[data-testid=bucket-row][data-bucket=databases] a").first.click()
    page.wait_for_url("**/buckets/databases")
    api = server.api("/buckets/databases")
    assert page.locator("[data-testid=bucket-name]").inner_text() == "databases"
    assert page.locator("[data-testid=bucket-owner]").inner_text() == api["owner"] == "dba"
    for state, count in api["by_update_state"].items():
        cell = page.locator(f"[data-testid=state-row][data-state={state}] td.num")
        assert int(cell.inner_text()) == count, state
    pending = page.locator("tr[data-state=pending_reboot] td.num").inner_text()
    assert int(pending) == api["rollup"]["pending_reboot"]
    everyone = page.locator("[data-testid=bucket-all-hosts]").inner_text()
    assert everyone == f"All {api['rollup']['hosts']} hosts of databases"
    # The story: the database team is behind, so none of its hosts is current.
    assert api["by_update_state"].get("current", 0) < api["rollup"]["hosts"]
    screenshot(page, "bucket-databases")


def test_filter_hosts(page: Page, server: Server) -> None:
    page.goto("/hosts")
    page.select_option("[data-testid=filter-bucket]", "databases")
    page.select_option("[data-testid=filter-state]", "overdue")
    page.click("[data-testid=filter-apply]")
    page.wait_for_url("**/hosts?*bucket=databases*")
    api = server.api("/hosts?bucket=databases&state=overdue&limit=50")
    assert api["total"] > 0
    assert _int(page, "[data-testid=hosts-total]") == api["total"]
    shown = page.locator("[data-testid=host-row]").evaluate_all(
        "rows => rows.map(r => r.dataset.hostname)"
    )
    assert shown == [h["hostname"] for h in api["hosts"]]
    assert all(h["bucket"] == "databases" and h["update"] == "overdue" for h in api["hosts"])
    screenshot(page, "hosts-databases-overdue")


def test_open_a_host(page: Page, server: Server) -> None:
    page.goto("/hosts?q=metal-01")
    page.locator("[data-testid=host-row][data-hostname=metal-01] a").first.click()
    page.wait_for_url("**/hosts/metal-01")
    api: dict[str, Any] = server.api("/hosts/metal-01")
    assert page.locator("[data-testid=host-name]").inner_text() == "metal-01"
    assert page.locator("[data-testid=host-bucket]").inner_text() == api["status"]["bucket"]
    assert api["status"]["reboot"] == "pending_reboot"
    assert "pending, since: " in page.locator("[data-testid=host-reboot-state]").inner_text()
    assert api["status"]["uptime_days"] > 412
    assert _int(page, "[data-testid=outdated-count]") == len(api["outdated"])
    screenshot(page, "host-metal-01")


def _cve_with_affected_hosts(server: Server) -> str:
    page = server.api("/hosts?state=critical_or_high&sort=severity&limit=20")
    for host in page["hosts"]:
        detail = server.api(f"/hosts/{quote(host['hostname'])}")
        for package in detail["vulnerable"]:
            for finding in package["findings"]:
                cves = [a for a in finding["aliases"] if a.startswith("CVE-")]
                if cves:
                    return str(cves[0])
    raise AssertionError("the demo fleet has no host with a CVE finding")


def test_search_a_cve(page: Page, server: Server) -> None:
    cve = _cve_with_affected_hosts(server)
    page.goto("/cve")
    page.fill("[data-testid=cve-query]", cve)
    page.click("[data-testid=cve-submit]")
    page.wait_for_url(f"**/cve?q={cve}")
    api = server.api(f"/cve/{cve}")
    assert api["affected_hosts"] > 0
    assert _int(page, "[data-testid=cve-affected]") == api["affected_hosts"]
    owners = page.locator("[data-testid=cve-owner]").all_inner_texts()
    assert owners == api["owners_to_act"]
    hosts = page.locator("[data-testid=cve-host]").evaluate_all(
        "rows => rows.map(r => r.dataset.hostname)"
    )
    expected = [h["hostname"] for g in api["groups"] for h in g["hosts"]]
    assert sorted(hosts) == sorted(expected)
    screenshot(page, "cve")
