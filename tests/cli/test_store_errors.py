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
