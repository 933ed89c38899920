"""Benchmark `fleetpatch serve` at fleet scale: page latency and concurrent report ingestion.

    .venv/bin/python bench/bench_web.py --db /tmp/fleet-100k.db [--requests 40] [--posts 1000]
                                        [--clients 50] [--port 18181]

`--db` is a SQLite store built by `bench/web_fleet.py` (generated fleet, ingested, catalog and
advisories imported, evaluated). The script copies it (the POSTs write to the copy), creates a
reporter token, starts the real server (`fleetpatch --db COPY --policy EXAMPLE serve`) on
127.0.0.1 in a subprocess, and then, over HTTP:

1. pages: `--requests` sequential GETs each of the overview (HTML and JSON), hosts pages
   (unfiltered at random depths, filtered by state, by bucket with a sort, by free text), host
   pages of random hosts, and `/metrics`; prints p50/p95/max per kind. The overview as served
   uses the server's cached fleet figures (refreshed by writes through it, new evaluations, or
   a 10 s TTL), so its cold path is measured too: `dashboard.overview` in-process, recomputing
   the figures every time.
2. ingest: `--posts` distinct reports (generated, renamed `bench-post-N`) POSTed by `--clients`
   concurrent clients; prints reports/s and checks, by counting rows in the store afterwards,
   that every report was stored and every host has a status row (none lost).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from web_fleet import NOW, example_policy

FLEETPATCH = Path(sys.executable).parent / "fleetpatch"


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"p50 {statistics.median(ordered) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  "
        f"max {ordered[-1] * 1000:7.1f} ms  (n={len(ordered)})"
    )


def timed_gets(client: httpx.Client, urls: Callable[[int], str], n: int) -> list[float]:
    client.get(urls(0))  # warm: templates compiled, figures cached, indexes loaded
    samples = []
    for i in range(n):
        started = time.perf_counter()
        response = client.get(urls(i))
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"GET {urls(i)}: {response.status_code} {response.text[:200]}")
    return samples


def bench_pages(base: str, db: Path, n: int) -> None:
    rng = random.Random(1)
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT hostname FROM host_status")]
        total = len(names)
    pages = max(1, total // 50)
    kinds: list[tuple[str, Callable[[int], str]]] = [
        ("overview /", lambda i: "/"),
        ("overview /api/v1/overview", lambda i: "/api/v1/overview"),
        ("hosts, random page", lambda i: f"/hosts?page={rng.randint(1, pages)}"),
        ("hosts, last page", lambda i: f"/hosts?page={pages}"),
        ("hosts, pending reboot by uptime", lambda i: "/hosts?state=pending_reboot&sort=uptime"),
        ("hosts, bucket by severity", lambda i: "/hosts?bucket=databases&sort=severity"),
        ("hosts, free text", lambda i: f"/hosts?q={rng.choice(names)[:5]}"),
        ("hosts API, 500 rows", lambda i: "/api/v1/hosts?limit=500"),
        ("host page, random host", lambda i: f"/hosts/{rng.choice(names)}"),
        ("host API, random host", lambda i: f"/api/v1/hosts/{rng.choice(names)}"),
        ("/metrics", lambda i: "/metrics"),
    ]
    print(f"pages over {total:,} hosts, {n} requests each (real server, one client):")
    with httpx.Client(base_url=base, timeout=120) as client:
        for label, urls in kinds:
            print(f"  {label:<34} {percentiles(timed_gets(client, urls, n))}")


def bench_uncached_overview(db: Path, n: int) -> None:
    from fleetpatch.app.dashboard import overview
    from fleetpatch.store import open_store

    store = open_store(f"sqlite:///{db}")
    policy = example_policy()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        overview(store, policy, now=NOW)
        samples.append(time.perf_counter() - started)
    store.close()
    print(f"  {'overview figures, uncached':<34} {percentiles(samples)}  (in-process, no HTTP)")


def post_bodies(count: int) -> list[bytes]:
    from fleetpatch.inventory.schema import report_to_dict
    from fleetpatch.simulate.fleet import generate_fleet

    bodies = []
    later = NOW + timedelta(hours=2)
    for i, report in enumerate(generate_fleet(count, seed=99, now=later)):
        data = report_to_dict(report)
        data["hostname"] = f"bench-post-{i:05d}"
        bodies.append(orjson.dumps(data))
    return bodies


async def post_all(base: str, token: str, bodies: list[bytes], clients: int) -> list[int]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    statuses: list[int] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=300, headers=headers) as client:
            while not queue.empty():
                body = queue.get_nowait()
                try:
                    response = await client.post("/api/v1/reports", content=body)
                    statuses.append(response.status_code)
                except httpx.HTTPError as exc:  # counted, so a failure shows as a lost report
                    statuses.append(-1)
                    print(f"  POST failed: {type(exc).__name__}: {exc}", file=sys.stderr)

    await asyncio.gather(*(worker() for _ in range(clients)))
    return statuses


def bench_posts(base: str, db: Path, token: str, count: int, clients: int) -> None:
    bodies = post_bodies(count)
    started = time.perf_counter()
    statuses = asyncio.run(post_all(base, token, bodies, clients))
    seconds = time.perf_counter() - started
    with sqlite3.connect(db) as conn:
        hosts = conn.execute(
            "SELECT count(*) FROM hosts WHERE hostname LIKE 'bench-post-%'"
        ).fetchone()[0]
        rated = conn.execute(
            "SELECT count(*) FROM host_status WHERE hostname LIKE 'bench-post-%'"
        ).fetchone()[0]
    codes = {c: statuses.count(c) for c in sorted(set(statuses))}
    print(
        f"ingest: {count} reports from {clients} concurrent clients in {seconds:.1f} s = "
        f"{count / seconds:,.1f} reports/s; HTTP statuses {codes}; stored hosts {hosts}, "
        f"host status rows {rated}"
    )
    if hosts != count or rated != count or codes != {201: count}:
        raise SystemExit("reports were lost")


def start_server(db: Path, policy: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FLEETPATCH_LOG_LEVEL": "WARNING"}
    args = [str(FLEETPATCH), "--db", f"sqlite:///{db}", "--policy", str(policy)]
    server = subprocess.Popen([*args, "serve", "--port", str(port)], env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--port", type=int, default=18181)
    args = parser.parse_args()
    from fleetpatch.app.tokens import create_token
    from fleetpatch.policy.example import EXAMPLE_POLICY
    from fleetpatch.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "fleet.db"
        shutil.copyfile(args.db, db)
        policy = Path(tmp) / "fleet.yaml"
        policy.write_text(EXAMPLE_POLICY, encoding="utf-8")
        store = open_store(f"sqlite:///{db}")
        _, token = create_token(store, "bench", "reporter", now=NOW)
        store.close()
        server = start_server(db, policy, args.port)
        base = f"http://127.0.0.1:{args.port}"
        try:
            bench_pages(base, db, args.requests)
            bench_uncached_overview(db, max(5, args.requests // 4))
            if args.posts:
                bench_posts(base, db, token, args.posts, args.clients)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
