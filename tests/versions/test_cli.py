"""`fleetpatch versions compare` through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fleetpatch.cli.main import cli


@pytest.mark.parametrize(
    ("scheme", "a", "b", "symbol"),
    [
        ("dpkg", "1.0~rc1-1", "1.0-1", "<"),
        ("dpkg", "1:0.4", "10.3", ">"),
        ("rpm", "1.0^git1", "1.0", ">"),
        ("rpm", "0:1.2-3", "1.2-3", "="),
        ("apk", "1.2_rc1", "1.2", "<"),
        ("apk", "1-r1", "1-r01", "="),
    ],
)
def test_compare_two_versions(scheme: str, a: str, b: str, symbol: str) -> None:
    result = CliRunner().invoke(cli, ["versions", "compare", "--scheme", scheme, a, b])
    assert result.exit_code == 0, result.output
    assert result.output == f"{symbol}\n"


def test_pairs_from_stdin() -> None:
    stdin = "1.0\t2.0\n2.0\t2.0\n2:1\t1:9\n"
    result = CliRunner().invoke(
        cli, ["versions", "compare", "--scheme", "dpkg", "--pairs", "-"], input=stdin
    )
    assert result.exit_code == 0, result.output
    assert result.output == "<\n=\n>\n"


def test_pairs_from_file(tmp_path: Path) -> None:
    path = tmp_path / "pairs.tsv"
    path.write_text("1.0-r0\t1.0-r1\n1.0_p1\t1.0\n", "utf-8")
    result = CliRunner().invoke(
        cli, ["versions", "compare", "--scheme", "apk", "--pairs", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert result.output == "<\n>\n"


def test_bad_version_in_pairs_is_exit_2_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "pairs.tsv"
    path.write_text("1.0\t2.0\n1.0-\t1\n", "utf-8")
    result = CliRunner().invoke(
        cli, ["versions", "compare", "--scheme", "dpkg", "--pairs", str(path)]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}:2: invalid dpkg version '1.0-': revision number is empty\n"
    )


def test_bad_version_argument_is_exit_2() -> None:
    result = CliRunner().invoke(cli, ["versions", "compare", "--scheme", "rpm", "1:", "1"])
    assert result.exit_code == 2
    assert result.stderr == "error: invalid rpm version '1:': version field is empty\n"


def test_line_without_tab_is_exit_2() -> None:
    result = CliRunner().invoke(
        cli, ["versions", "compare", "--scheme", "rpm", "--pairs", "-"], input="1.0 2.0\n"
    )
    assert result.exit_code == 2
    assert "<stdin>:1: expected two versions separated by one TAB" in result.stderr


def test_missing_second_version_is_exit_2() -> None:
    result = CliRunner().invoke(cli, ["versions", "compare", "--scheme", "rpm", "1.0"])
    assert result.exit_code == 2
    assert "needs two versions" in result.stderr


def test_unknown_scheme_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["versions", "compare", "--scheme", "pacman", "1", "2"])
    assert result.exit_code == 2
    assert "pacman" in result.stderr
