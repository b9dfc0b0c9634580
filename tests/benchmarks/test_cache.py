"""The embedding cache: keyed by text, kept in one file, merged on save."""

import numpy as np

from benchmarks.cache import EmbeddingCache, text_key


def test_cache_round_trip_and_merge(tmp_path):
    cache = EmbeddingCache(tmp_path, "abc")
    assert len(cache) == 0
    cache.add(["one", "two"], np.array([[1, 0], [0, 1]], dtype=np.float32))
    found, missing = cache.lookup(["two", "three"])
    assert missing == [1] and np.array_equal(found[0], [0, 1])
    cache.save()

    again = EmbeddingCache(tmp_path, "abc")
    assert len(again) == 2
    again.add(["three", "one"], np.array([[2, 2], [9, 9]], dtype=np.float32))
    again.save()

    final = EmbeddingCache(tmp_path, "abc")
    found, missing = final.lookup(["one", "two", "three", "four"])
    assert missing == [3]
    assert np.array_equal(found[0], [1, 0])  # the first vector stored for a text is kept
    assert np.array_equal(found[2], [2, 2])
    assert EmbeddingCache(tmp_path, "other-model").lookup(["one"])[1] == [0]


def test_keys_ending_in_a_zero_byte_survive_saving(tmp_path):
    texts = [t for t in (f"text {i}" for i in range(5000)) if text_key(t).endswith(b"\0")][:2]
    assert len(texts) == 2
    cache = EmbeddingCache(tmp_path, "abc")
    cache.add(texts, np.ones((2, 3), dtype=np.float32))
    cache.save()
    assert EmbeddingCache(tmp_path, "abc").lookup(texts)[1] == []
