"""Timing helpers: percentiles, latency summaries, ratios and peak memory."""

from __future__ import annotations

import math
import resource
import sys
import time
from collections.abc import Callable, Iterable, Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0-100) with linear interpolation, as numpy's default does."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0-100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency_summary(seconds: Sequence[float]) -> dict:
    """p50, p99 and mean in milliseconds (rounded to 0.01) and the number of samples."""
    return {"p50_ms": round(percentile(seconds, 50) * 1000, 2),
            "p99_ms": round(percentile(seconds, 99) * 1000, 2),
            "mean_ms": round(sum(seconds) / len(seconds) * 1000, 2),
            "n": len(seconds)}


def time_each(function: Callable[[str], object], items: Iterable[str]) -> list[float]:
    """Wall seconds of `function(item)` for each item, one call at a time."""
    durations = []
    for item in items:
        start = time.perf_counter()
        function(item)
        durations.append(time.perf_counter() - start)
    return durations


def ratio(numerator: float | None, denominator: float | None, digits: int = 3) -> float | None:
    """numerator / denominator rounded, or None when either is missing or the divisor is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return round(numerator / denominator, digits)


def per_second(count: int, seconds: float) -> float:
    """Items per second, rounded to 0.1."""
    return round(count / seconds, 1) if seconds > 0 else float("inf")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (stdlib `resource`)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return round(peak * scale / 2**20, 1)


def spread(values: Sequence[float], digits: int = 3) -> dict:
    """Median, min and max of repeated measurements, and the values themselves."""
    if not values:
        raise ValueError("spread of no values")
    return {"median": round(percentile(values, 50), digits), "min": round(min(values), digits),
            "max": round(max(values), digits), "n": len(values),
            "values": [round(v, digits) for v in values]}
