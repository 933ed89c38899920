"""`fleetpatch notices`: an operator sees the deliveries that need a look, and why."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from fleetpatch.cli.main import cli
from fleetpatch.store import open_store
from fleetpatch.store.notices import NoticeRepository

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def test_unsettled_and_abandoned_deliveries_are_listed_sent_ones_only_with_all(
    tmp_path: Path,
) -> None:
    db = tmp_path / "fleetpatch.db"
    store = open_store(f"sqlite:///{db}")
    try:
        with store.session(write=True) as session:
            repo = NoticeRepository(session)
            for key in ("run-1/run.started", "run-1/run.finished", "run-1/wave-1/done"):
                repo.add(
                    key=key,
                    team="dba",
                    channel="chat",
                    event=key.split("/")[-1],
                    message={"key": key, "subject": f"db: {key}"},
                    now=LONG_AGO,
                    run_id="run-1",
                )
        with store.session(write=True) as session:
            repo = NoticeRepository(session)
            crashed = repo.claim_next(["chat"], "dead:1:1", LONG_AGO, 300)
            sent = repo.claim_next(["chat"], "w:1:1", LONG_AGO, 300)
            dead = repo.claim_next(["chat"], "w:1:1", LONG_AGO, 300)
            assert crashed is not None
            assert sent is not None
            assert dead is not None
            repo.finish(sent.id, holder="w:1:1", now=LONG_AGO)
            repo.finish(dead.id, holder="w:1:1", now=LONG_AGO, error="HTTP 400 invalid_blocks")
    finally:
        store.close()
    base = ["--db", str(db), "--policy", str(tmp_path / "none.yaml"), "notices"]
    result = CliRunner().invoke(cli, [*base, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["key"], r["state"]) for r in rows] == [
        ("run-1/run.started", "unsettled"),
        ("run-1/wave-1/done", "abandoned"),
    ]
    assert rows[1]["error"] == "HTTP 400 invalid_blocks"
    table = CliRunner().invoke(cli, base).stdout
    assert "unsettled" in table
    assert "abandoned" in table
    every = json.loads(CliRunner().invoke(cli, [*base, "--all", "--format", "json"]).stdout)
    assert {r["state"] for r in every} == {"unsettled", "sent", "abandoned"}


POLICY = """\
owners:
  dba: {contacts: {pager_key: PAGER_DBA_KEY}}
notifiers:
  - {name: pd, kind: pagerduty}
buckets:
  - name: db
    owner: dba
    strategy: rolling-reboot
    windows: [{cron: "0 3 * * *", duration: 60}]
    match: [{hostname: "db-*"}]
"""


def test_a_worker_whose_pager_variable_is_missing_says_which_team_and_variable(
    tmp_path: Path,
) -> None:
    (tmp_path / "fleet.yaml").write_text(POLICY)
    open_store(f"sqlite:///{tmp_path / 'fleetpatch.db'}").close()
    base = ["--db", str(tmp_path / "fleetpatch.db"), "--policy", str(tmp_path / "fleet.yaml")]
    result = CliRunner(env={"PAGER_DBA_KEY": None}).invoke(cli, [*base, "worker", "--once"])
    assert result.exit_code == 2
    assert "team dba: environment variable PAGER_DBA_KEY" in result.stderr
    ok = CliRunner(env={"PAGER_DBA_KEY": "k"}).invoke(cli, [*base, "worker", "--once"])
    assert ok.exit_code == 0, ok.stderr
