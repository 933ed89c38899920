"""`fleetpatch ingest`, `hosts` and `host` through the real command group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner, Result

from fleetpatch.cli.main import cli
from fleetpatch.policy.example import EXAMPLE_POLICY


def report(hostname: str, minute: int = 0, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schema": "fleetpatch.report/v1",
        "hostname": hostname,
        "collected_at": f"2026-11-27T10:{minute:02d}:00Z",
        "os": {"id": "debian", "version_id": "12"},
        "ecosystem": "Debian:12",
        "kernel": {"running": "6.1.0-25-amd64", "installed": ["6.1.0-25-amd64", "6.1.0-26-amd64"]},
        "boot_time": "2026-10-28T12:00:00Z",
        "reboot_required": {"flag": True, "packages": ["linux-image-6.1.0-26-amd64"]},
        "packages": [{"name": "bash", "version": "5.2.15-2+b2", "arch": "amd64"}],
        "labels": {"role": "db"},
    }
    body.update(changes)
    return body


def run(tmp_path: Path, *args: str, stdin: bytes | None = None, policy: bool = True) -> Result:
    policy_path = tmp_path / "fleet.yaml"
    if policy and not policy_path.exists():
        policy_path.write_text(EXAMPLE_POLICY, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'fleetpatch.db'}"
    argv = ["--db", db, "--policy", str(tmp_path / ("fleet.yaml" if policy else "absent.yaml"))]
    return CliRunner().invoke(cli, [*argv, *args], input=stdin)


def write(tmp_path: Path, name: str, *reports: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in reports))
    return path


def test_ingest_prints_a_summary_and_is_idempotent(tmp_path: Path) -> None:
    path = write(tmp_path, "r.ndjson", report("db-01"), report("jump-01", labels={}))
    first = run(tmp_path, "ingest", str(path))
    again = run(tmp_path, "ingest", str(path))
    assert (first.exit_code, first.stdout) == (0, "stored 2, duplicate 0, rejected 0\n")
    assert (again.exit_code, again.stdout) == (0, "stored 0, duplicate 2, rejected 0\n")


def test_ingest_rejections_exit_2_after_storing_the_good(tmp_path: Path) -> None:
    path = write(tmp_path, "r.ndjson", report("db-01"), report("db-02", ecosystem=""))
    result = run(tmp_path, "ingest", str(path))
    assert result.exit_code == 2
    assert result.stdout == "stored 1, duplicate 0, rejected 1\n"
    assert result.stderr.startswith(f"rejected: {path}:2: ecosystem: ")
    assert "Traceback" not in result.output
    listed = run(tmp_path, "hosts", "--format", "json")
    assert [h["hostname"] for h in json.loads(listed.stdout)] == ["db-01"]


def test_ingest_reads_stdin(tmp_path: Path) -> None:
    result = run(tmp_path, "ingest", "-", stdin=orjson.dumps([report("db-01"), report("db-02")]))
    assert result.stdout == "stored 2, duplicate 0, rejected 0\n"


def test_hosts_lists_bucket_and_owner_in_every_format(tmp_path: Path) -> None:
    path = write(tmp_path, "r.ndjson", report("db-01"), report("web-01", labels={}))
    run(tmp_path, "ingest", str(path))
    rows = json.loads(run(tmp_path, "hosts", "--format", "json").stdout)
    assert [(r["hostname"], r["bucket"], r["owner"]) for r in rows] == [
        ("db-01", "databases", "dba"),
        ("web-01", None, None),
    ]
    assert rows[0]["reboot_required"] is True
    assert rows[0]["last_report"] == "2026-11-27T10:00:00Z"
    csv = run(tmp_path, "hosts", "--format", "csv", "--bucket", "databases").stdout.splitlines()
    assert csv[0].startswith("hostname,bucket,owner,ecosystem,os,update,security,reboot,")
    assert len(csv) == 2
    # state columns stay "-" until `fleetpatch evaluate` has run
    assert csv[1].startswith("db-01,databases,dba,Debian:12,debian 12,-,-,-,-,1,6.1.0-25-amd64,")
    table = run(tmp_path, "hosts", "--unclassified").stdout.splitlines()
    assert table[0].split()[:3] == ["HOSTNAME", "BUCKET", "OWNER"]
    assert [line.split()[0] for line in table[1:]] == ["web-01"]


def test_hosts_status_filters_on_the_evaluated_states(tmp_path: Path) -> None:
    running_newest = {"running": "6.1.0-26-amd64", "installed": ["6.1.0-26-amd64"]}
    calm = report("db-02", kernel=running_newest, reboot_required={"flag": False})
    run(tmp_path, "ingest", str(write(tmp_path, "r.ndjson", report("db-01"), calm)))
    before = run(tmp_path, "hosts", "--status", "pending-reboot", "--format", "json")
    assert json.loads(before.stdout) == []  # nothing evaluated yet: no host is in any state
    assert run(tmp_path, "evaluate").exit_code == 0
    listed = run(tmp_path, "hosts", "--status", "pending-reboot", "--format", "json")
    rows = json.loads(listed.stdout)
    assert [r["hostname"] for r in rows] == ["db-01"]
    assert rows[0]["reboot"] == "pending_reboot"
    assert "pending-reboot" in rows[0]["states"]
    bad = run(tmp_path, "hosts", "--status", "sideways")
    assert bad.exit_code == 2


def test_without_a_policy_hosts_says_so_once(tmp_path: Path) -> None:
    run(tmp_path, "ingest", str(write(tmp_path, "r.ndjson", report("db-01"))), policy=False)
    result = run(tmp_path, "hosts", "--format", "json", policy=False)
    assert result.exit_code == 0
    assert result.stderr.count("unclassified") == 1
    assert json.loads(result.stdout)[0]["bucket"] is None


def test_host_shows_facts_and_history(tmp_path: Path) -> None:
    path = write(tmp_path, "r.ndjson", report("db-01"), report("db-01", minute=30))
    run(tmp_path, "ingest", str(path))
    shown = json.loads(run(tmp_path, "host", "db-01", "--format", "json").stdout)
    assert shown["bucket"] == "databases"
    assert shown["kernels_installed"] == ["6.1.0-25-amd64", "6.1.0-26-amd64"]
    assert shown["reboot_packages"] == ["linux-image-6.1.0-26-amd64"]
    assert [h["collected_at"] for h in shown["history"]] == [
        "2026-11-27T10:30:00Z",
        "2026-11-27T10:00:00Z",
    ]
    table = run(tmp_path, "host", "db-01").stdout
    assert "reports: 2 (newest 2 shown)" in table
    assert "uptime_days" in table


def test_unknown_host_is_bad_input(tmp_path: Path) -> None:
    run(tmp_path, "ingest", str(write(tmp_path, "r.ndjson", report("db-01"))))
    result = run(tmp_path, "host", "db-1")
    assert result.exit_code == 2
    assert result.stderr == "error: no host 'db-1'; did you mean 'db-01'?\n"
