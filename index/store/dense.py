"""The dense vector store: passage vectors on disk, searched with FAISS.

The vectors themselves are kept as float16 in `vectors.npy` (memory-mapped when loaded, so a
large index costs little resident memory); they give exact similarities for re-ranking and are
reused as-is by incremental reindexing. The search structure depends on size: an exact
inner-product index up to EXACT_LIMIT passages (rebuilt from the vectors at load, which is as
quick as reading it), and beyond that an HNSW graph over 8-bit quantised vectors, saved beside
them, whose recall@10 against exact search is measured by the benchmarks.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from index.store.files import read_array

EXACT_LIMIT = 10_000  # measured: exact adds 0.8 ms an ask at 10k, 2.1 ms at 20k; HNSW 0.4 ms
HNSW_NEIGHBOURS = 32
HNSW_BUILD_DEPTH = 80
# efSearch, by size, from recall@10 against exact search on synthetic passages with real
# questions (README, "Performance"; 2026-12-05 and 2026-12-02): up to 300k passages 128 (0.975
# at 100k, 0.962 at 300k, where 96 finds only 0.950), and 0.5 ms less of an `ask` at 100k
# than 192; above, 192 (1M: 0.963, against 0.943 at 128). Set at load: no rebuild.
HNSW_SHALLOW_UP_TO = 300_000
HNSW_SEARCH_DEPTH_SHALLOW = 128
HNSW_SEARCH_DEPTH = 192
VECTORS_FILE = "vectors.npy"
GRAPH_FILE = "dense.faiss"
UNIT_TOLERANCE = 0.01  # float16 storage keeps lengths within about 1e-4 of 1


class DenseStore:
    """Nearest-passage search; row i of the store is passage i of the metadata."""

    def __init__(self, vectors: np.ndarray, index: faiss.Index) -> None:
        # A plain view of the memory map: indexing a np.memmap costs Python-level
        # __getitem__/__array_finalize__ calls on every read of an ask.
        self._vectors = np.asarray(vectors)
        self._index = index

    @property
    def kind(self) -> str:
        """"exact" or "hnsw"."""
        return "hnsw" if isinstance(self._index, faiss.IndexHNSW) else "exact"

    @staticmethod
    def write(directory: Path, vectors: np.ndarray, exact_limit: int | None = None) -> str:
        """Save `vectors` (n × d, L2-normalised) and, when large, their HNSW graph; returns the
        kind of search structure used."""
        np.save(directory / VECTORS_FILE, np.asarray(vectors, dtype=np.float16))
        if len(vectors) <= (EXACT_LIMIT if exact_limit is None else exact_limit):
            return "exact"
        faiss.write_index(_hnsw(np.asarray(vectors, dtype=np.float32)),
                          str(directory / GRAPH_FILE))
        return "hnsw"

    @classmethod
    def load(cls, directory: Path) -> DenseStore:
        """Open a store written by `write`."""
        vectors = read_array(directory / VECTORS_FILE, mmap=True)
        if (directory / GRAPH_FILE).exists():
            index = faiss.read_index(str(directory / GRAPH_FILE))  # already the HNSW type
            index.hnsw.efSearch = search_depth(index.ntotal)
        else:
            index = _exact(vectors)
            _check_unit_length(vectors)
        if index.ntotal != len(vectors):
            raise ValueError(f"{index.ntotal} indexed vectors but {len(vectors)} stored")
        return cls(vectors, index)

    def __len__(self) -> int:
        return int(self._vectors.shape[0])

    @property
    def dimension(self) -> int:
        """Vector length."""
        return int(self._vectors.shape[1])

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and similarities of the `k` nearest passages, best first."""
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        # One question gains nothing from FAISS's OpenMP threads, whose spin-waiting fights
        # the question encoder's threads (on 2 cores an `ask` at 20k passages took 16 ms
        # instead of 6). The setting is per OS thread, so it is put back afterwards: the same
        # pool thread may build an HNSW graph for a reindex next.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self._index.search(query.reshape(1, -1).astype(np.float32), k)
        finally:
            faiss.omp_set_num_threads(threads)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def vectors(self, ids: np.ndarray | list[int] | None = None) -> np.ndarray:
        """The stored vectors (float32) of the given rows, all rows when `ids` is None."""
        if ids is None:
            return np.asarray(self._vectors, dtype=np.float32)
        return np.asarray(self._vectors[np.asarray(ids, dtype=np.int64)], dtype=np.float32)


def search_depth(passages: int) -> int:
    """The HNSW search depth (efSearch) for a graph over this many passages."""
    return HNSW_SEARCH_DEPTH_SHALLOW if passages <= HNSW_SHALLOW_UP_TO else HNSW_SEARCH_DEPTH


def _check_unit_length(vectors: np.ndarray) -> None:
    """ValueError unless every vector has length 1, as written: bytes overwritten in place
    keep the file's size and would otherwise be searched, and reused by every later reindex.
    Run where the exact index reads all vectors anyway (a graph's are not all read at load)."""
    for start in range(0, len(vectors), 65_536):
        chunk = np.asarray(vectors[start:start + 65_536], dtype=np.float32)
        lengths = np.sqrt(np.einsum("ij,ij->i", chunk, chunk))
        bad = np.flatnonzero(~(np.abs(lengths - 1) < UNIT_TOLERANCE))  # NaN is bad too
        if len(bad):
            raise ValueError(f"{VECTORS_FILE} row {start + int(bad[0])} is not a unit vector")


def _exact(vectors: np.ndarray) -> faiss.Index:
    index = faiss.IndexFlatIP(vectors.shape[1])
    for start in range(0, len(vectors), 65_536):
        index.add(np.ascontiguousarray(vectors[start:start + 65_536], dtype=np.float32))
    return index


def _hnsw(vectors: np.ndarray) -> faiss.Index:
    index = faiss.IndexHNSWSQ(vectors.shape[1], faiss.ScalarQuantizer.QT_8bit, HNSW_NEIGHBOURS,
                              faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_BUILD_DEPTH
    sample = vectors[np.random.default_rng(0).permutation(len(vectors))[:100_000]]
    index.train(sample)
    for start in range(0, len(vectors), 65_536):
        index.add(vectors[start:start + 65_536])
    return index
