"""`agent install` writes units that systemd itself accepts (`systemd-analyze verify`, a real
client), with the sandboxing, schedule and hooks the README promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fleetpatch.agent import units
from fleetpatch.cli.main import cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from web_support import require_tool


def _install(tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / "units"
    args = ["agent", "install", "--url", "https://fp.example.org", "--output-dir", str(out)]
    result = CliRunner().invoke(cli, [*args, *extra])
    assert result.exit_code == 0, result.output
    return out


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = require_tool("systemd-analyze")
    out = _install(tmp_path, "--on-calendar", "*-*-* 06:00", "--randomized-delay", "30min")
    done = subprocess.run(
        [analyze, "verify", str(out / units.SERVICE), str(out / units.TIMER)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # no unknown key, no bad value, no warning


def test_a_broken_unit_is_caught_by_the_same_check(tmp_path: Path) -> None:
    """The oracle can fail: a misspelt directive is reported."""
    analyze = require_tool("systemd-analyze")
    out = _install(tmp_path)
    broken = out / "broken.service"
    broken.write_text((out / units.SERVICE).read_text().replace("Nice=", "Nicee="))
    done = subprocess.run(
        [analyze, "verify", str(broken)], capture_output=True, text=True, timeout=60, check=False
    )
    assert "Unknown key" in done.stderr


def test_the_service_is_sandboxed_and_the_timer_spread_and_persistent(tmp_path: Path) -> None:
    out = _install(tmp_path)
    service = (out / units.SERVICE).read_text()
    for line in (
        "DynamicUser=yes",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "CapabilityBoundingSet=",
        "LoadCredential=fleetpatch-token:/etc/fleetpatch/token",
        "StateDirectory=fleetpatch-agent",
    ):
        assert f"\n{line}\n" in service, line
    assert "--token-file ${CREDENTIALS_DIRECTORY}/fleetpatch-token" in service
    assert "--post https://fp.example.org" in service
    timer = (out / units.TIMER).read_text()
    assert "\nOnCalendar=daily\n" in timer
    assert "\nPersistent=true\n" in timer
    assert "\nRandomizedDelaySec=1h\n" in timer
    apt = (out / units.APT_HOOK).read_text()
    assert "DPkg::Post-Invoke" in apt
    assert "|| true" in apt  # a failed start never fails the package transaction
    assert (out / units.DNF_ACTION).read_text().splitlines()[-1].startswith("*:any:")


def test_dry_run_prints_every_file_and_writes_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["agent", "install", "--url", "https://fp.example.org", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    for name in (units.SERVICE, units.TIMER, units.APT_HOOK, units.DNF_ACTION):
        assert f"# {name}\n" in result.output


def test_plain_http_to_a_remote_server_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["agent", "install", "--url", "http://fp.example.org", "--dry-run"]
    )
    assert result.exit_code == 2
    assert "in clear" in result.output


@pytest.mark.parametrize(
    ("word", "quoted"),
    [
        ("https://fp.example.org", "https://fp.example.org"),
        ("https://fp.example.org/a%20b", "https://fp.example.org/a%%20b"),
        ("/opt/my tools/fleetpatch", '"/opt/my tools/fleetpatch"'),
        ('a"b', '"a\\"b"'),
    ],
)
def test_exec_start_words_are_quoted_for_systemd(word: str, quoted: str) -> None:
    assert units._unit_quote(word) == quoted
