"""Percentiles, latency summaries, ratios and size labels of the benchmark runner."""

import numpy as np
import pytest

from benchmarks.runner import parse_size, size_label
from benchmarks.timing import latency_summary, per_second, percentile, ratio


@pytest.mark.parametrize("q", [0, 1, 25, 50, 90, 99, 100])
def test_percentile_matches_numpy_linear(q):
    values = [0.013, 0.002, 0.5, 0.021, 0.009, 0.011, 0.3]
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_rejects_nothing_and_out_of_range():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_latency_summary_in_milliseconds():
    summary = latency_summary([0.010] * 99 + [1.0])
    assert summary["p50_ms"] == 10.0
    assert 10.0 < summary["p99_ms"] < 1000.0
    assert summary["n"] == 100
    assert summary["mean_ms"] == pytest.approx(19.9)


def test_ratio_and_rate_handle_missing_values():
    assert ratio(3.0, 2.0) == 1.5
    assert ratio(None, 2.0) is None
    assert ratio(1.0, 0) is None
    assert per_second(100, 4.0) == 25.0


@pytest.mark.parametrize("text,size,label", [
    ("2k", 2_000, "2k"), ("20K", 20_000, "20k"), ("100k", 100_000, "100k"),
    ("1M", 1_000_000, "1M"), ("1500", 1_500, "1.5k"), ("999", 999, "999"),
    ("2.5m", 2_500_000, "2.5M")])
def test_sizes_parse_and_label(text, size, label):
    assert parse_size(text) == size
    assert size_label(size) == label


def test_bad_size_is_refused():
    with pytest.raises(ValueError):
        parse_size("lots")
