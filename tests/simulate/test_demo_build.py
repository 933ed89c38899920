"""`fleetpatch demo --no-serve`: a fresh store with the demo fleet, its history and its story."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO
from urllib.request import urlopen

import pytest
from click.testing import CliRunner, Result

from fleetpatch.app.demo import build_demo
from fleetpatch.cli.main import cli
from fleetpatch.errors import InputError
from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import parse_policy
from fleetpatch.store import HostRepository, open_store
from fleetpatch.store.catalog import CatalogRepository
from fleetpatch.store.evaluations import FLEET_KEY, EvaluationRepository, HistoryPoint

pytestmark = pytest.mark.slow
NOW = "2026-11-27T12:00:00Z"
HOSTS = 40
EVERY = 15  # 7 evaluations: enough for the trend, fast enough for a unit test


def _build(directory: Path) -> Result:
    args = ["demo", "--no-serve", "--hosts", str(HOSTS), "--every", str(EVERY), "--now", NOW]
    return CliRunner().invoke(cli, [*args, "--dir", str(directory)])


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo")
    result = _build(directory)
    assert result.exit_code == 0, result.output
    return directory


def _history(directory: Path, scope: str, key: str) -> list[HistoryPoint]:
    store = open_store(f"sqlite:///{directory / 'fleetpatch.db'}")
    try:
        with store.session() as session:
            return EvaluationRepository(session).history(scope, key, date(2026, 1, 1))
    finally:
        store.close()


def test_builds_a_store_and_the_example_policy(demo_dir: Path) -> None:
    assert (demo_dir / "fleet.yaml").read_text(encoding="utf-8") == EXAMPLE_POLICY
    store = open_store(f"sqlite:///{demo_dir / 'fleetpatch.db'}")
    try:
        with store.session() as session:
            hosts = HostRepository(session).current()
            entries = CatalogRepository(session).entries()
    finally:
        store.close()
    assert len(hosts) == HOSTS
    assert {h.ecosystem for h in hosts} == {"Debian:12", "AlmaLinux:9"}
    kernel = next(
        e for e in entries if e.name == "kernel-core" and e.version.startswith("5.14.0-6")
    )
    assert kernel.first_seen.year >= 2025  # the advisory's date, kept by the store


def test_prints_a_summary(demo_dir: Path, tmp_path: Path) -> None:
    result = _build(tmp_path)
    assert result.exit_code == 0, result.output
    assert f"demo fleet: {HOSTS} hosts, 90 days of history (7 evaluations)" in result.stdout
    assert "1783 AlmaLinux advisories" in result.stdout
    assert "fleetpatch.db" in result.stdout


def test_history_has_a_point_per_evaluation(demo_dir: Path) -> None:
    fleet = _history(demo_dir, "fleet", FLEET_KEY)
    days = [p.day for p in fleet]
    assert (days[0], days[-1]) == (date(2026, 8, 29), date(2026, 11, 27))
    assert len(fleet) == 7
    assert all(p.hosts == HOSTS for p in fleet)


def test_the_database_team_falls_behind(demo_dir: Path) -> None:
    dba = _history(demo_dir, "owner", "dba")
    assert len(dba) == 7
    means = [p.days_behind_mean for p in dba]
    assert means == sorted(means)
    assert means[-1] > means[0] + 5
    assert dba[-1].days_behind_max > 90


def test_today_shows_metal_01_and_the_stale_host(demo_dir: Path) -> None:
    store = open_store(f"sqlite:///{demo_dir / 'fleetpatch.db'}")
    try:
        with store.session() as session:
            repository = EvaluationRepository(session)
            metal = repository.status("metal-01")
            statuses = repository.statuses()
    finally:
        store.close()
    assert metal is not None
    assert metal.reboot == "pending_reboot"
    assert metal.uptime_days is not None
    assert metal.uptime_days > 412
    stale = [s.hostname for s in statuses if s.freshness == "stale"]
    assert len(stale) == 1
    assert stale[0].startswith(("jump-", "util-"))


def test_a_rebuild_starts_from_scratch(demo_dir: Path) -> None:
    result = _build(demo_dir)
    assert result.exit_code == 0, result.output
    assert len(_history(demo_dir, "fleet", FLEET_KEY)) == 7


def test_an_unusable_directory_is_bad_input(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = _build(blocker / "demo")
    assert result.exit_code == 2
    assert "--dir" in result.output


def test_serves_the_dashboard_and_prints_its_url(tmp_path: Path) -> None:
    port = _free_port()
    args = ["demo", "--hosts", "3", "--every", "45", "--now", NOW, "--port", str(port)]
    entry = "from fleetpatch.cli.main import main; main()"
    command = [sys.executable, "-c", entry, *args, "--dir", str(tmp_path)]
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stderr is not None
            url = _wait_for_url(process.stderr)
            assert url == f"http://127.0.0.1:{port}/"
            with urlopen(f"{url}api/v1/overview", timeout=30) as response:
                overview = json.load(response)
            assert overview["fleet"]["hosts"] == 3
            assert len(overview["trend"]) == 3
        finally:
            process.terminate()
            process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_for_url(stderr: IO[str]) -> str:
    """The URL `serve` prints once the app is built; uvicorn then needs a moment to bind."""
    for line in stderr:
        found = re.search(r"dashboard on (http://\S+)", line)
        if found:
            _wait_until_listening(found.group(1))
            return found.group(1)
    raise AssertionError("fleetpatch demo exited without printing the dashboard URL")


def _wait_until_listening(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urlopen(f"{url}healthz", timeout=5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answers at {url}")


def test_the_use_case_refuses_a_store_with_reports(demo_dir: Path) -> None:
    store = open_store(f"sqlite:///{demo_dir / 'fleetpatch.db'}")
    try:
        with pytest.raises(InputError, match="empty store"):
            build_demo(
                store,
                parse_policy(EXAMPLE_POLICY),
                hosts=5,
                seed=1,
                now=datetime(2026, 11, 27, tzinfo=UTC),
            )
    finally:
        store.close()
