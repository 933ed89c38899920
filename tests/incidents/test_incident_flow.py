"""A simulated critical CVE on the demo fleet (virtual clock, loopback HTTP servers): opened on
import, war room and owners told once each, status posted once per 2-hour slot while the worker
is stopped and restarted, aliases finding one incident, an expedited run outside the window, and
a manual close that keeps the hosts listed."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "notify"))
from notify_servers import http_sink

from fleetpatch.app.demo import build_demo
from fleetpatch.app.notices import deliver_notices
from fleetpatch.app.upstream import import_advisories
from fleetpatch.incidents.service import (
    auto_open_imported,
    close_incident,
    expedite,
    find_incident,
    incident_tick,
    open_incident,
)
from fleetpatch.incidents.views import show_incident
from fleetpatch.notify.webhook import WebhookNotifier
from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import parse_policy
from fleetpatch.policy.records import IncidentPolicy, NotifierConfig, Policy
from fleetpatch.store import PackageRepository, Store
from fleetpatch.store.catalog import CatalogRepository
from fleetpatch.store.runs import RunRepository
from fleetpatch.versions import compare, scheme_for_ecosystem

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def _target(store: Store) -> tuple[str, str]:
    """A Debian source package some demo host runs older than the catalog's newest: the CVE's
    package and its fixed version."""
    scheme = scheme_for_ecosystem("Debian:12")
    newest: dict[str, str] = {}
    with store.session() as session:
        entries = CatalogRepository(session).entries(["Debian:12"])
    for e in entries:
        if e.ecosystem == "Debian:12" and e.source_version:
            known = newest.get(e.source)
            if known is None or compare(scheme, e.source_version, known) > 0:
                newest[e.source] = e.source_version
    with store.session() as session:
        versions = PackageRepository(session).distinct_versions()
    for v in sorted(versions, key=lambda v: v.source):
        known = v.ecosystem == "Debian:12" and v.source in newest and v.source != "linux"
        if known and compare(scheme, v.source_version, newest[v.source]) < 0:
            return v.source, newest[v.source]
    raise AssertionError("no outdated Debian package in the demo fleet")


def _advisory(tmp: Path, source: str, fixed: str, *, ident: str, cve: str) -> Path:
    path = tmp / f"{ident}.json"
    path.write_text(
        json.dumps(
            {
                "id": ident,
                "aliases": [cve],
                "modified": "2026-11-30T08:00:00Z",
                "published": "2026-11-30T08:00:00Z",
                "summary": f"{source}: remote code execution",
                "severity": [{"type": "CVSS_V3", "score": CRITICAL}],
                "affected": [
                    {
                        "package": {"ecosystem": "Debian:12", "name": source},
                        "ranges": [
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                        ],
                    }
                ],
            }
        )
    )
    return path


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fleetpatch.store import open_store

    path = tmp_path_factory.mktemp("incdemo") / "fleetpatch.db"
    store = open_store(f"sqlite:///{path}")
    try:
        build_demo(store, parse_policy(EXAMPLE_POLICY), hosts=24, seed=1, now=NOW, every=45)
    finally:
        store.close()
    return path


@pytest.fixture
def store(demo_db: Path, tmp_path: Path) -> Any:
    import shutil

    from fleetpatch.store import open_store

    copy = tmp_path / "fleetpatch.db"
    shutil.copy(demo_db, copy)
    opened = open_store(f"sqlite:///{copy}")
    yield opened
    opened.close()


def _policy(hooks_url: str, room_url: str) -> Policy:
    base = parse_policy(EXAMPLE_POLICY)
    return replace(
        base,
        notifiers=(
            NotifierConfig("webhook", "room", url=room_url),
            NotifierConfig("webhook", "hooks", url=hooks_url),
        ),
        incidents=IncidentPolicy(auto_open="critical", war_room="room"),
    )


def _deliver(store: Store, room: Any, hooks: Any, now: datetime, holder: str = "w1") -> None:
    senders = [WebhookNotifier("room", room.url, 5.0), WebhookNotifier("hooks", hooks.url, 5.0)]
    deliver_notices(store, senders, holder=holder, now=now)


def _keys(sink: Any) -> list[str]:
    return [body["key"] for _, _, body in sink.requests]


def test_critical_cve_from_import_to_manual_close(store: Store, tmp_path: Path) -> None:
    source, fixed = _target(store)
    with http_sink() as room, http_sink() as hooks:
        policy = _policy(hooks.url, room.url)
        path = _advisory(tmp_path, source, fixed, ident="DSA-9999-1", cve="CVE-2026-9999")
        import_advisories(store, [path], now=NOW)
        opened = auto_open_imported(store, policy, since=NOW, now=NOW)
        assert len(opened) == 1
        assert opened[0].created
        assert opened[0].hosts > 0
        incident = opened[0].id
        # Aliases and a second open resolve to the same incident.
        assert find_incident(store, "CVE-2026-9999") == incident
        assert find_incident(store, "DSA-9999-1") == incident
        again = open_incident(store, policy, "CVE-2026-9999", now=NOW, actor="t")
        assert (again.id, again.created) == (incident, False)
        assert auto_open_imported(store, policy, since=NOW, now=NOW)[0].created is False

        _deliver(store, room, hooks, NOW)
        _deliver(store, room, hooks, NOW)  # a second delivery sends nothing again
        assert _keys(room) == [f"incident/{incident}/opened"]
        doc = show_incident(store, policy, incident, now=NOW)
        owners = {b["owner"] for b in doc["buckets"] if b["owner"]}
        assert sorted(k.rsplit("/", 1)[1] for k in _keys(hooks)) == sorted(owners)
        assert doc["severity"] == "critical"
        assert doc["advisory"] == "CVE-2026-9999"
        assert doc["fixed_versions"]

        # Worker 1 ticks every 10 minutes for 3 h, is "killed", worker 2 resumes at 4h10.
        at = NOW
        for _ in range(18):
            at += timedelta(minutes=10)
            incident_tick(store, policy, now=at)
            _deliver(store, room, hooks, at)
        at = NOW + 4 * HOUR + timedelta(minutes=10)
        for _ in range(4):
            incident_tick(store, policy, now=at)
            _deliver(store, room, hooks, at, holder="w2")
            at += timedelta(minutes=5)
        status = [k for k in _keys(room) if "/status/" in k]
        assert status == [f"incident/{incident}/status/{n}" for n in (1, 2)]
        doc = show_incident(store, policy, incident, now=at)
        # Slots 1 and 2 were current while worker 1 ran; worker 2 started within slot 2.
        assert [s["state"] for s in doc["status_slots"]] == ["sent", "sent"]

        # Expedite a bucket outside its window: an audited window override with the fix as target.
        bucket = next(
            b for b in doc["buckets"] if b["strategy"] in ("in-place-gated", "rolling-reboot")
        )
        done = expedite(
            store,
            policy,
            incident,
            bucket["bucket"],
            now=at,
            actor="os:t",
            reason="t",
            executor="simulated",
        )
        assert done.kind == "run", done
        if done.kind == "run":
            with store.session() as session:
                run = RunRepository(session).get(done.run_id or "")
                assert run is not None
                assert run.override_window
                assert all(
                    set(h.target["packages"])
                    and all(v == fixed for v in h.target["packages"].values())
                    for h in RunRepository(session).hosts(run.id)
                )
        assert close_incident(store, policy, incident, now=at, actor="os:t", reason="test over")
        doc = show_incident(store, policy, incident, now=at)
        assert doc["state"] == "closed"
        assert doc["times"]["remaining"]  # hosts still affected stay listed
        kinds = [e["kind"] for e in doc["timeline"]]
        assert "opened" in kinds
        assert "closed" in kinds
        with store.session() as session:
            actions = {a.action for a in RunRepository(session).audit_log()}
        assert {"incident.open", "incident.close"} <= actions
