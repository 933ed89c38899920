"""Measure `parse_report` on a 700-package report (not a test: run it by hand).

    .venv/bin/python tests/inventory/bench_parse_report.py

The report is this machine's own (`LocalCollector().collect`), its package list cut or cycled to
700 entries with distinct names, so the strings are real Debian names and versions.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from fleetpatch.inventory.collector import LocalCollector
from fleetpatch.inventory.schema import parse_report, parse_report_json, report_to_dict

PACKAGES = 700
ROUNDS = 3000


def sample_report() -> dict[str, Any]:
    report = report_to_dict(LocalCollector().collect(datetime.now(UTC)))
    real = report["packages"]
    report["packages"] = [
        {**real[i % len(real)], "name": f"{real[i % len(real)]['name']}-{i // len(real)}"}
        for i in range(PACKAGES)
    ]
    return report


def per_call_us(fn: Any, arg: Any) -> float:
    """CPU time per call (process time, so other load on the machine does not count)."""
    fn(arg)
    start = time.process_time()
    for _ in range(ROUNDS):
        fn(arg)
    return (time.process_time() - start) / ROUNDS * 1e6


def main() -> None:
    report = sample_report()
    raw = json.dumps(report).encode()
    print(f"parse_report(dict), {PACKAGES} packages: {per_call_us(parse_report, report):.0f} us")
    print(f"parse_report_json(bytes):          {per_call_us(parse_report_json, raw):.0f} us")
    both = per_call_us(lambda b: parse_report(json.loads(b)), raw)
    print(f"json.loads + parse_report:         {both:.0f} us")


if __name__ == "__main__":
    main()
