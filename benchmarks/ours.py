"""Our side: ingest through the real reindex path, and warm `BriefingIndex.ask` latency."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from benchmarks.timing import latency_summary, peak_rss_mb, per_second, spread, time_each
from index import BriefingIndex
from index.ingest.embedding import BULK_FROM, Embedder


class TimedEmbedder(Embedder):
    """The real Embedder, also counting the seconds spent in `embed` and keeping the texts."""

    def __init__(self, model_path: Path | None = None, precision: str = "auto",
                 backend: str = "auto") -> None:
        super().__init__(model_path, precision=precision, backend=backend)
        self.seconds = 0.0
        self.texts: list[str] = []
        self.vectors: list[np.ndarray] = []

    def embed(self, texts: Sequence[str],
              progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Embed as usual, timing the call."""
        started = time.perf_counter()
        vectors = super().embed(texts, progress)
        self.seconds += time.perf_counter() - started
        self.texts.extend(texts)
        self.vectors.append(vectors)
        return vectors


def measure_ingest(corpus_dir: Path, index_dir: Path | str, texts_file: Path | None = None,
                   cache_dir: Path | None = None, precision: str = "auto",
                   backend: str = "auto", runs: int = 3,
                   locations: Sequence[str] | None = None) -> dict:
    """Passages/s of `BriefingIndex(dir).reindex(corpus_dir)` into an empty index, `runs` times.

    The model is loaded and warmed before the clock starts (the encoder floor and txtai get
    the same treatment), then each run reindexes into a fresh folder. `texts_file`, if given,
    receives the exact texts the model embedded, so the floor and txtai can be measured on
    the same ones; `cache_dir`, if given, keeps the vectors for the larger real sets (after
    the clocks stop). `precision` and `backend` are the Embedder's. `locations`, if given,
    are the empty index of each run instead (database URLs: one fresh database per run).
    """
    embedder = TimedEmbedder(precision=precision, backend=backend)
    embedder.embed(["warm-up"] * 8)  # the question encoder
    embedder.embed(["warm-up"] * (BULK_FROM + 1))  # and the bulk encoder reindexing uses
    rates, encoder_s, totals = [], [], []
    for run in range(runs):
        embedder.seconds, embedder.texts, embedder.vectors = 0.0, [], []
        if locations:
            folder: Path | str = locations[run]
        else:
            folder = Path(index_dir) if run == runs - 1 else Path(f"{index_dir}-run{run}")
        index = BriefingIndex(folder, embedder=embedder)
        started = time.perf_counter()
        report = index.reindex(corpus_dir)
        seconds = time.perf_counter() - started
        rates.append(per_second(report.passages, seconds))
        encoder_s.append(embedder.seconds)
        totals.append(seconds)
    if texts_file is not None:
        Path(texts_file).write_text(json.dumps(embedder.texts, ensure_ascii=False),
                                    encoding="utf-8")
    if cache_dir is not None and embedder.texts:
        from benchmarks.cache import EmbeddingCache

        cache = EmbeddingCache(cache_dir, embedder.fingerprint)
        cache.add(embedder.texts, np.concatenate(embedder.vectors))
        cache.save()
    encoder, total = sum(encoder_s), sum(totals)
    return {"passages": report.passages, "articles": len(report.added), "embedded":
            report.embedded, "runs": spread(rates), "passages_per_s": spread(rates)["median"],
            "seconds": [round(t, 3) for t in totals],
            "encoder_passages_per_s": per_second(report.embedded * runs, encoder),
            "non_encoder_share": round(1 - encoder / total, 4) if total else None,
            "skipped": len(report.skipped), "backend": backend_of(embedder),
            "bulk_runtime": embedder.bulk_runtime, "bulk_precision": embedder.bulk_precision,
            "batch_size": embedder.batch_size}


def build_cached(corpus_dir: Path, index_dir: Path | str, cache_dir: Path,
                 texts_file: Path | None = None) -> dict:
    """Reindex `corpus_dir` through the real path, taking known vectors from the cache.

    `seconds` is the whole reindex; with every vector cached it is the cost of everything
    but the encoder (reading, splitting, FAISS, BM25, SQLite) at this size.
    """
    from benchmarks.cache import CachedEmbedder, EmbeddingCache
    from index.ingest.embedding import bundled_model_path, model_fingerprint

    cache = EmbeddingCache(cache_dir, model_fingerprint(bundled_model_path()))
    embedder = CachedEmbedder(cache)
    embedder.embed(["warm-up"])  # loads the model
    embedder.hits = embedder.misses = 0
    embedder.texts = []
    started = time.perf_counter()
    report = BriefingIndex(index_dir, embedder=embedder).reindex(corpus_dir, _PrintProgress())
    seconds = time.perf_counter() - started
    cache.save()
    if texts_file is not None:
        Path(texts_file).write_text(json.dumps(embedder.texts, ensure_ascii=False),
                                    encoding="utf-8")
    return {"passages": report.passages, "articles": len(report.added),
            "seconds": round(seconds, 3), "cache_hits": embedder.hits,
            "cache_misses": embedder.misses, "skipped": len(report.skipped),
            "backend": backend_of(embedder)}


