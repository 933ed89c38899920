"""The demo's upstream in the store: curated first-seen times kept as given, raw OSV kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fleetpatch.app.demo import releases_of, store_upstream
from fleetpatch.simulate.advisorydata import load_advisories
from fleetpatch.simulate.demo_catalog import demo_catalog
from fleetpatch.simulate.packagedata import ALMALINUX_9, DEBIAN_12, load_ecosystem
from fleetpatch.store import Store
from fleetpatch.store.advisories import AdvisoryRepository
from fleetpatch.store.catalog import CatalogRepository

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_the_store_keeps_the_demo_catalog_and_advisories(store: Store) -> None:
    shipped = load_advisories()
    catalog = demo_catalog(
        load_ecosystem(DEBIAN_12), load_ecosystem(ALMALINUX_9), [s.advisory for s in shipped]
    )
    store_upstream(store, catalog, shipped, now=NOW)
    store_upstream(store, catalog, shipped, now=NOW)  # again: nothing doubles
    with store.session() as session:
        stored = CatalogRepository(session).entries()
        releases = CatalogRepository(session).releases()
        advisories = AdvisoryRepository(session)
        counts = advisories.count_by_ecosystem()
        raw = advisories.raw(shipped[0].advisory.id)
    expected = {(e.key, e.origin.suite): (e.first_seen, e.first_seen_exact) for e in catalog}
    got = {(e.key, e.origin.suite): (e.first_seen, e.first_seen_exact) for e in stored}
    assert got == expected
    assert len(releases) == len(releases_of(catalog)) == 4  # three bookworm suites, baseos
    assert {r.suite for r in releases} == {
        "bookworm",
        "bookworm-updates",
        "bookworm-security",
        "baseos",
    }
    assert counts[ALMALINUX_9] >= len(shipped)
    assert raw is not None
    assert raw["id"] == json.loads(shipped[0].raw)["id"]
