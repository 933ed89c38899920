"""`fleetpatch init`, `policy check` and `policy show` through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fleetpatch.cli.main import cli
from fleetpatch.policy.example import EXAMPLE_POLICY

BROKEN = EXAMPLE_POLICY.replace('cron: "0 3 * * *"', 'cron: "61 3 * * *"').replace(
    "owner: infra", "owner: infre", 1
)


def run(path: Path, *args: str) -> Result:
    runner = CliRunner()
    env = {"FLEETPATCH_POLICY": str(path), "FLEETPATCH_DB": None}
    return runner.invoke(cli, list(args), env=env, catch_exceptions=False)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_init_writes_the_example_and_says_what_next(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    result = run(path, "init")
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8") == EXAMPLE_POLICY
    assert f"wrote {path}: 5 owners, 4 buckets" in result.stdout
    assert "policy check" in result.stdout


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text("mine\n", encoding="utf-8")
    refused = run(path, "init")
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"error: {path} already exists; use `fleetpatch init --force` to overwrite it\n"
    )
    assert path.read_text(encoding="utf-8") == "mine\n"
    forced = run(path, "init", "--force")
    assert forced.exit_code == 0
    assert path.read_text(encoding="utf-8") == EXAMPLE_POLICY


def test_init_uses_the_root_policy_option(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.yaml"
    result = run(tmp_path / "ignored.yaml", "--policy", str(target), "init")
    assert result.exit_code == 0
    assert target.exists()
    assert not (tmp_path / "ignored.yaml").exists()
    assert f"--policy {target} policy check" in result.stdout


def test_init_into_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    result = run(tmp_path / "no" / "such" / "fleet.yaml", "init")
    assert result.exit_code == 2
    assert "cannot write" in result.stderr


def test_check_valid_policy_summarises(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(EXAMPLE_POLICY, encoding="utf-8")
    result = run(path, "policy", "check")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path}: valid: 5 owners, 4 buckets, 2 baselines"
    assert lines[1].split() == ["BUCKET", "OWNER", "STRATEGY", "WINDOWS"]
    assert lines[2].split() == [
        "k8s-nodes",
        "platform",
        "rolling-reboot",
        "0",
        "3",
        "*",
        "*",
        "*",
        "UTC",
        "for",
        "1h",
    ]
    assert len(lines) == 6


def test_check_broken_policy_lists_every_problem_with_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "fleet.yaml"
    good.write_text(EXAMPLE_POLICY, encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    result = run(good, "policy", "check", str(broken))
    assert result.exit_code == 2
    assert result.stdout == ""
    cron_line = line_of(BROKEN, '"61 3 * * *"')
    owner_line = line_of(BROKEN, "owner: infre")
    assert result.stderr.splitlines() == [
        f"error: {broken}:{cron_line}: buckets[0].windows[0].cron: invalid cron expression "
        "'61 3 * * *': minute 61 out of range",
        f"{broken}:{owner_line}: buckets[2].owner: unknown owner 'infre' (did you mean 'infra'?)",
    ]


def test_check_missing_file_points_at_init(tmp_path: Path) -> None:
    result = run(tmp_path / "fleet.yaml", "policy", "check")
    assert result.exit_code == 2
    assert "no such policy file; run `fleetpatch init`" in result.stderr
    assert "Traceback" not in result.output


def test_check_yaml_syntax_error_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text("owners:\n  dba: {\nbuckets: []\n", encoding="utf-8")
    result = run(path, "policy", "check")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}:4: YAML syntax error: expected ',' or '}}', but got '<stream end>' "
        "(while parsing a flow mapping that starts at line 2)\n"
    )


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_show_lists_buckets(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(EXAMPLE_POLICY, encoding="utf-8")
    result = run(path, "policy", "show", "--format", fmt)
    assert result.exit_code == 0
    if fmt == "json":
        rows = json.loads(result.stdout)
        assert [r["bucket"] for r in rows] == ["k8s-nodes", "databases", "stateless", "bare-metal"]
        assert rows[0]["max_concurrency"] == "10%"
        assert rows[1]["windows"] == ["0 4 * * tue Europe/Paris for 2h"]
        assert rows[1]["gates"][1] == {
            "name": "post-check",
            "phase": "post",
            "command": ["/usr/local/bin/db-gate", "post-check"],
        }
        assert rows[3]["sla"] == "behind<=14d uptime<=90d stale>2d"
    else:
        lines = result.stdout.splitlines()
        assert len(lines) == 5
        assert "databases" in lines[2]
        assert "uptime<=90d" in lines[4]


def test_show_broken_policy_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    result = run(path, "policy", "show")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 2
