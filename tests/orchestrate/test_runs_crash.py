"""Kill -9 a real worker process at random points of four simulated runs (one per strategy):
the runs complete, no completed step runs twice, no host is left leased or cordoned, the
concurrency cap held at every instant, and the end equals an uninterrupted run's. The bench
(`bench/bench_runs_crash.py`) runs the same with 1,000 hosts and 50 kills."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest


def _harness() -> ModuleType:
    path = Path(__file__).parents[2] / "bench" / "bench_runs_crash.py"
    spec = importlib.util.spec_from_file_location("bench_runs_crash", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_runs_survive_kill_9_at_random_points(tmp_path: Path) -> None:
    problems, figures = _harness().run_bench(
        hosts=60, kills=5, seed=11, workdir=tmp_path, max_seconds=300
    )
    assert problems == []
    assert figures["kills"] >= 1
    assert figures["interrupted"] + figures["resumed"] >= 1  # the kills did land mid-run
