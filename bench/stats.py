"""Small, dependency-free statistics for benchmark samples."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypedDict


class LatencySummary(TypedDict):
    """Percentiles of a latency sample, in milliseconds."""

    count: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float


class Throughput(TypedDict):
    """Operations completed in a wall-clock interval."""

    count: int
    threads: int
    seconds: float
    ops_per_s: float


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of already sorted values, nearest-rank method.

    Nearest rank (no interpolation) is used so every reported figure is a
    latency that was actually observed, and p99 of 2000 samples is the 20th
    largest sample rather than a blend of two.

    Raises:
        ValueError: no values, or ``q`` outside 0-100.
    """
    if not sorted_values:
        raise ValueError("percentile of an empty sample")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q must be within 0..100, got {q}")
    rank = max(1, math.ceil(q / 100.0 * len(sorted_values)))
    return float(sorted_values[rank - 1])


def summarize(seconds: Sequence[float]) -> LatencySummary:
    """p50/p90/p99/max/mean of latencies given in seconds, reported in milliseconds.

    Raises:
        ValueError: the sample is empty.
    """
    values = sorted(seconds)
    if not values:
        raise ValueError("cannot summarize an empty latency sample")
    return LatencySummary(
        count=len(values),
        p50_ms=round(percentile(values, 50) * 1000.0, 3),
        p90_ms=round(percentile(values, 90) * 1000.0, 3),
        p99_ms=round(percentile(values, 99) * 1000.0, 3),
        max_ms=round(values[-1] * 1000.0, 3),
        mean_ms=round(sum(values) / len(values) * 1000.0, 3),
    )


def latency_rows(figure: str, summary: LatencySummary, how: str) -> list[dict[str, Any]]:
    """The p50 and p99 rows of one latency, as the node benchmarks report them."""
    return [{"figure": f"{figure} {q}", "value": summary[f"{q}_ms"], "unit": "ms", "how": how}
            for q in ("p50", "p99")]


def throughput(count: int, seconds: float, threads: int = 1) -> Throughput:
    """Operations per second for ``count`` operations done in ``seconds`` of wall time."""
    # A floor instead of infinity: the figures are written as JSON, which has no inf.
    elapsed = max(seconds, 1e-9)
    return Throughput(count=count, threads=threads, seconds=round(seconds, 3),
                      ops_per_s=round(count / elapsed, 1))
