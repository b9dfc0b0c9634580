"""The dense vector store: a FAISS inner-product index over normalised passage vectors."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np


class DenseStore:
    """Exact inner-product search; row i of the store is passage i of the metadata."""

    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray) -> DenseStore:
        """A store holding `vectors` (n × d, float32, L2-normalised)."""
        index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> DenseStore:
        """Read a store saved with `save`."""
        return cls(faiss.read_index(str(path)))

    def save(self, path: Path) -> None:
        """Write the store to one file."""
        faiss.write_index(self._index, str(path))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        """Vector length."""
        return int(self._index.d)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and cosine similarities of the `k` nearest passages, best first."""
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, ids = self._index.search(query.reshape(1, -1).astype(np.float32), k)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def vectors(self, ids: np.ndarray | list[int] | None = None) -> np.ndarray:
        """The stored vectors of the given rows (all rows when `ids` is None)."""
        if ids is None:
            return self._index.reconstruct_n(0, len(self)) if len(self) else np.zeros(
                (0, self.dimension), dtype=np.float32)
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._index.reconstruct_batch(ids)
