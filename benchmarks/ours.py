"""Our side: ingest through the real reindex path, and warm `BriefingIndex.ask` latency."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from benchmarks.timing import latency_summary, peak_rss_mb, per_second, time_each
from index import BriefingIndex
from index.embedding import BULK_FROM, Embedder


class TimedEmbedder(Embedder):
    """The real Embedder, also counting the seconds spent in `embed` and keeping the texts."""

    def __init__(self, model_path: Path | None = None, precision: str = "auto") -> None:
        super().__init__(model_path, precision=precision)
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


def measure_ingest(corpus_dir: Path, index_dir: Path, texts_file: Path | None = None,
                   cache_dir: Path | None = None, precision: str = "auto") -> dict:
    """Passages/s of `BriefingIndex(index_dir).reindex(corpus_dir)` into an empty index.

    The model is loaded and warmed before the clock starts (the encoder floor and txtai get
    the same treatment). `texts_file`, if given, receives the exact texts the model embedded,
    so the floor and txtai can be measured on the same ones; `cache_dir`, if given, keeps
    the vectors for the larger real sets (after the clock stops). `precision` is the
    Embedder's ("auto": bfloat16 where the CPU has it natively).
    """
    embedder = TimedEmbedder(precision=precision)
    embedder.embed(["warm-up"] * 8)  # the question encoder
    embedder.embed(["warm-up"] * (BULK_FROM + 1))  # and the bulk encoder reindexing uses
    embedder.seconds, embedder.texts, embedder.vectors = 0.0, [], []
    index = BriefingIndex(index_dir, embedder=embedder)
    started = time.perf_counter()
    report = index.reindex(corpus_dir)
    seconds = time.perf_counter() - started
    if texts_file is not None:
        Path(texts_file).write_text(json.dumps(embedder.texts, ensure_ascii=False),
                                    encoding="utf-8")
    if cache_dir is not None and embedder.texts:
        from benchmarks.cache import EmbeddingCache

        cache = EmbeddingCache(cache_dir, embedder.fingerprint)
        cache.add(embedder.texts, np.concatenate(embedder.vectors))
        cache.save()
    return {"passages": report.passages, "articles": len(report.added), "embedded":
            report.embedded, "seconds": round(seconds, 3),
            "passages_per_s": per_second(report.passages, seconds),
            "encoder_s": round(embedder.seconds, 3),
            "non_encoder_s": round(seconds - embedder.seconds, 3),
            "non_encoder_share": round(1 - embedder.seconds / seconds, 4) if seconds else None,
            "skipped": len(report.skipped), "backend": backend_of(embedder),
            "bulk_precision": embedder.bulk_precision}


def build_cached(corpus_dir: Path, index_dir: Path, cache_dir: Path,
                 texts_file: Path | None = None) -> dict:
    """Reindex `corpus_dir` through the real path, taking known vectors from the cache.

    `seconds` is the whole reindex; with every vector cached it is the cost of everything
    but the encoder (reading, splitting, FAISS, BM25, SQLite) at this size.
    """
    from benchmarks.cache import CachedEmbedder, EmbeddingCache
    from index.embedding import bundled_model_path, model_fingerprint

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


def measure_ask(index_dir: Path, questions: Sequence[str], warmup: int = 5) -> dict:
    """Warm in-process `ask` latency over `questions`, index load time and peak RSS.

    Also times our own `embed_query` on the same questions (the encoder's part of an ask).
    RSS is read after the model is loaded (`model_rss_mb`) and after all questions
    (`rss_mb`, the process peak), so the index's own share is the difference.
    """
    index = BriefingIndex(index_dir)
    for question in ["warm-up", *questions[:warmup]]:
        index.embedder.embed_query(question)
    model_rss = peak_rss_mb()
    encodes = time_each(index.embedder.embed_query, questions)
    started = time.perf_counter()
    snapshot = index.snapshot()
    load_s = time.perf_counter() - started
    for question in questions[:warmup]:
        index.ask(question)
    answers: list = []
    asks = time_each(lambda q: answers.append(index.ask(q)), questions)
    return {"passages": snapshot.size, "load_s": round(load_s, 3), "ask": latency_summary(asks),
            "query_encode": latency_summary(encodes), "backend": backend_of(index.embedder),
            "answered": sum(a.answered for a in answers), "model_rss_mb": model_rss,
            "rss_mb": peak_rss_mb()}
