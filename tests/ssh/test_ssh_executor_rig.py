"""The ssh executor against real OpenSSH and real apt-get in Debian 12 roots (the rig).

Each test gets its own store: the hosts' reports are collected over SSH, the rig's apt
repository is imported as the catalog, `run start` freezes the target, the engine works the run.
"""

from __future__ import annotations

import itertools
import json
import shutil
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sshrig import DOUBLE, USER, Rig, RigHost, free_port

from fleetpatch.app.evaluate import evaluate_fleet
from fleetpatch.app.ingest import Source, ingest
from fleetpatch.app.upstream import import_catalog
from fleetpatch.connect.ssh import SshEndpoint
from fleetpatch.inventory.schema import report_to_dict
from fleetpatch.orchestrate.engine import Engine
from fleetpatch.orchestrate.service import show_run, start_run
from fleetpatch.orchestrate.ssh import HostSession, SshExecutor, collect_report
from fleetpatch.policy.loader import parse_policy
from fleetpatch.policy.records import Policy
from fleetpatch.store import Store, open_store
from fleetpatch.store.runs import RunRepository

pytestmark = pytest.mark.slow

POLICY = """
version: 1
owners:
  - name: dba
buckets:
  - name: rig
    owner: dba
    strategy: in-place-gated
    executor: ssh
    match: [{{hostname: "{match}"}}]
    windows: [{{cron: "0 0 * * *", duration: 24h}}]
    max_concurrency: 1
    max_errors: {max_errors}
    reboot_timeout: {reboot_timeout}
    reboot_stability: 2s
    timeouts: {{verify: 30s}}
    gates:
      - {{name: pre-check, command: [fp-demo-tool], phase: pre, timeout: 30s}}
      - {{name: post-check, command: [test, "!", -e, /run/reboot-required], phase: post}}
    steps:
      reboot: [{double}]
    ssh:
      user: {user}
      key_file: {key}
      known_hosts: {known_hosts}
      sudo: true
      connect_timeout: 5s
      connect_retries: 1
      retry_backoff: 1s
      lock_timeout: 60s
defaults:
  soak_days: 0
"""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def make_policy(
    rig: Rig, match: str, *, reboot_timeout: str = "60s", max_errors: int = 0
) -> Policy:
    text = POLICY.format(
        match=match,
        max_errors=max_errors,
        reboot_timeout=reboot_timeout,
        double=DOUBLE,
        user=USER,
        key=rig.client_key,
        known_hosts=rig.known_hosts,
    )
    return parse_policy(text)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'fp.db'}")
    try:
        yield opened
    finally:
        opened.close()


def prepare(
    store: Store,
    rig: Rig,
    policy: Policy,
    hosts: Sequence[RigHost],
    extra: dict[str, int] | None = None,
) -> SshExecutor:
    """Reports collected over SSH (port in the `ssh_port` label), the rig repo as catalog."""
    executor = SshExecutor(store, policy, env={})
    access = policy.buckets[0].ssh
    assert access is not None
    now = _utcnow()
    reports = []
    targets = [(h.name, h.port, h.port) for h in hosts]
    targets += [(name, hosts[0].port, port) for name, port in (extra or {}).items()]
    for name, collect_port, label_port in targets:
        endpoint = SshEndpoint("127.0.0.1", collect_port, USER, rig.known_hosts, (rig.client_key,))
        session = HostSession(executor, endpoint, access)
        labels = {"ssh_address": "127.0.0.1", "ssh_port": str(label_port)}
        reports.append(report_to_dict(collect_report(session, name, labels, now)))
        session.drop()
    ingest(store, [Source.from_bytes("rig", json.dumps(reports).encode())], now=now)
    import_catalog(store, [str(rig.catalog_lists)], now=now, ecosystem="Debian:12")
    evaluate_fleet(store, policy, now=now)
    return executor


def work(store: Store, policy: Policy, executor: SshExecutor, *, limit: float = 150) -> None:
    engine = Engine(store, policy, {"ssh": executor}, clock=_utcnow, lease_ttl=30, parallel=4)
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline:
            engine.tick()
            if not engine._has_runnable():
                return
            time.sleep(0.2)
        raise AssertionError(f"the run did not settle within {limit}s")
    finally:
        executor.close()


def audit(store: Store, action: str) -> list[Any]:
    with store.session() as session:
        return [r for r in RunRepository(session).audit_log() if r.action == action]


def steps_of(doc: dict[str, Any], host: str) -> dict[str, dict[str, Any]]:
    (found,) = [h for h in doc["hosts"] if h["host"] == host]
    return {s["name"]: s for s in found["steps"]}


