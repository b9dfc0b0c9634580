"""The dense store's search and the process-wide state it must leave alone."""

import threading

import faiss
import numpy as np

from index.store.dense import DenseStore, _exact


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
