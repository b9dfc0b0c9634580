"""The peer: txtai, hybrid (dense + BM25), on the same model directory and the same texts."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from importlib.metadata import version

from benchmarks.timing import latency_summary, per_second, spread, time_each

K = 3


def measure_txtai(texts: Sequence[str], questions: Sequence[str], warmup: int = 5,
                  runs: int = 3, search_texts: Sequence[str] | None = None) -> dict:
    """txtai ingest passages/s of `texts` and `search(question, 3)` latency (over
    `search_texts`, indexed once more untimed, when given).

    `Embeddings(path=<bundled model>, content=True, hybrid=True)` loads the model when it is
    built; that and a warm-up index of a few texts are not timed, the full `index` call is.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers.utils import logging as transformers_logging
    from txtai import Embeddings

    from index.ingest.embedding import bundled_model_path

    transformers_logging.disable_progress_bar()
    started = time.perf_counter()
    embeddings = Embeddings(path=str(bundled_model_path()), content=True, hybrid=True)
    load_s = time.perf_counter() - started
    embeddings.index([(f"w{i}", t, None) for i, t in enumerate(texts[:32])])

    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        embeddings.index([(str(i), t, None) for i, t in enumerate(texts)])
        seconds = time.perf_counter() - started
        rates.append(per_second(len(texts), seconds))

    if search_texts is not None:  # search a larger set than the timed ingest
        embeddings.index([(str(i), t, None) for i, t in enumerate(search_texts)])
    for question in questions[:warmup]:
        embeddings.search(question, K)
    asks, rounds = [], []
    for _ in range(runs):
        now = time_each(lambda q: embeddings.search(q, K), questions)
        asks += now
        rounds.append({"ask_p50_ms": latency_summary(now)["p50_ms"]})
    return {"passages": embeddings.count(), "seconds": round(seconds, 3),
            "passages_per_s": spread(rates)["median"],
            "runs": spread(rates), "model_load_s": round(load_s, 3),
            "ask": latency_summary(asks), "rounds": rounds, "version": version("txtai"),
            "vectors": type(embeddings.model).__name__,
            "ann": embeddings.config.get("build", {}).get("settings", {}).get("components", "")}
