"""Our side of the benchmarks, on the real bundled model and the seed index."""

from benchmarks.ours import measure_ask

QUESTIONS = ["Why did Erdoğan approve Sweden?", "What did Russia withdraw from?",
             "How much did trade between Russia and Turkey grow?"]


def test_ask_timing_also_times_the_encode_each_ask_makes(seed_index):
    result = measure_ask(seed_index.location, QUESTIONS, warmup=1, rounds=2)
    inside = result["encode_in_ask"]
    assert inside["n"] == result["ask"]["n"] == 6  # one encode per ask, every ask timed
    assert 0 < inside["p50_ms"] <= result["ask"]["p50_ms"]  # the encode is part of the ask
    assert all(r["encode_in_ask_p50_ms"] > 0 for r in result["rounds"])
    assert result["answered"] == len(QUESTIONS)
