"""`collect --post` against a real `fleetpatch serve`: delivered, spooled while the server is down,
sent once when it is back; and the push/spool rules on their own against a loopback server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from fleetpatch.agent.deliver import DELIVERED, REJECTED, SPOOLED, deliver
from fleetpatch.agent.push import PushError, PushTarget, backoff_delays, push
from fleetpatch.agent.spool import Spool
from fleetpatch.cli.main import cli
from fleetpatch.errors import InputError

SRC = Path(__file__).resolve().parents[2] / "src"
START_SECONDS = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _fleetpatch(*args: str, db: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    argv = [sys.executable, "-c", "from fleetpatch.cli.main import main; main()"]
    argv += ["--db", f"sqlite:///{db}", "--policy", str(db.with_name("fleet.yaml"))]
    done = subprocess.run(
        [*argv, *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"fleetpatch {' '.join(args)}: {done.returncode}\n{done.stderr}")
    return done


@contextmanager
def _serving(db: Path, port: int, log: Path) -> Iterator[str]:
    """A real `fleetpatch serve` on `port`; always stopped."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    argv = [sys.executable, "-c", "from fleetpatch.cli.main import main; main()"]
    argv += ["--db", f"sqlite:///{db}", "--policy", str(db.with_name("fleet.yaml"))]
    argv += ["serve", "--port", str(port)]
    with log.open("ab") as sink:
        process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                pass
            if process.poll() is not None:
                raise RuntimeError(f"serve exited {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def test_collect_post_spools_while_the_server_is_down_and_sends_once(tmp_path: Path) -> None:
    db = tmp_path / "fleet.db"
    _fleetpatch("init", db=db)
    made = _fleetpatch("token", "create", "--role", "reporter", "--name", "agent", db=db)
    token_file = tmp_path / "token"
    token_file.write_text(made.stdout.strip().splitlines()[0] + "\n")
    spool = tmp_path / "spool"
    port = _free_port()
    log = tmp_path / "serve.log"
    post = [
        "collect",
        "--hostname",
        "agent-01",
        "--post",
        f"http://127.0.0.1:{port}",
        "--token-file",
        str(token_file),
        "--spool-dir",
        str(spool),
        "--timeout",
        "5",
    ]
    with _serving(db, port, log):
        first = _fleetpatch(*post, "-o", str(tmp_path / "first.json"), db=db)
        assert "report delivered (HTTP 201)" in first.stderr
    down = _fleetpatch(*post, db=db, check=False)
    assert down.returncode == SPOOLED, down.stderr
    assert "kept in" in down.stderr
    assert len(list(spool.glob("*.json"))) == 1
    spooled = json.loads(next(spool.glob("*.json")).read_text())
    with _serving(db, port, log):
        again = _fleetpatch(*post, db=db)
        assert "sent spooled report" in again.stderr
        assert list(spool.glob("*.json")) == []
        listed = _fleetpatch("host", "agent-01", "--format", "json", db=db)
    history = json.loads(listed.stdout)["history"]
    collected = sorted(r["collected_at"] for r in history)
    first_report = json.loads((tmp_path / "first.json").read_text())
    assert len(collected) == len(set(collected)) == 3  # first, spooled, third: each once
    assert first_report["collected_at"].replace("Z", "+00:00")[:19] in {c[:19] for c in collected}
    assert spooled["collected_at"].replace("Z", "+00:00")[:19] in {c[:19] for c in collected}


class _Server(ThreadingHTTPServer):
    answers: list[tuple[int, bytes]]
    bodies: list[bytes]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.server.bodies.append(self.rfile.read(length))
        status, body = self.server.answers.pop(0) if self.server.answers else (201, b"{}")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.answers, httpd.bodies = [], []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


def _target(httpd: _Server) -> PushTarget:
    return PushTarget.build(f"http://127.0.0.1:{httpd.server_address[1]}", "fp_x", timeout=5)


def test_answers_are_delivered_rejected_or_kept(server: _Server, tmp_path: Path) -> None:
    stored = b'{"stored": 1, "duplicates": 0, "rejected": [], "hosts": ["a"]}'
    server.answers = [(201, stored), (422, b'{"stored": 0, "rejected": ["hostname: bad"]}')]
    assert push(_target(server), b"{}").outcome == "delivered"
    rejected = push(_target(server), b"{}")
    assert rejected.outcome == "rejected"
    assert "hostname: bad" in rejected.message
    for status in (401, 403, 429, 500, 503):
        server.answers = [(status, b'{"error": "no", "status": 0}')]
        with pytest.raises(PushError, match=f"HTTP {status}"):
            push(_target(server), b"{}")


def test_a_rejected_report_is_not_spooled(server: _Server, tmp_path: Path) -> None:
    server.answers = [(422, b'{"stored": 0, "rejected": ["x"]}')]
    spool = Spool(tmp_path / "spool")
    result = deliver(_target(server), spool, b'{"r": 1}', sleep=lambda _: None)
    assert result.status == REJECTED
    assert spool.pending() == []


def test_spooled_reports_go_first_and_a_failure_stops_the_round(
    server: _Server, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool")
    spool.add(b'{"r": 1}')
    spool.add(b'{"r": 2}')
    server.answers = [(201, b"{}"), (503, b"{}")]
    result = deliver(_target(server), spool, b'{"r": 3}', attempts=1, sleep=lambda _: None)
    assert result.status == SPOOLED
    assert server.bodies == [b'{"r": 1}', b'{"r": 2}']  # oldest first; stopped at the 503
    assert [p.read_bytes() for p in spool.pending()] == [b'{"r": 2}', b'{"r": 3}']
    server.answers = []
    result = deliver(_target(server), spool, b'{"r": 4}', sleep=lambda _: None)
    assert result.status == DELIVERED
    assert server.bodies[2:] == [b'{"r": 2}', b'{"r": 3}', b'{"r": 4}']
    assert spool.pending() == []


def test_transient_failures_are_retried_with_bounded_backoff(server: _Server) -> None:
    waits: list[float] = []
    server.answers = [(503, b"{}"), (503, b"{}"), (201, b"{}")]
    result = deliver(_target(server), None, b"{}", attempts=3, sleep=waits.append)
    assert result.status == DELIVERED
    assert waits == [1.0, 2.0]
    assert backoff_delays(8) == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_an_unreachable_server_keeps_the_report(tmp_path: Path) -> None:
    target = PushTarget.build(f"http://127.0.0.1:{_free_port()}", "fp_x", timeout=2)
    spool = Spool(tmp_path / "spool")
    result = deliver(target, spool, b"{}", attempts=2, sleep=lambda _: None)
    assert result.status == SPOOLED
    assert len(spool.pending()) == 1


def test_the_spool_is_bounded_and_says_what_it_dropped(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", max_reports=3, max_bytes=1_000)
    for i in range(3):
        assert spool.add(f'{{"r": {i}}}'.encode()) == []
    dropped = spool.add(b'{"r": 3}')
    assert len(dropped) == 1
    assert "dropped the oldest report" in dropped[0]
    assert [p.read_bytes() for p in spool.pending()] == [b'{"r": 1}', b'{"r": 2}', b'{"r": 3}']
    big = spool.add(b"x" * 990)
    assert len(big) == 2  # over the byte bound: the oldest go until it fits
    assert [p.stat().st_size for p in spool.pending()] == [8, 990]
    huge = spool.add(b"x" * 2_000)
    assert len(huge) == 2  # alone over the bound: every older one goes, the newest stays
    assert [p.stat().st_size for p in spool.pending()] == [2_000]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://fp.example.org", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:8080/api/v1/reports", True),
        ("http://fp.example.org", False),
        ("ftp://fp.example.org", False),
        ("fp.example.org", False),
    ],
)
def test_plain_http_goes_only_to_loopback(url: str, allowed: bool) -> None:
    if allowed:
        assert PushTarget.build(url, "fp_x").url.endswith("/api/v1/reports")
        assert PushTarget.build(url, "fp_x").url.count("/api/v1/reports") == 1
    else:
        with pytest.raises(InputError):
            PushTarget.build(url, "fp_x")
    assert PushTarget.build("http://fp.example.org", "fp_x", allow_http=True).url.startswith(
        "http:"
    )


def test_collect_post_needs_a_token_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["collect", "--post", "https://fp.example.org"])
    assert result.exit_code == 2
    assert "--token-file" in result.output
