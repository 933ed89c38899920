"""Show that policy hostname regexes run in linear time: RE2 against Python's backtracking `re`.

    .venv/bin/python bench/bench_policy_regex.py [--max-length 50000]

Classifies a host named `a` * n + `!` against a bucket whose rule is `(a+)+$` (the classic
catastrophic-backtracking pattern) for growing n, and prints the seconds per classification.
For comparison, Python's `re` runs the same full match on short names only: its time doubles
with every extra character, so it is stopped at 26 characters.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable

from fleetpatch.policy.classify import HostFacts, classify
from fleetpatch.policy.records import Bucket, MatchRule, Policy

PATTERN = r"(a+)+$"


def _seconds(call: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-length", type=int, default=50_000)
    args = parser.parse_args()
    bucket = Bucket("as", "team", "manual", match=(MatchRule(hostname_regex=PATTERN),))
    policy = Policy(buckets=(bucket,))
    print("RE2 (fleetpatch.policy.classify)")
    lengths = sorted({n for n in (1_000, 2_000, 5_000, 10_000, 20_000) if n < args.max_length})
    for length in (*lengths, args.max_length):
        host = HostFacts("a" * length + "!")
        assert classify(policy, host).unclassified
        print(f"  n={length:>7,}  {_seconds(lambda h=host: classify(policy, h)):.6f} s")
    print("Python re (backtracking), for comparison")
    compiled = re.compile(PATTERN)
    for length in (18, 20, 22, 24, 26):
        text = "a" * length + "!"
        print(f"  n={length:>7,}  {_seconds(lambda t=text: compiled.fullmatch(t), 1):.6f} s")


if __name__ == "__main__":
    main()
