"""`fleetpatch demo generate`: NDJSON a user can feed to `fleetpatch ingest`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fleetpatch.cli.main import cli
from fleetpatch.inventory.schema import parse_report

NOW = "2026-11-27T10:00:00Z"


def test_generate_writes_one_valid_report_per_line(tmp_path: Path) -> None:
    out = tmp_path / "fleet.ndjson"
    args = ["demo", "generate", "--hosts", "25", "--seed", "5", "--now", NOW, "--output", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = out.read_bytes().splitlines()
    assert len(lines) == 25
    reports = [parse_report(json.loads(line)) for line in lines]
    assert len({r.hostname for r in reports}) == 25
    assert all(r.collected_at.isoformat() <= "2026-11-27T10:00:00+00:00" for r in reports)
    assert "wrote 25 reports" in result.output


def test_generate_to_stdout_is_the_same_as_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "fleet.ndjson"
    base = ["demo", "generate", "--hosts", "8", "--seed", "9", "--now", NOW]
    to_file = CliRunner().invoke(cli, [*base, "--output", str(out)])
    to_stdout = CliRunner().invoke(cli, [*base, "--output", "-"])
    assert to_file.exit_code == 0
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout_bytes == out.read_bytes()


def test_progress_goes_to_stderr_for_large_fleets(tmp_path: Path) -> None:
    out = tmp_path / "fleet.ndjson"
    args = ["demo", "generate", "--hosts", "1000", "--now", NOW, "--output", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0
    assert "generated 1000/1000 hosts" in result.stderr
    assert out.read_bytes().count(b"\n") == 1000


def test_a_naive_now_is_bad_input_with_one_line() -> None:
    result = CliRunner().invoke(cli, ["demo", "generate", "--hosts", "1", "--now", "2026-11-27"])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error: --now")
    assert len(result.stderr.strip().splitlines()) == 1
