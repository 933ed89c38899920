"""A Debian host with a candidate from its security suite has a security update pending, with or
without imported advisories: the overview counts it, and the hosts list filters on it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def _all(client: TestClient, query: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    url: str | None = f"/api/v1/hosts?limit=500{query}"
    for _ in range(100):  # bounded: a few hundred hosts
        if url is None:
            break
        page = client.get(url).json()
        out += page["hosts"]
        url = page["next"]
    return out


def test_security_suite_updates_count_without_debian_advisories(client: TestClient) -> None:
    hosts = _all(client, "")
    debian = [h for h in hosts if str(h["ecosystem"]).startswith("Debian")]
    pending = [h for h in hosts if int(h["security_updates"]) > 0]  # type: ignore[call-overload]
    # The test store imports AlmaLinux advisories only: Debian hosts have no findings at all...
    assert debian
    assert all(h["advisories"] == 0 for h in debian)
    # ...yet their security suite offers fixes, and that alone is a security update pending.
    assert any(h in pending for h in debian)
    fleet = client.get("/api/v1/overview").json()["fleet"]
    assert fleet["security_pending"] == len(pending)
    page = client.get("/").text
    shown = re.search(r'data-testid="fleet-security-pending">(\d+)<', page)
    assert shown is not None
    assert int(shown.group(1)) == len(pending)
    listed = _all(client, "&state=security_pending")
    assert sorted(h["hostname"] for h in listed) == sorted(h["hostname"] for h in pending)
