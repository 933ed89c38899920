"""`fleetpatch ingest` of a file with no report in it: `error: no reports in FILE`, exit 2, and
nothing stored, not a silent "stored 0"."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from fleetpatch.cli.main import cli

REPORT = {
    "schema": "fleetpatch.report/v1",
    "hostname": "db-01",
    "collected_at": "2026-11-27T10:00:00Z",
    "os": {"id": "debian", "version_id": "12"},
    "ecosystem": "Debian:12",
    "packages": [{"name": "bash", "version": "5.2.15-2+b2", "arch": "amd64"}],
}


def fp(tmp_path: Path, *args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["--db", str(tmp_path / "fp.db"), *args], input=stdin)


def stored_hosts(tmp_path: Path) -> list[str]:
    listed = fp(tmp_path, "hosts", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    return [h["hostname"] for h in json.loads(listed.stdout)]


@pytest.mark.parametrize(
    "content",
    [b"", b"  \n\t\n", b"[]", b"[ ]\n", b"\n\n[]\n"],
    ids=["0 bytes", "whitespace", "empty array", "spaced array", "array after blank lines"],
)
def test_a_file_without_reports_is_exit_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "reports.json"
    path.write_bytes(content)
    result = fp(tmp_path, "ingest", str(path))
    assert result.exit_code == 2
    assert result.stderr == f"error: no reports in {path}\n"
    assert result.stdout == ""
    assert stored_hosts(tmp_path) == []


def test_empty_stdin_is_exit_2(tmp_path: Path) -> None:
    result = fp(tmp_path, "ingest", "-", stdin=b"")
    assert result.exit_code == 2
    assert result.stderr == "error: no reports in <stdin>\n"


def test_an_empty_file_among_good_ones_stores_nothing(tmp_path: Path) -> None:
    good = tmp_path / "good.ndjson"
    good.write_bytes(orjson.dumps(REPORT) + b"\n")
    empty = tmp_path / "empty.ndjson"
    empty.write_bytes(b"")
    result = fp(tmp_path, "ingest", str(good), str(empty))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"error: no reports in {empty}"
    assert stored_hosts(tmp_path) == []
    assert fp(tmp_path, "ingest", str(good)).stdout == "stored 1, duplicate 0, rejected 0\n"
