"""`fleetpatch serve` for real: the CLI starts uvicorn on loopback, pages and the API answer over
HTTP with the security headers, and a write without a token is refused."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fleetpatch.policy.example import EXAMPLE_POLICY

FLEETPATCH = Path(sys.executable).parent / "fleetpatch"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(evaluated_db: Path, tmp_path: Path) -> Iterator[str]:
    db = tmp_path / "fleet.db"
    shutil.copyfile(evaluated_db, db)
    policy = tmp_path / "fleet.yaml"
    policy.write_text(EXAMPLE_POLICY, encoding="utf-8")
    port = free_port()
    args = [str(FLEETPATCH), "--db", str(db), "--policy", str(policy), "serve", "--port", str(port)]
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(args, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
            assert time.monotonic() < deadline, "serve did not start within 60 s"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_answers_over_http(server: str) -> None:
    page = httpx.get(f"{server}/", timeout=30)
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert 'data-testid="bucket-row"' in page.text
    assert httpx.get(f"{server}/api/v1/overview", timeout=30).json()["fleet"]["hosts"] > 0
    assert httpx.get(f"{server}/static/fleetpatch.css", timeout=30).status_code == 200
    assert "fleetpatch_hosts" in httpx.get(f"{server}/metrics", timeout=30).text
    refused = httpx.post(f"{server}/api/v1/reports", content=b"{}", timeout=30)
    assert refused.status_code == 401
