"""Host listings: classification at read time, filters, uptime, detail and history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from fleetpatch.app.hosts import list_hosts, show_host
from fleetpatch.app.ingest import Source, ingest
from fleetpatch.errors import NotFoundError
from fleetpatch.policy.records import Bucket, MatchRule, Policy
from fleetpatch.store import Store

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
POLICY = Policy(
    buckets=(
        Bucket("databases", "dba", "in-place-gated", match=(MatchRule(labels={"role": "db"}),)),
        Bucket("stateless", "platform", "replace", match=(MatchRule(hostname="jump-*"),)),
        Bucket("colo", "platform", "manual", match=(MatchRule(hostname="metal-*"),)),
    )
)


def report(hostname: str, minute: int = 0, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schema": "fleetpatch.report/v1",
        "hostname": hostname,
        "collected_at": f"2026-11-27T10:{minute:02d}:00Z",
        "os": {"id": "debian", "version_id": "12", "pretty_name": "Debian GNU/Linux 12 (bookworm)"},
        "ecosystem": "Debian:12",
        "kernel": {"running": "6.1.0-25-amd64", "installed": ["6.1.0-25-amd64"]},
        "boot_time": "2026-10-28T12:00:00Z",
        "packages": [{"name": "bash", "version": "5.2.15-2+b2", "arch": "amd64"}],
        "labels": {},
    }
    body.update(changes)
    return body


def load(store: Store, *reports: dict[str, Any]) -> None:
    data = b"".join(orjson.dumps(r) + b"\n" for r in reports)
    summary = ingest(store, [Source.from_bytes("r.ndjson", data)], now=NOW)
    assert summary.rejected == ()


@pytest.fixture
def fleet(store: Store) -> Store:
    load(
        store,
        report("db-01", labels={"role": "db"}),
        report("jump-01", reboot_required={"flag": True}),
        report("web-01", boot_time=None),
        report("metal-01"),
    )
    return store


def names(found: list[Any]) -> list[str]:
    return [s.hostname for s in found]


def test_hosts_are_classified_from_their_latest_report(fleet: Store) -> None:
    found = {s.hostname: s for s in list_hosts(fleet, POLICY, now=NOW)}
    assert (found["db-01"].bucket, found["db-01"].owner) == ("databases", "dba")
    assert (found["jump-01"].bucket, found["jump-01"].owner) == ("stateless", "platform")
    assert found["web-01"].bucket is None
    assert found["db-01"].os == "Debian GNU/Linux 12 (bookworm)"
    assert found["db-01"].packages == 1
    assert found["db-01"].uptime_days == 30
    assert found["web-01"].uptime_days is None
    assert found["jump-01"].reboot_required is True
    assert found["db-01"].reboot_required is None


def test_filters_by_bucket_owner_and_unclassified(fleet: Store) -> None:
    assert names(list_hosts(fleet, POLICY, bucket="databases", now=NOW)) == ["db-01"]
    assert names(list_hosts(fleet, POLICY, owner="platform", now=NOW)) == ["jump-01", "metal-01"]
    assert names(list_hosts(fleet, POLICY, unclassified=True, now=NOW)) == ["web-01"]
    both = list_hosts(fleet, POLICY, bucket="colo", owner="platform", now=NOW)
    assert names(both) == ["metal-01"]
    assert list_hosts(fleet, POLICY, bucket="databases", owner="platform", now=NOW) == []


def test_without_a_policy_everything_is_unclassified(fleet: Store) -> None:
    found = list_hosts(fleet, None, now=NOW)
    assert [s.bucket for s in found] == [None] * 4
    assert names(list_hosts(fleet, None, unclassified=True, now=NOW)) == names(found)


def test_classification_follows_a_relabelled_host(fleet: Store) -> None:
    load(fleet, report("web-01", minute=30, labels={"role": "db"}))
    found = {s.hostname: s for s in list_hosts(fleet, POLICY, now=NOW)}
    assert found["web-01"].bucket == "databases"
    load(fleet, report("web-01", minute=45, labels={"role": "web"}))
    found = {s.hostname: s for s in list_hosts(fleet, POLICY, now=NOW)}
    assert found["web-01"].bucket is None


def test_show_host_gives_facts_and_history(fleet: Store) -> None:
    load(fleet, report("db-01", minute=20, labels={"role": "db"}, boot_time="2026-11-27T09:00:00Z"))
    detail = show_host(fleet, POLICY, "db-01", now=NOW)
    assert detail.summary.bucket == "databases"
    assert detail.summary.uptime_days == 0
    assert detail.total_reports == 2
    assert [e.collected_at.minute for e in detail.history] == [20, 0]
    assert detail.latest.kernel.installed == ("6.1.0-25-amd64",)
    short = show_host(fleet, POLICY, "db-01", history=1, now=NOW)
    assert len(short.history) == 1
    assert short.total_reports == 2


def test_unknown_host_is_not_found(fleet: Store) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        show_host(fleet, POLICY, "nope", now=NOW)
