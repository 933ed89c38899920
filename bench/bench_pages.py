"""Every dashboard page of a store, cold and warm, through a real `fleetpatch serve`.

    .venv/bin/fleetpatch demo --no-serve --dir /tmp/demo          # the 400-host demo, or any store
    .venv/bin/python bench/bench_pages.py --dir /tmp/demo [--requests 20] [--port 18182]
    .venv/bin/python bench/bench_pages.py --db /tmp/fleet-100k.db --policy fleet.yaml

The server is started on 127.0.0.1 and left to finish its start-up warm-up (catalog and advisory
indexes, bucket forecasts, time to patch: it logs "warm-up done"), as a server is before its users
arrive. Then, for each page: "cold" is its first request (the page's own work, nothing of it
cached yet), "warm" the p50 and p95 of `--requests` more. The targets: warm < 200 ms, cold
< 500 ms; a page over either is marked. Pages: the overview, the hosts list (plain and filtered),
the worst host's page (and metal-01's in the demo), every bucket's page, the packages (drift)
page, a CVE page, the runs page, the biggest run's page, its bucket's runs and the page of the
host with the most recorded steps, and the JSON and /metrics twins of the overview, a bucket,
drift and the runs.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

FLEETPATCH = Path(sys.executable).parent / "fleetpatch"
WARM_MARK = "warm-up done"
WARM_TARGET, COLD_TARGET = 0.200, 0.500


def start(db: Path, policy: Path, port: int, wait: float) -> subprocess.Popen[str]:
    env = {**os.environ, "FLEETPATCH_LOG_LEVEL": "INFO"}
    args = [str(FLEETPATCH), "--db", f"sqlite:///{db}", "--policy", str(policy)]
    server = subprocess.Popen(
        [*args, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    warmed = threading.Event()

    def watch() -> None:
        assert server.stderr is not None
        for line in server.stderr:
            if WARM_MARK in line:
                warmed.set()

    threading.Thread(target=watch, daemon=True).start()
    if not warmed.wait(wait):
        server.kill()
        raise SystemExit(f"the server did not finish warming up within {wait:.0f} s")
    return server


def pages(db: Path, policy_buckets: list[str]) -> list[str]:
    with sqlite3.connect(db) as conn:
        worst = conn.execute(
            "SELECT hostname FROM host_status ORDER BY severity_rank, days_behind_max DESC LIMIT 1"
        ).fetchone()
        metal = conn.execute("SELECT 1 FROM host_status WHERE hostname = 'metal-01'").fetchone()
        advisory = conn.execute("SELECT advisory_id FROM advisories LIMIT 1").fetchone()
        runs = conn.execute(
            "SELECT id, bucket FROM runs ORDER BY (SELECT count(*) FROM run_hosts h "
            "WHERE h.run_id = runs.id) DESC LIMIT 1"
        ).fetchone()
        ran = conn.execute(
            "SELECT host FROM run_steps GROUP BY host ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    out = ["/", "/hosts", "/hosts?state=pending_reboot&sort=uptime", "/packages"]
    if worst:
        out.append(f"/hosts/{worst[0]}")
    if metal:
        out.append("/hosts/metal-01")
    out += [f"/buckets/{b}" for b in policy_buckets]
    if advisory:
        out.append(f"/cve?q={advisory[0]}")
    out.append("/runs")
    if runs:  # the biggest run, its bucket's runs, and the host with the most recorded steps
        out += [f"/runs/{runs[0]}", f"/runs?bucket={runs[1]}"]
    if ran:
        out.append(f"/hosts/{ran[0]}")
    out += ["/api/v1/overview", "/api/v1/drift", "/api/v1/runs", "/metrics"]
    out += [f"/api/v1/buckets/{b}" for b in policy_buckets[:1]]
    return out


def measure(client: httpx.Client, path: str, n: int) -> tuple[float, list[float]]:
    def get() -> float:
        started = time.perf_counter()
        response = client.get(path)
        took = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"GET {path}: {response.status_code} {response.text[:200]}")
        return took

    cold = get()
    return cold, [get() for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="a demo directory (fleetpatch.db, fleet.yaml)")
    parser.add_argument("--db", type=Path)
    parser.add_argument("--policy", type=Path)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--port", type=int, default=18182)
    parser.add_argument("--wait", type=float, default=600.0, help="warm-up limit, seconds")
    args = parser.parse_args()
    db = args.db or (args.dir / "fleetpatch.db" if args.dir else None)
    policy = args.policy or (args.dir / "fleet.yaml" if args.dir else None)
    if db is None or policy is None:
        parser.error("give --dir, or --db and --policy")
    from fleetpatch.policy.loader import load_policy

    buckets = [b.name for b in load_policy(policy).buckets]
    with sqlite3.connect(db) as conn:
        hosts = conn.execute("SELECT count(*) FROM host_status").fetchone()[0]
    started = time.perf_counter()
    server = start(db, policy, args.port, args.wait)
    print(f"{hosts:,} hosts; server warmed up in {time.perf_counter() - started:.1f} s")
    over = 0
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{args.port}", timeout=120) as client:
            for path in pages(db, buckets):
                cold, warm = measure(client, path, args.requests)
                ordered = sorted(warm)
                p50 = statistics.median(ordered)
                p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
                slow = p50 > WARM_TARGET or cold > COLD_TARGET
                over += slow
                print(
                    f"  {path[:44]:<44} cold {cold * 1000:7.1f} ms   warm p50 {p50 * 1000:6.1f} ms"
                    f"  p95 {p95 * 1000:6.1f} ms{'   OVER TARGET' if slow else ''}"
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"{over} page(s) over target (warm p50 < 200 ms, cold < 500 ms)")


if __name__ == "__main__":
    main()
