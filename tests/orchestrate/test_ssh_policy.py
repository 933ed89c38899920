"""The bucket's `ssh:` section: validated at the edge, with one clear line per mistake; and the
executor refuses report data that is not a package before it touches the host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fleetpatch.errors import PolicyError
from fleetpatch.orchestrate.executors import StepContext, StepFailed
from fleetpatch.orchestrate.ssh import SshExecutor
from fleetpatch.policy.loader import parse_policy
from fleetpatch.runs.records import StepSpec

BASE = """
version: 1
owners: [{{name: dba}}]
buckets:
  - name: db
    owner: dba
    strategy: in-place-gated
    executor: ssh
    match: [{{hostname: "db-*"}}]
    windows: [{{cron: "0 3 * * *", duration: 1h}}]
    gates: [{{name: pre-check, command: [pg_isready]}}]
{extra}
"""

GOOD = """    reboot_stability: 2m
    pre_reboot: [systemctl, stop, postgresql]
    ssh:
      user: fleetpatch
      port: 2222
      key_file: /etc/fleetpatch/id_ed25519
      known_hosts: /etc/fleetpatch/known_hosts
      sudo: true
      connect_retries: 3
      lock_timeout: 10m"""


def _policy(extra: str) -> Any:
    return parse_policy(BASE.format(extra=extra))


def test_a_complete_ssh_section_becomes_the_buckets_access() -> None:
    bucket = _policy(GOOD).buckets[0]
    assert bucket.ssh is not None
    assert (bucket.ssh.user, bucket.ssh.port, bucket.ssh.sudo) == ("fleetpatch", 2222, True)
    assert bucket.ssh.known_hosts == "/etc/fleetpatch/known_hosts"
    assert (bucket.ssh.connect_retries, bucket.ssh.lock_timeout_seconds) == (3, 600)
    assert bucket.reboot_stability_seconds == 120
    assert bucket.pre_reboot == ("systemctl", "stop", "postgresql")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("", "executor 'ssh' needs an `ssh:` section"),
        ("    ssh: {key_file: /k, agent: true}", "exactly one of `key_file`"),
        ("    ssh: {known_hosts: /kh}", "exactly one of `key_file`"),
        ("    ssh: {key_file: id_ed25519}", "must be an absolute path"),
        ("    ssh: {agent: true, known_hosts: known_hosts}", "must be an absolute path"),
        ("    ssh: {agent: true, port: 70000}", "port"),
        ("    ssh: {agent: true, user: 'root; id'}", "user"),
        ("    ssh: {agent: true, address: '-oProxyCommand=x'}", "address"),
        ("    ssh: {agent: true, known_hosts: none}", "absolute path"),
    ],
)
def test_mistakes_in_the_ssh_section_are_one_line_each(extra: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        _policy(extra)
    assert message in str(caught.value)


def test_a_version_from_a_report_that_is_not_a_version_never_reaches_the_host(
    tmp_path: Path,
) -> None:
    from fleetpatch.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'fp.db'}")
    executor = SshExecutor(store, _policy(GOOD), env={})
    ctx = StepContext(
        "run-1",
        "db",
        "db-01",
        StepSpec("upgrade", "step", "upgrading", 60),
        1,
        {"ecosystem": "Debian:12", "packages": {"openssl": "3.0.15; reboot"}},
    )
    try:
        with pytest.raises(StepFailed, match="refused before touching the host"):
            executor.run(ctx)
    finally:
        executor.close()
        store.close()
