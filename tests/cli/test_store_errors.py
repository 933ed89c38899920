"""A broken store is one line on stderr and exit 3, never a traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from fleetpatch.cli.main import cli
from fleetpatch.store import open_store


def test_a_broken_schema_is_one_line_and_exit_3(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fleetpatch.db'}"
    store = open_store(url)
    with store.session(write=True) as session:
        session.execute(text("DROP TABLE host_status"))
    store.close()
    result = CliRunner().invoke(cli, ["--db", url, "status"])
    assert result.exit_code == 3
    assert result.stderr.startswith("error: store error: ")
    assert "host_status" in result.stderr
    assert "Traceback" not in result.output


def test_a_file_that_is_not_a_database_is_one_line_and_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "fleetpatch.db"
    path.write_bytes(b"this is not a database" * 100)
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{path}", "hosts"])
    assert result.exit_code == 3
    assert result.stderr.startswith("error: cannot open store ")
    assert "Traceback" not in result.output


def test_a_store_url_without_a_driver_is_bad_input_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", "mysql+nosuchdriver://u:secret@db/fleet", "status"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: cannot open store ")
    assert "secret" not in result.stderr  # the password never reaches a terminal or a log
    assert "Traceback" not in result.output


def test_a_read_only_command_refuses_a_missing_sqlite_file(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    for args in (["status"], ["hosts"], ["host", "web-1"], ["drift"]):
        result = CliRunner().invoke(cli, ["--db", str(missing), *args])
        assert result.exit_code == 2, args
        assert f"no store at {missing}" in result.stderr
        assert not missing.exists()  # nothing was created by the typo


def test_an_unknown_host_is_exit_2(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fleetpatch.db'}"
    open_store(url).close()
    result = CliRunner().invoke(cli, ["--db", url, "host", "nope"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "error: no host 'nope'"  # no host is close
