"""The checks every fuzz case ends with: what a store holds, the pages that must answer, and
what a rejection must look like."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import inspect

from fleetpatch.policy.records import Policy
from fleetpatch.store import Store

FLEET_PAGES = (
    "/",
    "/hosts",
    "/packages",
    "/cve?q=CVE-2024-6387",
    "/api/v1/overview",
    "/api/v1/hosts",
    "/api/v1/hosts?sort=severity&order=asc&limit=500",
    "/api/v1/drift",
    "/api/v1/trends/fleet",
    "/metrics",
)
FIELD = re.compile(
    r"(report|invalid JSON|[a-z_]+(\.[a-z_]+|\[\d+\]|\[.{1,200}?\]| \(the key\))*): \S"
)
"""A rejection reason starts with the field it is about (`packages[3].version: ...`)."""
MAX_REASON = 1_000


def digest(store: Store) -> dict[str, str]:
    """Per table: row count and a hash of every row, to tell whether anything was written."""
    out = {}
    with store.engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            rows = sorted(repr(r) for r in conn.exec_driver_sql(f'SELECT * FROM "{name}"'))
            out[name] = f"{len(rows)} {hashlib.sha256(''.join(rows).encode()).hexdigest()}"
    return out


def host_pages(policy: Policy, hosts: Iterable[str], packages: Iterable[dict[str, Any]]) -> list:
    """Every page and endpoint that shows the fleet, these hosts, and these packages."""
    pages: list[tuple[str, dict[str, str]]] = [(p, {}) for p in FLEET_PAGES]
    for bucket in policy.buckets:
        pages += [(f"/buckets/{bucket.name}", {}), (f"/api/v1/buckets/{bucket.name}", {})]
    for host in hosts:
        pages += [(f"/hosts/{host}", {}), (f"/api/v1/hosts/{host}", {})]
        pages += [("/hosts", {"q": host}), ("/api/v1/hosts", {"q": host})]
    for package in packages:
        name, version = package["name"], package["version"]
        pages += [("/api/v1/drift", {"package": name}), ("/packages", {"package": name})]
        pages.append(
            ("/api/v1/hosts", {"package": name, "version": version, "ecosystem": package["eco"]})
        )
    return pages


def check_rejection(reason: str) -> None:
    """One line, bounded, naming a field after its `where:` prefix(es)."""
    assert "\n" not in reason, reason
    assert len(reason) <= MAX_REASON, f"{len(reason)} characters: {reason[:200]}..."
    rest = re.sub(r"^[^:]*?(:\d+|\[\d+\])?: ", "", reason, count=1)
    assert FIELD.match(rest), f"does not name a field: {reason!r}"
