"""`fleetpatch --log-json`: every log record is one line that `json.loads` reads back whole, with
the run, host and step the engine worked on as fields of their own."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fleetpatch.cli.logs import configure_logging
from fleetpatch.cli.main import cli
from fleetpatch.settings import Settings

NASTY = 'a "quoted" C:\\path\\ and\na second line, ünïcödé ✓ 🚀, {"not": json}'


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_any_message_and_a_traceback_are_one_json_line_each(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging(Settings(log_json=True, log_level="INFO"))
    log = logging.getLogger("fleetpatch.test")
    log.warning("host %s said: %s", "db-01", NASTY, extra={"host": "db-01", "run": "run-1"})
    try:
        raise RuntimeError(f"boom: {NASTY}")
    except RuntimeError:
        log.exception("step failed", extra={"host": "db-01", "run": "run-1", "step": "upgrade"})
    log.info("no context here")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3  # newlines inside a message or a traceback never split a record
    first, second, third = (json.loads(line) for line in lines)
    assert first["message"] == f"host db-01 said: {NASTY}"
    assert (first["level"], first["logger"]) == ("WARNING", "fleetpatch.test")
    assert (first["host"], first["run"]) == ("db-01", "run-1")
    assert "step" not in first
    assert "exc" not in first
    stamp = datetime.fromisoformat(first["time"])
    assert stamp.utcoffset() == timedelta(0)
    assert second["step"] == "upgrade"
    assert second["exc"].startswith("Traceback (most recent call last):")
    assert second["exc"].endswith(f"RuntimeError: boom: {NASTY}")
    assert set(third) == {"time", "level", "logger", "message"}


def test_a_bad_format_call_still_logs_one_json_line(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging(Settings(log_json=True))
    logging.getLogger("fleetpatch.test").warning("%s and %s", "only one")
    (line,) = capsys.readouterr().err.splitlines()
    assert "only one" in json.loads(line)["message"]


def test_the_run_engine_logs_carry_the_run_id(tmp_path: Path) -> None:
    now = "2026-11-30T12:00:00Z"
    demo = ["demo", "--no-serve", "--no-runs", "--hosts", "20", "--every", "45", "--now", now]
    built = CliRunner().invoke(cli, [*demo, "--dir", str(tmp_path / "demo")])
    assert built.exit_code == 0, built.output
    for name in ("fleetpatch.db", "fleet.yaml"):
        shutil.copy(tmp_path / "demo" / name, tmp_path / name)
    base = ["--db", str(tmp_path / "fleetpatch.db"), "--policy", str(tmp_path / "fleet.yaml")]
    start = ["run", "start", "databases", "--executor", "simulated", "--override-window"]
    started = CliRunner().invoke(cli, [*base, *start, "--reason", "test"])
    assert started.exit_code == 0, started.stderr
    run_id = started.stdout.strip().splitlines()[-1]
    worked = CliRunner().invoke(
        cli, [*base, "--log-json", "--log-level", "INFO", "worker", "--until-idle"]
    )
    assert worked.exit_code == 0, worked.stderr
    records = json_lines(worked.stderr)
    engine = [r for r in records if r["logger"] == "fleetpatch.orchestrate.engine"]
    assert engine, worked.stderr
    assert {r["run"] for r in engine} == {run_id}
    assert any(r["message"].startswith(f"run {run_id}: finish") for r in engine)
