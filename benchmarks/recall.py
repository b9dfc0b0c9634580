"""Recall@10 of the HNSW index against exact search, on real passage embeddings.

    python -m benchmarks.recall [--eval-dir ../shared/eval] [--questions 300]

Uses the real passage embeddings the benchmark cached (run `python -m benchmarks` first) and
real SQuAD questions; builds the dense store's HNSW structure over them exactly as a large
index would, and compares its top 10 with exact inner-product search.
"""

from __future__ import annotations

import argparse
import glob
import json
from pathlib import Path

import faiss
import numpy as np

from benchmarks.data import squad_questions
from index.ingest.embedding import Embedder
from index.store.dense import _hnsw, search_depth

ROOT = Path(__file__).resolve().parents[1]


def recall_at_10(vectors: np.ndarray, queries: np.ndarray) -> float:
    """Mean share of the exact top 10 that the HNSW search also returns."""
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    graph = _hnsw(vectors)
    graph.hnsw.efSearch = search_depth(len(vectors))
    _, truth = exact.search(queries, 10)
    _, found = graph.search(queries, 10)
    return float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)]))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.recall")
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".briefing" / "bench-cache")
    args = parser.parse_args()
    [cache] = glob.glob(str(args.cache_dir / "embeddings-*.npz"))
    with np.load(cache) as stored:
        vectors = np.ascontiguousarray(stored["vectors"], dtype=np.float32)
    embedder = Embedder()
    queries = embedder.embed(squad_questions(args.eval_dir, args.questions))
    result = {"passages": len(vectors), "questions": len(queries),
              "hnsw_recall_at_10": round(recall_at_10(vectors, queries), 4)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
