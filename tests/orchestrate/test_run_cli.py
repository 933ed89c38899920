"""The run contract from the command line, over a small generated fleet (simulated executor):
`run start` prints the id last, `worker --until-idle` finishes it, `run show --format json`,
`runs`, `halt`/`unhalt` and `audit` give what scripts rely on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fleetpatch.cli.main import cli

NOW = "2026-11-30T12:00:00Z"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("rundemo")
    args = ["demo", "--no-serve", "--no-runs", "--hosts", "40", "--every", "45", "--now", NOW]
    result = CliRunner().invoke(cli, [*args, "--dir", str(directory)])
    assert result.exit_code == 0, result.output
    return directory


@pytest.fixture
def fleet(demo_store: Path, tmp_path: Path) -> Path:
    for name in ("fleetpatch.db", "fleet.yaml"):
        shutil.copy(demo_store / name, tmp_path / name)
    return tmp_path


def fp(fleet: Path, *args: str) -> tuple[int, str, str]:
    base = ["--db", str(fleet / "fleetpatch.db"), "--policy", str(fleet / "fleet.yaml")]
    result = CliRunner().invoke(cli, [*base, *args])
    return result.exit_code, result.stdout, result.stderr


START = ("run", "start", "databases", "--executor", "simulated")
OVERRIDE = ("--override-window", "--reason", "test: the window is not now")


def test_dry_run_shows_the_frozen_target_and_creates_nothing(fleet: Path) -> None:
    code, out, err = fp(fleet, *START, "--dry-run", "--format", "json")
    assert code == 0, err
    body = json.loads(out)
    assert body["id"] is None
    assert body["hosts"]
    levels = body["target"]["packages"]
    for host in body["hosts"]:
        eco = next(iter(levels))
        for name, version in host["packages"].items():
            assert levels[eco][name] == version  # one level per package for every host
    assert "dry run: nothing created" in err
    assert json.loads(fp(fleet, "runs", "--format", "json")[1]) == []


def test_a_run_from_start_to_finish(fleet: Path) -> None:
    code, out, err = fp(fleet, *START, *OVERRIDE)
    assert code == 0, err
    run_id = out.strip().splitlines()[-1]
    assert run_id.startswith("run-")
    code, out, _ = fp(fleet, "worker", "--until-idle")
    assert code == 0
    doc = json.loads(fp(fleet, "run", "show", run_id, "--format", "json")[1])
    assert {"id", "bucket", "state", "target", "hosts"} <= set(doc)
    assert (doc["id"], doc["bucket"], doc["state"]) == (run_id, "databases", "finished")
    for host in doc["hosts"]:
        assert {"host", "wave", "state", "failed_phase", "steps"} <= set(host)
        for step in host["steps"]:
            assert set(step) == {
                "name",
                "outcome",
                "attempt",
                "started_at",
                "finished_at",
                "message",
                "evidence",
            }
    states = {h["state"] for h in doc["hosts"]}
    assert states <= {"done", "failed"}
    listed = json.loads(fp(fleet, "runs", "--format", "json")[1])
    assert [r["id"] for r in listed] == [run_id]
    audit = json.loads(fp(fleet, "audit", "--format", "json")[1])
    created = [a for a in audit if a["action"] == "run.create"]
    assert created[0]["actor"].startswith("os:")
    assert created[0]["reason"] == "test: the window is not now"
    assert any(a["action"] == "run.override_window" for a in audit)


def test_override_needs_a_reason_and_unknown_names_are_exit_2(fleet: Path) -> None:
    code, _, err = fp(fleet, *START, "--override-window")
    assert code == 2
    assert "--override-window needs --reason" in err
    code, _, err = fp(fleet, "run", "start", "databse", "--executor", "simulated")
    assert code == 2
    assert "no bucket 'databse'" in err
    code, _, err = fp(fleet, "run", "show", "run-nope")
    assert code == 2
    assert "no run 'run-nope'" in err


def test_a_bucket_without_an_executor_says_how_to_choose_one(fleet: Path) -> None:
    code, _, err = fp(fleet, "run", "start", "databases")
    assert code == 2
    assert "names no executor" in err
    assert "--executor (simulated, local, ssh)" in err


def test_halt_and_unhalt_from_the_cli(fleet: Path) -> None:
    run_id = fp(fleet, *START, *OVERRIDE)[1].strip().splitlines()[-1]
    code, out, _ = fp(fleet, "halt", "--reason", "INC-42: replication broken")
    assert (code, out.strip()) == (0, "halted: no new step starts anywhere")
    fp(fleet, "worker", "--until-idle")
    doc = json.loads(fp(fleet, "run", "show", run_id, "--format", "json")[1])
    assert doc["state"] == "halted"
    assert all(h["steps"] == [] for h in doc["hosts"])
    code, out, _ = fp(fleet, "unhalt", "--reason", "fixed")
    assert out.strip() == "halt lifted (was: INC-42: replication broken)"
    fp(fleet, "worker", "--until-idle")
    doc = json.loads(fp(fleet, "run", "show", run_id, "--format", "json")[1])
    assert doc["state"] == "finished"


def test_resume_a_stopped_run_and_cancel(fleet: Path) -> None:
    policy = (fleet / "fleet.yaml").read_text()
    (fleet / "fleet.yaml").write_text(policy.replace("failure_rate: 0.05", "failure_rate: 1.0"))
    run_id = fp(fleet, *START, *OVERRIDE)[1].strip().splitlines()[-1]
    fp(fleet, "worker", "--until-idle")
    doc = json.loads(fp(fleet, "run", "show", run_id, "--format", "json")[1])
    assert doc["state"] == "stopped"
    assert doc["stop_reason"].startswith("error budget spent: 1 failed host(s)")
    code, out, _ = fp(fleet, "run", "resume", run_id, "--reason", "gate fixed")
    assert (code, out.strip()) == (0, f"resumed {run_id}")
    code, _, err = fp(fleet, "run", "resume", run_id, "--reason", "again")
    assert code == 2
    assert "cannot resume a running run" in err
    assert fp(fleet, "run", "cancel", run_id, "--reason", "enough")[0] == 0
    doc = json.loads(fp(fleet, "run", "show", run_id, "--format", "json")[1])
    assert doc["state"] == "cancelled"
