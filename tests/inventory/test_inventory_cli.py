"""`fleetpatch collect` and `fleetpatch schema report` through the real command group."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from inventory_support import HOSTS

from fleetpatch.cli.main import cli
from fleetpatch.inventory.schema import parse_report


def image_root(tmp_path: Path) -> Path:
    root = tmp_path / "image"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text("ID=debian\nVERSION_ID=12\n")
    (root / "var/lib/dpkg").mkdir(parents=True)
    status = (HOSTS / "osv-scanner-fixtures" / "lockfile-dpkg-multiple_status").read_text()
    (root / "var/lib/dpkg/status").write_text(status)
    return root


def test_collect_root_prints_a_valid_report(tmp_path: Path) -> None:
    root = image_root(tmp_path)
    result = CliRunner().invoke(
        cli,
        [
            "collect",
            "--root",
            str(root),
            "--hostname",
            "img-1",
            "--label",
            "role=db",
            "--label",
            "tier = gold",
        ],
    )
    assert result.exit_code == 0, result.output
    report = parse_report(json.loads(result.output))
    assert report.hostname == "img-1"
    assert report.labels == {"role": "db", "tier": "gold"}
    assert report.collector == "root"
    assert report.arch == "amd64"
    assert [p.name for p in report.packages] == ["bash", "bsdutils", "libc6", "base-files"]


def test_collect_writes_output_file(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = ["collect", "--root", str(image_root(tmp_path)), "--hostname", "x", "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0
    assert result.output == ""
    assert parse_report(json.loads(out.read_text())).hostname == "x"


def test_bad_label_is_exit_2(tmp_path: Path) -> None:
    args = ["collect", "--root", str(image_root(tmp_path)), "--label", "novalue"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "expected KEY=VALUE, got 'novalue'" in result.output


def test_collect_failure_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    root = image_root(tmp_path)
    (root / "var/lib/dpkg/status").unlink()
    result = CliRunner().invoke(cli, ["collect", "--root", str(root), "--hostname", "x"])
    assert result.exit_code == 3
    assert result.output.strip().startswith("error: no package database (dpkg) found under")
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_schema_report_prints_the_json_schema() -> None:
    result = CliRunner().invoke(cli, ["schema", "report"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["title"] == "fleetpatch host report (fleetpatch.report/v1)"
    assert schema["additionalProperties"] is False
