"""The floor: the bare sentence-transformers encoder on the bundled model, no index at all."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from benchmarks.timing import latency_summary, per_second, spread, time_each

BATCH_SIZE = 32
WARMUP_TEXTS = 32


def load_model():
    """The bundled model as a plain SentenceTransformer on the CPU (loaded offline)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    from index.ingest.embedding import bundled_model_path

    transformers_logging.disable_progress_bar()
    return SentenceTransformer(str(bundled_model_path()), device="cpu")


def measure_encoder(texts: Sequence[str], questions: Sequence[str], runs: int = 3) -> dict:
    """Passages/s of `encode(texts, batch_size=32)` in float32 (`runs` times) and one-query
    encode latency.

    The model is loaded and warmed on a few texts first; neither is timed.
    """
    started = time.perf_counter()
    model = load_model()
    load_s = time.perf_counter() - started
    model.encode(list(texts[:WARMUP_TEXTS]), batch_size=BATCH_SIZE, show_progress_bar=False)
    for question in questions[:5]:
        model.encode(question, show_progress_bar=False)

    rates, seconds = [], []
    for _ in range(runs):
        started = time.perf_counter()
        model.encode(list(texts), batch_size=BATCH_SIZE, show_progress_bar=False)
        seconds.append(time.perf_counter() - started)
        rates.append(per_second(len(texts), seconds[-1]))

    queries = time_each(lambda q: model.encode(q, show_progress_bar=False), questions)
    return {"passages": len(texts), "seconds": [round(s, 3) for s in seconds],
            "runs": spread(rates), "passages_per_s": spread(rates)["median"],
            "precision": "float32", "runtime": "torch", "batch_size": BATCH_SIZE,
            "model_load_s": round(load_s, 3), "query_encode": latency_summary(queries)}
