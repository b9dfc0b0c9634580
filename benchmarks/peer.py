"""The peer: txtai, hybrid (dense + BM25), on the same model directory and the same texts."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from benchmarks.timing import latency_summary, per_second, spread, time_each

K = 3


def measure_txtai(texts: Sequence[str], questions: Sequence[str], warmup: int = 5,
                  runs: int = 3, search_texts: Sequence[str] | None = None,
                  cache_dir: Path | None = None) -> dict:
    """txtai ingest passages/s of `texts` and `search(question, 3)` latency (over
    `search_texts`, indexed once more untimed, when given).

    `Embeddings(path=<bundled model>, content=True, hybrid=True)` loads the model when it is
    built; that and a warm-up index of a few texts are not timed, the full `index` call is.
    The untimed index of `search_texts` is saved in `cache_dir` and loaded by later runs (on 2
    cores it was the longest step of a quick run, ~2 minutes on an AVX2-only CPU): the same
    texts, txtai version and model give the same index, and search is timed on it either way.
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

    search_index = "the timed ingest's"
    if search_texts is not None:  # search a larger set than the timed ingest
        search_index = _search_index(embeddings, search_texts, cache_dir)
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
            "ann": embeddings.config.get("build", {}).get("settings", {}).get("components", ""),
            "search_index": search_index}


def _search_index(embeddings, texts: Sequence[str], cache_dir: Path | None) -> str:
    """Make `embeddings` hold `texts`, from the cache when it has them; says which."""
    from index.ingest.embedding import bundled_model_path, model_fingerprint

    if cache_dir is None:
        embeddings.index([(str(i), t, None) for i, t in enumerate(texts)])
        return "built"
    # the model's folder too: the saved index names it, and loads it from there
    key = hashlib.sha256(json.dumps(
        [version("txtai"), model_fingerprint(bundled_model_path()), embeddings.config.get(
            "path"), embeddings.config.get("hybrid"), list(texts)],
        ensure_ascii=False).encode()).hexdigest()[:16]
    saved = Path(cache_dir) / f"txtai-search-{key}"
    if (saved / "config.json").is_file() or (saved / "config").is_file():
        embeddings.load(str(saved))
        if embeddings.count() == len(texts):
            return "loaded from the benchmark cache"
    embeddings.index([(str(i), t, None) for i, t in enumerate(texts)])
    # txtai writes its config first: a run stopped mid-save must not leave a folder that
    # looks whole, so the index is saved beside it and moved into place once complete
    partial = saved.with_name(f"{saved.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    embeddings.save(str(partial))
    shutil.rmtree(saved, ignore_errors=True)
    partial.rename(saved)
    return "built (and saved to the benchmark cache)"
