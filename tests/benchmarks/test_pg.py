"""The PostgreSQL column: locations, recall by passage id, identical corpora, plan, summary."""

from pathlib import Path

import numpy as np
import pytest

from benchmarks.__main__ import QUICK_POSTGRES_LARGE, make_plan, parse_args
from benchmarks.ours import exact_top_ids, hnsw_recall_at_10
from benchmarks.pg import database_url, is_url, location
from benchmarks.report import summarize_postgres
from benchmarks.synthetic import Seeds, synthesize
from tests.postgres import fresh_database


def test_database_url_keeps_the_socket_directory_and_user():
    server = "postgresql://postgres:@/postgres?host=/tmp/x/postgres/data"
    assert database_url(server, "bench_2k") == \
        "postgresql://postgres:@/bench_2k?host=/tmp/x/postgres/data"
    assert database_url("postgresql://u:p@db:5433/app", "bench_100k") == \
        "postgresql://u:p@db:5433/bench_100k"
    with pytest.raises(ValueError):
        database_url(server, "x; DROP DATABASE y")


def test_a_url_stays_a_string_and_a_folder_becomes_a_path():
    assert location("postgresql://postgres:@/b?host=/tmp/s") == "postgresql://postgres:@/b?host=/tmp/s"
    assert is_url("postgresql://h/db") and not is_url("/tmp/index-2k")
    assert location("/tmp/index-2k") == Path("/tmp/index-2k")


class _Dense:
    """A store whose ids are not row numbers and whose search misses one of the top 10."""

    def __init__(self, vectors, ids):
        self._by_id = dict(zip(ids.tolist(), vectors, strict=True))
        self._vectors, self._ids = vectors, ids

    def vectors(self, ids):
        return np.stack([self._by_id[int(i)] for i in ids]) * 3.0  # unnormalised, as halfvec

    def search(self, query, k):
        top = exact_top_ids(self._vectors, self._ids, query, k + 1)
        scores = self._vectors[np.searchsorted(self._ids, top)] @ query
        ordered = top[np.argsort(-scores)]
        return np.concatenate([ordered[:k - 1], ordered[k:k + 1]]), None  # drops the 10th


def test_recall_compares_passage_ids_not_rows():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(200, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.sort(rng.choice(10**12, size=200, replace=False)).astype(np.int64)
    queries = rng.normal(size=(5, 8)).astype(np.float32)
    assert hnsw_recall_at_10(_Dense(vectors, ids), ids, queries) == pytest.approx(0.9)
    top = exact_top_ids(vectors, ids, queries[0], 3)
    assert set(top.tolist()) == set(ids[np.argsort(-(vectors @ queries[0]))[:3]].tolist())


def _seeds() -> Seeds:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(3, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return Seeds(["The Normans were a people. They gave their name to Normandy.",
                  "Oxygen is a chemical element. It has the symbol O.",
                  "Kenya is in East Africa. Its capital is Nairobi."],
                 ["Normans", "Oxygen", "Kenya"], vectors)


def test_the_same_seed_gives_the_same_corpus_and_another_seed_another(tmp_path):
    one = synthesize(tmp_path / "a", 45, _seeds(), seed=3)
    two = synthesize(tmp_path / "b", 45, _seeds(), seed=3)
    other = synthesize(tmp_path / "c", 45, _seeds(), seed=4)
    assert one["digest"] == two["digest"] != other["digest"]


def test_synthesize_writes_the_same_corpus_into_postgres(tmp_path, postgres_url):
    from index import BriefingIndex

    local = synthesize(tmp_path / "index", 45, _seeds(), seed=3)
    url = fresh_database(postgres_url)
    remote = synthesize(url, 45, _seeds(), seed=3)
    assert remote["digest"] == local["digest"] and remote["passages"] == 45
    snapshot = BriefingIndex(url).snapshot()
    assert snapshot.size == 45 and "hnsw" in snapshot.dense.kind


def test_quick_leaves_the_large_postgres_size_to_the_full_run(tmp_path):
    plan = make_plan(parse_args(["--quick"]), tmp_path)
    assert 2000 in plan.postgres_sizes
    if not QUICK_POSTGRES_LARGE:
        assert 100_000 not in plan.postgres_sizes and "100k" in plan.postgres_skipped
    full = make_plan(parse_args([]), tmp_path)
    assert full.postgres_sizes == [2000, 100_000] and not full.postgres_skipped
    only = make_plan(parse_args(["--quick", "--postgres-only"]), tmp_path)
    assert only.postgres_sizes == [2000, 100_000] and only.postgres_only
    assert make_plan(parse_args(["--postgres-sizes"]), tmp_path).postgres_sizes == []


def _ask(p50, p99, encode, recall=None):
    return {"ask": {"p50_ms": p50, "p99_ms": p99}, "answered": 7, "rss_mb": 300.0,
            "hnsw_recall_at_10": recall, "rounds": [{"ask_p50_ms": p50, "encode_p50_ms": encode}]}


def test_summary_puts_postgres_beside_faiss():
    runs = {"values": [100.0, 120.0], "median": 110.0}
    results = {
        "ingest": {"runs": runs, "passages_per_s": 110.0},
        "sizes": {"2k": {"kind": "real", "build": {"seconds": 1.0}, "ask": _ask(4.0, 8.0, 2.0)},
                  "100k": {"kind": "synthetic", "build": {"digest": "ab", "write_s": 50.0},
                           "ask": _ask(5.0, 9.0, 2.0, 0.97)}},
        "postgres": {
            "server": {"server": "18.6"}, "not_measured": {},
            "ingest": {"runs": {"values": [50.0, 90.0], "median": 70.0}, "passages_per_s": 70.0,
                       "bulk_runtime": "onnx", "bulk_precision": "int8", "passages": 1036},
            "sizes": {"2k": {"kind": "real", "build": {"seconds": 3.0, "cache_hits": 10,
                                                       "cache_misses": 0},
                             "ask": _ask(12.0, 20.0, 2.0, 1.0), "database_mb": 20.0},
                      "100k": {"kind": "synthetic", "build": {"digest": "ab", "write_s": 90.0},
                               "ask": _ask(30.0, 60.0, 2.0, 0.99), "database_mb": 900.0}}}}
    pg = summarize_postgres(results)
    assert pg["ingest_passages_per_s"] == 70.0
    assert pg["ingest_vs_faiss"] == pytest.approx(0.625)  # median of 0.5 and 0.75
    assert pg["ask_ms_p50"] == {"2k": 12.0, "100k": 30.0}
    assert pg["ask_ms_p99"] == {"2k": 20.0, "100k": 60.0}
    assert pg["ask_p50_vs_faiss"] == {"2k": 3.0, "100k": 6.0}
    assert pg["hnsw_recall10_100k"] == 0.99 and pg["faiss_hnsw_recall10"]["100k"] == 0.97
    assert pg["identical_data"]["100k"] is True
    assert pg["build_s"] == {"2k": 3.0, "100k": 90.0}
    assert summarize_postgres({"postgres": {"skipped": "psycopg not installed"}}) == \
        {"skipped": "psycopg not installed"}
    assert summarize_postgres({"sizes": {}}) is None