def test_a_bucket_of_three_hosts_is_patched_to_the_frozen_versions_and_rebooted(
    ssh_rig: Rig, store: Store
) -> None:
    hosts = ssh_rig.hosts[:3]
    policy = make_policy(ssh_rig, "rig-[123]")
    executor = prepare(store, ssh_rig, policy, hosts)
    before = {h.name: h.boot_id() for h in hosts}
    started = start_run(store, policy, "rig", now=_utcnow(), actor="test")
    assert started.id is not None
    frozen = started.target["packages"]["Debian:12"]
    assert frozen == {
        "fp-demo-held": "1.1-1",
        "fp-demo-tool": "1.1-1",
        "linux-image-fp-demo": "1.1-1",
    }
    assert all("reboot" in h.steps for h in started.hosts)  # the plan expects a kernel reboot

    work(store, policy, executor)

    doc = show_run(store, started.id)
    states = {h["host"]: h["state"] for h in doc["hosts"]}
    assert states == {h.name: "done" for h in hosts}, json.dumps(doc, indent=1)[:6000]
    for host in hosts:
        assert host.installed("fp-demo-tool") == "1.1-1"
        assert host.installed("linux-image-fp-demo") == "1.1-1"
        assert host.boot_id() != before[host.name]
        steps = steps_of(doc, host.name)
        reboot = steps["reboot"]["evidence"]
        assert reboot["boot_id_before"] == before[host.name]
        assert reboot["boot_id_after"] == host.boot_id()
        assert reboot["rebooted"] is True
        assert "the host asks for one (/run/reboot-required)" in reboot["reasons"]
        assert "linux-image-fp-demo was installed" in " ".join(reboot["reasons"])
        upgrade = steps["upgrade"]["evidence"]
        install = [c for c in upgrade["commands"] if "install" in c["argv"]]
        assert install[0]["argv"][:5] == [
            "sudo",
            "-n",
            "--",
            "env",
            "DEBIAN_FRONTEND=noninteractive",
        ]
        assert "fp-demo-tool=1.1-1" in install[0]["argv"]
        assert "Setting up fp-demo-tool (1.1-1)" in install[0]["stdout"]
        assert steps["verify"]["evidence"]["collected_over"] == "ssh"
        assert steps["verify"]["message"].endswith("patched and running")
    # one host at a time (max_concurrency 1): each host's first step began after the last ended
    spans = sorted(
        (min(s["started_at"] for s in h["steps"]), max(s["finished_at"] for s in h["steps"]))
        for h in doc["hosts"]
    )
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_a_changed_host_key_is_refused_before_anything_runs(ssh_rig: Rig, store: Store) -> None:
    host = ssh_rig.hosts[3]
    host.reset()
    policy = make_policy(ssh_rig, "rig-4")
    executor = prepare(store, ssh_rig, policy, [host])
    saved = host.root.parent / "saved-key"
    saved.mkdir(exist_ok=True)
    for path in (host.host_key, host.host_key.with_suffix(".pub")):
        shutil.copy2(path, saved / path.name)
    host.change_host_key()
    try:
        started = start_run(store, policy, "rig", now=_utcnow(), actor="test")
        assert started.id is not None
        work(store, policy, executor, limit=60)
        doc = show_run(store, started.id)
        (row,) = doc["hosts"]
        assert (row["state"], row["failed_phase"]) == ("failed", "pre_check")
        assert "host key refused" in row["reason"]
        assert str(ssh_rig.known_hosts) in row["reason"]
        assert host.installed("fp-demo-tool") == "1.0-1"
        assert len(audit(store, "page")) == 1
    finally:
        host.stop_processes()
        for path in saved.iterdir():
            shutil.copy2(path, host.host_key.parent / path.name)
        host.start_sshd()


def test_an_unreachable_port_counts_as_a_failed_host(ssh_rig: Rig, store: Store) -> None:
    host = ssh_rig.hosts[3]
    host.reset()
    policy = make_policy(ssh_rig, "rig-*", max_errors=5)
    closed = free_port()  # nothing listens there
    executor = prepare(store, ssh_rig, policy, [host], extra={"rig-gone": closed})
    started = start_run(store, policy, "rig", now=_utcnow(), actor="test", hosts=["rig-gone"])
    assert started.id is not None
    work(store, policy, executor, limit=60)
    (row,) = show_run(store, started.id)["hosts"]
    assert row["state"] == "failed"
    assert row["reason"].startswith("pre-check: unreachable:")
    assert f"127.0.0.1:{closed}" in row["reason"]


def test_a_reboot_that_never_returns_times_out_blocks_the_host_and_pages(
    ssh_rig: Rig, store: Store
) -> None:
    host = ssh_rig.hosts[3]
    host.reset()
    policy = make_policy(ssh_rig, "rig-4", reboot_timeout="8s")
    executor = prepare(store, ssh_rig, policy, [host])
    never = host.root / "etc" / "fp-test" / "never-return"
    never.touch()
    try:
        started = start_run(store, policy, "rig", now=_utcnow(), actor="test")
        assert started.id is not None
        begun = time.monotonic()
        work(store, policy, executor, limit=60)
        assert time.monotonic() - begun < 40
        doc = show_run(store, started.id)
        (row,) = doc["hosts"]
        assert (row["state"], row["failed_phase"]) == ("blocked", "rebooting")
        assert "no proof of a new boot" in row["reason"]
        reboot = steps_of(doc, host.name)["reboot"]
        assert reboot["outcome"] == "timeout"
        assert reboot["evidence"]["reconnect_attempts"] >= 1
        (page,) = audit(store, "page")
        assert page.host == host.name
        assert page.detail["state"] == "blocked"
    finally:
        never.unlink()
        host.stop_processes()
        host.start_sshd()


def test_a_held_package_is_left_alone_and_named(ssh_rig: Rig, store: Store) -> None:
    host = ssh_rig.hosts[3]
    host.reset()
    host.chroot("apt-mark", "hold", "fp-demo-held")
    try:
        policy = make_policy(ssh_rig, "rig-4")
        executor = prepare(store, ssh_rig, policy, [host])
        started = start_run(store, policy, "rig", now=_utcnow(), actor="test")
        assert started.id is not None
        work(store, policy, executor, limit=60)
        doc = show_run(store, started.id)
        (row,) = doc["hosts"]
        assert (row["state"], row["failed_phase"]) == ("failed", "upgrading")
        assert "held on the host, left alone: fp-demo-held" in row["reason"]
        upgrade = steps_of(doc, host.name)["upgrade"]["evidence"]
        assert upgrade["held"] == ["fp-demo-held"]
        assert host.installed("fp-demo-held") == "1.0-1"
        assert host.installed("fp-demo-tool") == "1.1-1"  # the others were installed
    finally:
        host.chroot("apt-mark", "unhold", "fp-demo-held")