class _PrintProgress:
    """Embedding progress on stderr at every tenth (only cache misses are embedded)."""

    def __init__(self) -> None:
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if tenth > self.shown:
            self.shown = tenth
            print(f"  embedded {done}/{total} uncached passages", file=sys.stderr, flush=True)


def backend_of(embedder: Embedder) -> str:
    """What runs the model inside our Embedder ("onnx", "torch"), if it says."""
    return str(getattr(embedder, "running_on", "torch"))


def measure_ask(index_dir: Path | str, questions: Sequence[str], warmup: int = 5,
                rounds: int = 3) -> dict:
    """Warm in-process `ask` latency over `questions` (`rounds` times), load time, peak RSS.

    Each round times our own `embed_query` on every question (the encoder's part of an ask),
    then `ask` on every question; `ask` and `query_encode` are the latencies of all rounds,
    `rounds` the p50 of each. `encode_in_ask` times the same `embed_query` as `ask` calls it:
    after the rest of the previous ask rather than back to back, it runs slower (the README's
    performance section says by how much), and that share of `ask` is the encoder's too.
    RSS is read after the model is loaded (`model_rss_mb`) and
    after all questions (`rss_mb`, the process peak while serving, before the recall check
    below reads every stored vector), so the index's share is the difference.
    At sizes searched with HNSW (FAISS's above its exact limit, pgvector's always),
    `hnsw_recall_at_10` compares its top 10 with exact search. `index_dir` may be a database
    URL.
    """
    index = BriefingIndex(index_dir)
    for question in ["warm-up", *questions[:warmup]]:
        index.embedder.embed_query(question)
    model_rss = peak_rss_mb()
    started = time.perf_counter()
    snapshot = index.snapshot()
    load_s = time.perf_counter() - started
    for question in questions[:warmup]:
        index.ask(question)
    answers: list = []
    asks, encodes, inside, per_round = [], [], [], []
    for _ in range(rounds):
        encodes_now = time_each(index.embedder.embed_query, questions)
        answers.clear()
        with _timing_encodes(index.embedder) as inside_now:
            asks_now = time_each(lambda q: answers.append(index.ask(q)), questions)
        encodes += encodes_now
        asks += asks_now
        inside += inside_now
        per_round.append({"ask_p50_ms": latency_summary(asks_now)["p50_ms"],
                          "encode_p50_ms": latency_summary(encodes_now)["p50_ms"],
                          "encode_in_ask_p50_ms": latency_summary(inside_now)["p50_ms"]})
    serving_rss = peak_rss_mb()  # before the recall check reads every stored vector
    recall = None
    if "hnsw" in snapshot.dense.kind:
        ids = [i for _, owned in snapshot.metadata.article_passages().values() for i in owned]
        recall = hnsw_recall_at_10(snapshot.dense, np.asarray(ids, dtype=np.int64), np.stack(
            [index.embedder.embed_query(q) for q in questions]))
    return {"passages": snapshot.size, "load_s": round(load_s, 3), "ask": latency_summary(asks),
            "query_encode": latency_summary(encodes),
            "encode_in_ask": latency_summary(inside), "rounds": per_round,
            "backend": backend_of(index.embedder), "dense": snapshot.dense.kind,
            "hnsw_recall_at_10": recall, "answered": sum(a.answered for a in answers),
            "model_rss_mb": model_rss, "rss_mb": serving_rss,
            "rss_mb_after_recall_check": peak_rss_mb()}


@contextmanager
def _timing_encodes(embedder: Embedder) -> Iterator[list[float]]:
    """Seconds of each `embedder.embed_query` call made inside the block."""
    seconds: list[float] = []
    encode = embedder.embed_query

    def timed(text: str) -> np.ndarray:
        started = time.perf_counter()
        try:
            return encode(text)
        finally:
            seconds.append(time.perf_counter() - started)

    embedder.embed_query = timed  # an instance attribute: only this embedder is timed
    try:
        yield seconds
    finally:
        del embedder.embed_query


def hnsw_recall_at_10(dense, ids: np.ndarray, queries: np.ndarray) -> float:
    """Mean share of the exact top 10 (cosine over the stored vectors of every passage id in
    `ids`) that the store's own HNSW search returns, over `queries` (one search each, as
    `ask` does)."""
    vectors = dense.vectors(ids)
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    hits = []
    for query in queries:
        truth = exact_top_ids(vectors, ids, query, 10)
        found, _ = dense.search(query, 10)
        hits.append(len(set(truth.tolist()) & set(found.tolist())) / 10)
    return round(float(np.mean(hits)), 4)


def exact_top_ids(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int
                  ) -> np.ndarray:
    """The ids of the `k` rows of `vectors` with the highest inner product with `query`."""
    scores = vectors @ np.asarray(query, dtype=np.float32).ravel()
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(ids)[np.argpartition(-scores, k - 1)[:k]]
