"""The dense store's search and the process-wide state it must leave alone."""

import threading
from pathlib import Path

import faiss
import numpy as np
import pytest

from index.store.dense import DenseStore, _exact, search_depth


def test_search_restores_the_threads_openmp_setting():
    """A question runs FAISS on one thread, but the pool thread that asked may build an HNSW
    graph for a reindex next: it must get its threads back."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(500, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = DenseStore(vectors, _exact(vectors))
    seen: list[tuple[int, list[int]]] = []

    def worker() -> None:
        faiss.omp_set_num_threads(3)
        ids, _ = store.search(vectors[7], 5)
        seen.append((faiss.omp_get_max_threads(), ids.tolist()))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    threads, ids = seen[0]
    assert threads == 3
    assert ids[0] == 7


@pytest.mark.parametrize(("passages", "depth"), [
    (1, 128), (300_000, 128),  # up to 300k passages 128 finds as much, sooner
    (300_001, 192), (1_000_000, 192),  # above, 128 loses recall (0.943 at 1M)
])
def test_search_depth_deepens_above_300k_passages(passages, depth):
    assert search_depth(passages) == depth


def test_a_loaded_graph_searches_at_the_depth_for_its_size(tmp_path: Path):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert DenseStore.write(tmp_path, vectors, exact_limit=0) == "hnsw"
    store = DenseStore.load(tmp_path)
    assert store._index.hnsw.efSearch == search_depth(300) == 128
    assert store.search(vectors[11], 3)[0][0] == 11
