"""The pages, server-rendered: every figure links to the hosts behind it (and the linked list has
exactly that many hosts), liabilities are red, and the on-call pages answer."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from web_support import HOSTS, Tokens, bearer, report_json

COUNT_CELLS = (
    "cell-hosts",
    "cell-critical-high",
    "cell-pending-reboot",
    "cell-stale",
    "cell-drifted",
    "cell-unclassified",
    "cell-sla-breaches",
)


def total_on(client: TestClient, href: str) -> int:
    page = client.get(href.replace("&amp;", "&"))
    assert page.status_code == 200, href
    found = re.search(r'data-testid="hosts-total">(\d+)<', page.text)
    assert found, href
    return int(found.group(1))


def rows(html: str, testid: str) -> list[str]:
    return re.findall(rf'<tr data-testid="{testid}".*?</tr>', html, flags=re.S)


def test_overview_has_a_row_per_bucket_and_owner(client: TestClient) -> None:
    html = client.get("/").text
    buckets = re.findall(r'data-testid="bucket-row" data-bucket="([^"]+)"', html)
    assert {"k8s-nodes", "databases", "stateless", "bare-metal"} <= set(buckets)
    owners = re.findall(r'data-testid="owner-row" data-owner="([^"]+)"', html)
    assert {"platform", "dba", "infra", "colo-ops"} <= set(owners)
    assert f'data-testid="fleet-hosts">{HOSTS}<' in html
    assert html.count("<svg") == 6  # three host trends, three time-to-patch trends


@pytest.mark.parametrize("cell", COUNT_CELLS)
def test_every_count_links_to_exactly_those_hosts(client: TestClient, cell: str) -> None:
    html = client.get("/").text
    links = re.findall(rf'data-testid="{cell}"><a href="([^"]+)">(\d+)</a>', html)
    assert len(links) >= 8  # bucket rows and owner rows
    for href, shown in links:
        assert total_on(client, href) == int(shown), href


def test_fleet_cards_link_to_their_hosts(client: TestClient) -> None:
    html = client.get("/").text
    card = re.search(r'<a href="([^"]+)"><b data-testid="fleet-pending-reboot">(\d+)</b>', html)
    assert card
    assert total_on(client, card.group(1)) == int(card.group(2)) > 0


def test_a_412_day_uptime_is_shown_in_days_and_in_red(client: TestClient) -> None:
    html = client.get("/").text
    (row,) = [r for r in rows(html, "bucket-row") if 'data-bucket="bare-metal"' in r]
    cell = re.search(r'<td class="num liability" data-testid="cell-uptime">.*?</td>', row, re.S)
    assert cell, row
    assert "412 days" in cell.group(0)


def test_bucket_page_shows_owner_cadence_and_states(client: TestClient) -> None:
    html = client.get("/buckets/databases").text
    assert 'data-testid="bucket-owner">dba<' in html
    assert "#dba" in html
    assert 'data-testid="bucket-strategy">in-place-gated<' in html
    assert len(re.findall(r"<li>\d{4}-\d\d-\d\d \d\d:\d\d UTC →", html)) == 3
    for href, shown in re.findall(
        r'data-state="\w+"><td>[^<]+</td><td class="num"><a href="([^"]+)">(\d+)</a>', html
    ):
        assert total_on(client, href) == int(shown)


def test_a_small_buckets_page_shows_its_forecast_and_it_can_be_left_out(client: TestClient) -> None:
    html = client.get("/buckets/databases").text
    forecast = re.search(r'data-testid="bucket-forecast">(.*?)</dd>', html, re.S)
    assert forecast
    assert "compute the forecast" not in forecast.group(1)
    assert re.search(r"hosts in \d+ waves|nothing pending", forecast.group(1))
    skipped = client.get("/buckets/databases?forecast=0").text
    assert 'data-testid="bucket-forecast-link"' in skipped


def test_hosts_page_filters_sorts_and_paginates(client: TestClient) -> None:
    first = client.get("/hosts?size=25&sort=hostname&order=asc").text
    second_href = re.search(r'id="next-page" data-testid="next-page" href="([^"]+)"', first)
    assert second_href
    second = client.get(second_href.group(1).replace("&amp;", "&")).text
    names = [
        re.findall(r'data-testid="host-row" data-hostname="([^"]+)"', p) for p in (first, second)
    ]
    assert len(names[0]) == len(names[1]) == 25
    assert names[0] + names[1] == sorted(names[0] + names[1])
    assert not set(names[0]) & set(names[1])
    pending = client.get("/hosts?state=pending_reboot").text
    assert pending.count('data-testid="host-row"') == total_on(
        client, "/hosts?state=pending_reboot"
    )
    assert "pending since" in pending


def test_host_page_shows_facts_packages_advisories_and_history(client: TestClient) -> None:
    worst = client.get("/api/v1/hosts?sort=severity&limit=1").json()["hosts"][0]["hostname"]
    html = client.get(f"/hosts/{worst}").text
    assert f'data-testid="host-name">{worst}<' in html
    advisories = rows(html, "advisory-row")
    assert advisories
    levels = [re.search(r'class="sev-(\w+)"', r).group(1) for r in advisories]  # type: ignore[union-attr]
    order = ("critical", "high", "medium", "low", "unknown")
    assert levels == sorted(levels, key=order.index)  # most severe first
    assert levels[0] in ("critical", "high")
    assert len(rows(html, "history-row")) == 1
    debian = client.get("/api/v1/hosts?ecosystem=Debian:12&limit=1").json()["hosts"][0]
    page = client.get(f"/hosts/{debian['hostname']}").text
    assert len(rows(page, "outdated-row")) == debian["outdated"] > 0
    assert client.get("/hosts/nobody-here").status_code == 404


def test_cve_page_groups_affected_hosts_and_names_who_acts(client: TestClient) -> None:
    worst = client.get("/api/v1/hosts?sort=severity&limit=1").json()["hosts"][0]["hostname"]
    finding = client.get(f"/api/v1/hosts/{worst}").json()["vulnerable"][0]["findings"][0]
    ident = next((a for a in finding["aliases"] if a.startswith("CVE-")), finding["advisory_id"])
    api = client.get(f"/api/v1/cve/{ident}").json()
    assert api["affected_hosts"] >= 1
    assert worst in {h["hostname"] for g in api["groups"] for h in g["hosts"]}
    html = client.get(f"/cve?q={ident}").text
    assert f'data-testid="cve-affected">{api["affected_hosts"]}<' in html
    assert f'data-hostname="{worst}"' in html
    assert set(re.findall(r'data-testid="cve-owner">([^<]+)<', html)) == set(api["owners_to_act"])
    missing = client.get("/cve?q=CVE-1999-0000")
    assert missing.status_code == 404
    assert "no advisory" in missing.text


def test_packages_page_counts_link_to_the_hosts_running_that_version(client: TestClient) -> None:
    html = client.get("/packages").text
    links = re.findall(
        r'<a href="(/hosts\?[^"]+)" data-testid="drift-version"[^>]*><code>[^<]+</code> \((\d+)\)',
        html,
    )
    assert links
    for href, shown in links[:5]:
        assert total_on(client, href) == int(shown)
    off = re.findall(
        r'<a href="(/packages\?package=[^"]+)" data-testid="drift-hosts-off">(\d+)<', html
    )
    href, shown = next((h, n) for h, n in off if int(n) > 0)
    versions = client.get(href.replace("&amp;", "&")).text
    counts = re.findall(r"\((\d+)\)</a> (?:behind|ahead)", versions)
    assert sum(int(n) for n in counts) >= int(shown)


def test_calendar_feed(client: TestClient) -> None:
    response = client.get("/calendar.ics")
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.text.startswith("BEGIN:VCALENDAR")
    assert "BEGIN:VEVENT" in response.text


def test_a_pending_reboot_without_an_evidence_time_says_so(
    client: TestClient, tokens: Tokens
) -> None:
    data = report_json("flagged-01")
    data["reboot_required"] = {"flag": True}  # the flag, with no time it appeared
    data["kernel"] = {"running": "6.1.0-25-amd64", "installed": ["6.1.0-25-amd64"]}
    posted = client.post("/api/v1/reports", json=data, headers=bearer(tokens.reporter))
    assert posted.status_code == 201, posted.text
    page = client.get("/hosts/flagged-01").text
    state = re.search(r'data-testid="host-reboot-state">(.*?)</dd>', page, re.S)
    assert state is not None
    assert "pending, since: unknown (no evidence time)" in state.group(1)
    assert "since —" not in page


def test_days_behind_from_the_first_catalog_import_reads_at_least(client: TestClient) -> None:
    worst = client.get("/api/v1/hosts?sort=days_behind&limit=1").json()["hosts"][0]["hostname"]
    api = client.get(f"/api/v1/hosts/{worst}").json()
    inexact = [p for p in api["outdated"] if p.get("first_seen_exact") is False]
    page = client.get(f"/hosts/{worst}").text
    cells = re.findall(r'data-testid="outdated-days">(.*?)</td>', page, re.S)
    assert cells
    assert sum("≥" in c for c in cells) == len(inexact)


def test_host_page_groups_outdated_binaries_by_source_and_folds_history(
    client: TestClient,
) -> None:
    debian = client.get("/api/v1/hosts?ecosystem=Debian:12&sort=days_behind&limit=1").json()
    name = debian["hosts"][0]["hostname"]
    api = client.get(f"/api/v1/hosts/{name}").json()
    page = client.get(f"/hosts/{name}").text
    sources = re.findall(r'data-testid="outdated-source" data-source="([^"]+)"', page)
    expected = {p["source"] or p["name"] for p in api["outdated"]}
    assert sorted(sources) == sorted(expected)  # one group per source package, each once
    assert len(sources) < len(api["outdated"])  # several binaries share a source here
    assert len(rows(page, "outdated-row")) == len(api["outdated"])  # every binary still listed
    history = re.search(r'data-testid="history-count">(\d+)<', page)
    assert history is not None
    folded = 'data-testid="history-older"' in page
    assert folded == (int(history.group(1)) > 5)


def test_a_long_report_history_is_folded_after_five(client: TestClient, tokens: Tokens) -> None:
    for hours in range(1, 8):
        posted = client.post(
            "/api/v1/reports",
            json=report_json("hist-01", hours=hours),
            headers=bearer(tokens.reporter),
        )
        assert posted.status_code in (200, 201), posted.text
    page = client.get("/hosts/hist-01").text
    assert 'data-testid="history-count">7<' in page
    older = page.split('data-testid="history-older"', 1)[1]
    assert "2 older reports" in older
    assert len(rows(page, "history-row")) == 7


def test_packages_page_names_the_team_that_owns_each_level(client: TestClient) -> None:
    drift = client.get("/api/v1/drift").json()
    levelled = [r for r in drift if r["canonical"]]
    assert levelled  # every package the fleet runs has a level now, not only pinned ones
    assert all(r["owner"] for r in levelled)  # defaults.baseline_owner, or the baseline's own
    states = {v["direction"] for r in drift for v in r["versions"]}
    assert states <= {"on_baseline", "behind_baseline", "ahead_of_pin", "ahead_of_baseline", None}
    page = client.get("/packages").text
    owners = re.findall(r'data-testid="drift-owner">([^<]*)<', page)
    assert owners
    assert set(owners) <= {r["owner"] or "—" for r in drift}
