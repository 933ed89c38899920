"""`bench/bench_fuzz_serve.py`'s core at 1,000 reports: a real `fleetpatch serve` answers no
5xx, logs no traceback and loses no accepted report."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_fuzz_serve.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_fuzz_serve", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_a_thousand_fuzzed_reports_over_http_lose_nothing(tmp_path: Path) -> None:
    bench = load_bench()
    options = bench.parser().parse_args(["--reports", "1000", "--deadline", "120"])
    counts = bench.run(options, tmp_path)
    assert counts.failures() == 0, "\n".join([counts.line(), *counts.samples[:10]])
    assert counts.sent == 1000
    assert counts.accepted > 300
    assert counts.rejected > 300
