"""Fuzz a real `fleetpatch serve` over HTTP with good and mutated host reports.

    .venv/bin/python bench/bench_fuzz_serve.py [--reports 10000] [--seed 1] [--clients 4]

Builds a store (the Debian 12 lists from tests/data, a reporter token), starts `fleetpatch serve`
on 127.0.0.1 at a free port in a subprocess running this checkout's code, and POSTs `--reports`
reports to `/api/v1/reports` from `--clients` threads: about half real generated reports under
unique hostnames, half mutated ones (bad versions, hostnames, ecosystems, types, control
characters, sizes up to a megabyte), drawn from `--seed`. Then asks `GET /api/v1/hosts/{h}` for
every accepted report's host. Counts 5xx answers, tracebacks in the server's log, lost good
reports (accepted but not served back, or a valid report refused) and transport errors; all must
be 0. Prints one summary line with the counts and reports/s and exits 1 when any count is not 0.

Every request has `--timeout`; the whole run stops sending at `--deadline` seconds (the reports
not sent are counted as errors); the server is always terminated.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import itertools
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
sys.path.insert(0, str(SRC))  # the server runs this checkout's code; so does the set-up here

import httpx  # noqa: E402
import orjson  # noqa: E402

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
LISTS = ROOT / "tests/data/catalog/debian12/lists"
START_SECONDS = 60.0
CHUNK = 200
SAMPLES = 10
Report = dict[str, Any]

BAD_VERSIONS = ["1.0 beta", "1:", "1.0-", ":1.0", "1.0\n2.0", "1" * 100_000, "", "1:1:1"]
BAD_HOSTNAMES = ["a\nb", "..", ".", "h" * 1_000_007, "", "a/b", "x y", "é", "a\x00b"]
WRONG_TYPES: list[Any] = [None, 0, 1.5, True, [], {}, "x", [1], {"a": 1}]
TIMES = [
    "2026-11-27T10:00:00",
    "9999-99-99T00:00Z",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00Z",
]


def _set(report: Report, path: str, value: Any) -> None:
    node: Any = report
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    node[int(last) if isinstance(node, list) else last] = value


def _many_packages(report: Report, rng: random.Random) -> None:
    first = report["packages"][0]
    count = rng.choice([0, 2, 500, 5_000])
    report["packages"] = [{**first, "name": f"p{i}"} for i in range(count)]


MUTATIONS: list[Callable[[Report, random.Random], None]] = [
    lambda r, g: _set(r, "packages.0.version", g.choice(BAD_VERSIONS)),
    lambda r, g: _set(r, "packages.0.source_version", g.choice(BAD_VERSIONS)),
    lambda r, g: _set(r, "hostname", g.choice(BAD_HOSTNAMES)),
    lambda r, g: _set(r, "ecosystem", g.choice(["Windows:11", "debian:12", ":12", "e" * 2**20])),
    lambda r, g: _set(r, g.choice(["packages", "os", "labels", "collected_at"]), g.choice(
        WRONG_TYPES)),
    lambda r, g: r.pop(g.choice(["kernel", "schema", "hostname", "ecosystem", "packages"])),
    lambda r, g: _set(r, "kernel.running", g.choice([None, "", "6.1 0", "x" * 300])),
    lambda r, g: _set(r, "labels", g.choice([{"a\nb": "1"}, {"k": "v\x07"}, {"": "x"}])),
    lambda r, g: _set(r, "packages.0.name", "".join(chr(g.randrange(1, 0x3000)) for _ in range(9))),
    lambda r, g: _set(r, g.choice(["collected_at", "boot_time"]), g.choice(TIMES)),
    _many_packages,
    lambda r, g: _set(r, "extra", 1),
]  # fmt: skip


def base_reports(seed: int, packages: int) -> list[Report]:
    """Real generated reports (Debian, Ubuntu, AlmaLinux, ...), cut to `packages` packages."""
    from fleetpatch.inventory.schema import report_to_dict
    from fleetpatch.simulate.fleet import generate_fleet

    out = []
    for report in generate_fleet(40, seed=seed, now=NOW + timedelta(hours=1)):
        data = report_to_dict(report)
        data["packages"] = data["packages"][:packages]
        out.append(data)
    return out


def draw_reports(count: int, seed: int, packages: int = 60) -> Iterator[tuple[bool, bytes]]:
    """(is it an unmutated report, body) × count, the same for the same seed."""
    rng = random.Random(seed)
    bases = base_reports(seed, packages)
    for index in range(count):
        report = copy.deepcopy(rng.choice(bases))
        report["hostname"] = f"fz-{seed}-{index}"
        good = rng.random() < 0.5
        if not good:
            for mutate in rng.sample(MUTATIONS, rng.choice([1, 1, 2])):
                # An earlier mutation may have removed what this one changes.
                with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
                    mutate(report, rng)
        yield good, orjson.dumps(report)


@dataclass
class Counts:
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    server_errors: int = 0
    tracebacks: int = 0
    lost: int = 0
    transport_errors: int = 0
    seconds: float = 0.0
    checked: int = 0
    check_seconds: float = 0.0
    accepted_hosts: list[str] = field(default_factory=list, repr=False)
    samples: list[str] = field(default_factory=list, repr=False)

    def note(self, sample: str) -> None:
        """Keep the first few failures to print; the counts say how many there were."""
        if len(self.samples) < SAMPLES:
            self.samples.append(sample)

    def failures(self) -> int:
        return self.server_errors + self.tracebacks + self.lost + self.transport_errors

    def line(self) -> str:
        rate = self.sent / self.seconds if self.seconds else 0.0
        return (
            f"reports {self.sent:,}  accepted {self.accepted:,}  rejected {self.rejected:,}  "
            f"5xx {self.server_errors}  tracebacks {self.tracebacks}  lost {self.lost}  "
            f"transport errors {self.transport_errors}  in {self.seconds:.1f} s  "
            f"{rate:,.0f} reports/s  (then {self.checked:,} hosts read back in "
            f"{self.check_seconds:.1f} s)"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def prepare(workdir: Path) -> tuple[Path, Path, str]:
    """A store with the Debian 12 catalog and a reporter token; the example policy."""
    from fleetpatch.app.tokens import create_token
    from fleetpatch.app.upstream import import_catalog
    from fleetpatch.policy.example import EXAMPLE_POLICY
    from fleetpatch.store import open_store

    db = workdir / "fuzz.db"
    store = open_store(f"sqlite:///{db}")
    try:
        import_catalog(store, [str(LISTS)], now=NOW)
        secret = create_token(store, "bench-fuzz", "reporter", now=NOW)[1]
    finally:
        store.close()
    policy = workdir / "fleet.yaml"
    policy.write_text(EXAMPLE_POLICY, encoding="utf-8")
    return db, policy, secret


@contextmanager
def serving(db: Path, policy: Path, log: Path) -> Iterator[str]:
    """`fleetpatch serve` on a free loopback port (auth off for reads); yields its base URL and
    always terminates it."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    args = [sys.executable, "-c", "from fleetpatch.cli.main import main; main()"]
    args += ["--db", str(db), "--policy", str(policy), "serve", "--port", str(port)]
    with log.open("wb") as sink:
        process = subprocess.Popen(args, stdout=sink, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise RuntimeError(f"serve exited {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"serve did not answer within {START_SECONDS:.0f} s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def send_all(
    base: str, secret: str, bodies: Iterator[tuple[bool, bytes]], options: argparse.Namespace
) -> Counts:
    counts = Counts()
    lock = threading.Lock()
    stop_at = time.monotonic() + options.deadline
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=options.clients)

    with httpx.Client(base_url=base, timeout=options.timeout, limits=limits) as client:

        def post(item: tuple[bool, bytes]) -> None:
            good, body = item
            if time.monotonic() > stop_at:
                with lock:
                    counts.transport_errors += 1
                    counts.note("not sent: past --deadline")
                return
            try:
                response = client.post("/api/v1/reports", content=body, headers=headers)
            except httpx.HTTPError as exc:
                with lock:
                    counts.sent += 1
                    counts.transport_errors += 1
                    counts.note(f"transport: {exc!r}")
                return
            record(counts, lock, good, response)

        started = time.perf_counter()
        with ThreadPoolExecutor(options.clients) as pool:
            # A chunk at a time: map() would draw (and hold) every body before sending one.
            while chunk := list(itertools.islice(bodies, CHUNK)):
                for _ in pool.map(post, chunk):
                    pass
        counts.seconds = time.perf_counter() - started
        check_hosts(client, counts, stop_at + options.timeout * 10)
    return counts


def record(counts: Counts, lock: threading.Lock, good: bool, response: httpx.Response) -> None:
    with lock:
        counts.sent += 1
        if response.status_code >= 500:
            counts.server_errors += 1
            counts.note(f"{response.status_code}: {response.text[:300]}")
        elif response.status_code == 201:
            counts.accepted += 1
            counts.accepted_hosts.extend(response.json()["hosts"])
        else:
            counts.rejected += 1
            if good:  # an unmutated real report must be stored
                counts.lost += 1
                counts.note(f"good report refused: {response.text[:300]}")


def check_hosts(client: httpx.Client, counts: Counts, stop_at: float) -> None:
    """Every accepted report's host answers 200, within the time left."""
    started = time.perf_counter()
    for host in counts.accepted_hosts:
        if time.monotonic() > stop_at:
            counts.lost += 1
            counts.note(f"{host}: not checked, past the deadline")
            continue
        try:
            status = client.get(f"/api/v1/hosts/{host}").status_code
        except httpx.HTTPError as exc:
            status = 0
            counts.note(f"{host}: {exc!r}")
        counts.checked += 1
        if status != 200:
            counts.lost += 1
            counts.note(f"{host}: GET answered {status}")
    counts.check_seconds = time.perf_counter() - started


def run(options: argparse.Namespace, workdir: Path) -> Counts:
    """The whole benchmark; the caller decides what a non-zero count means."""
    db, policy, secret = prepare(workdir)
    log = workdir / "serve.log"
    with serving(db, policy, log) as base:
        counts = send_all(base, secret, draw_reports(options.reports, options.seed), options)
    counts.tracebacks = log.read_text(encoding="utf-8", errors="replace").count("Traceback")
    stored = stored_hosts(db)
    missing = set(counts.accepted_hosts) - stored
    counts.lost += len(missing)
    for host in sorted(missing)[:SAMPLES]:
        counts.note(f"{host}: not in the store")
    return counts


def stored_hosts(db: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT hostname FROM hosts")}


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--deadline", type=float, default=3600.0, help="seconds to send them all")
    parser.add_argument("--workdir", type=Path, help="keep the store and the server log here")
    return parser


def main() -> None:
    options = parser().parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine    {os.cpu_count()} CPUs, load average {load}")
    if options.workdir is not None:
        options.workdir.mkdir(parents=True, exist_ok=True)
        counts = run(options, options.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="fleetpatch-fuzz-") as tmp:
            counts = run(options, Path(tmp))
    print(counts.line())
    for sample in counts.samples:
        print(f"  {sample}")
    if counts.failures():
        raise SystemExit(1)


if __name__ == "__main__":
    main()
