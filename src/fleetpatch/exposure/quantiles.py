"""Nearest-rank quantiles (pure), the one definition every figure uses: the value at 1-based rank
`ceil(q * n)` of the sorted values, so a p90 is a value some host or pair really has."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from math import ceil


def rank(q: float, n: int) -> int:
    """The 1-based rank of the `q` quantile among `n` values (at least 1)."""
    return max(1, ceil(q * n))


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest rank of the sorted `values`; None when empty."""
    if not values:
        return None
    return values[rank(q, len(values)) - 1]


def nearest_rank(counts: Iterable[tuple[int, int]], q: float) -> int:
    """The same quantile of a distribution given as (value, count) pairs; 0 when empty."""
    ordered = sorted(counts)
    total = sum(n for _, n in ordered)
    if total == 0:
        return 0
    wanted, seen = rank(q, total), 0
    for value, n in ordered:
        seen += n
        if seen >= wanted:
            return value
    return ordered[-1][0]
