"""Days behind is a figure of hosts: each host is as far behind as its oldest missing update, and
a bucket's mean, p90 and max are over its hosts (the package-instance mean is secondary)."""

from __future__ import annotations

import math
from collections import defaultdict

from fastapi.testclient import TestClient

from fleetpatch.exposure.rollups import Rollup
from fleetpatch.store.status_queries import nearest_rank


def _hosts(client: TestClient) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    url: str | None = "/api/v1/hosts?limit=500"
    for _ in range(100):  # bounded: the test fleet has a few hundred hosts
        if url is None:
            break
        page = client.get(url).json()
        out += page["hosts"]
        url = page["next"]
    return out


def test_bucket_figures_are_over_hosts_and_their_oldest_missing_update(client: TestClient) -> None:
    by_bucket: defaultdict[str, list[float]] = defaultdict(list)
    for h in _hosts(client):
        if h["bucket"]:
            by_bucket[str(h["bucket"])].append(float(h["days_behind"]))  # type: ignore[arg-type]
    assert by_bucket
    checked = 0
    for bucket, days in by_bucket.items():
        body = client.get(f"/api/v1/buckets/{bucket}").json()
        rollup = body["rollup"]
        assert rollup["hosts"] == len(days)
        assert math.isclose(rollup["days_behind_mean"], sum(days) / len(days), abs_tol=0.01)
        assert math.isclose(rollup["days_behind_max"], max(days), abs_tol=0.01)
        whole = sorted(math.floor(d) for d in days)
        assert body["days_behind_p90"] == whole[math.ceil(0.9 * len(whole)) - 1]
        page = client.get(f"/buckets/{bucket}").text
        assert f'data-testid="bucket-days-p90">{body["days_behind_p90"]:.0f}<' in page
        checked += any(days)
    assert checked  # at least one bucket is behind at all, so the figures were put to the test


def test_a_tenth_of_hosts_far_behind_does_not_read_as_zero() -> None:
    # 302 hosts of 700 packages each; 39 of them miss one update that is 200 days old.
    hosts, behind, packages = 302, 39, 700
    r = Rollup(
        "db-team",
        hosts=hosts,
        days_behind_sum=behind * 200.0,
        package_instances=hosts * packages,
        days_behind_max=200.0,
        host_days_sum=behind * 200.0,
    )
    assert round(r.days_behind_package_mean, 2) == 0.04  # the figure that read "0.0"
    assert round(r.days_behind_mean, 1) == 25.8  # over hosts: the truth a team can act on


def test_nearest_rank_quantile() -> None:
    assert nearest_rank([], 0.9) == 0
    assert nearest_rank([(0, 9), (30, 1)], 0.9) == 0  # 9 of 10 are current
    assert nearest_rank([(0, 8), (30, 2)], 0.9) == 30
    assert nearest_rank([(5, 1)], 0.9) == 5
    assert nearest_rank([(10, 3), (1, 7)], 0.5) == 1  # unsorted input
