"""A cache of passage embeddings between benchmark runs, keyed by a hash of each text.

Embedding ~20k real passages takes minutes on two cores; the 20k point reuses vectors the
model already produced for the same text (same model fingerprint) and embeds only the rest.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index.ingest.embedding import Embedder

KEY_BYTES = 20


def text_key(text: str) -> bytes:
    """The cache key of one text: its SHA-1 digest (`KEY_BYTES` bytes)."""
    return hashlib.sha1(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Vectors by text for one model, stored as `embeddings-<fingerprint>.npz` in a folder."""

    def __init__(self, directory: Path, fingerprint: str) -> None:
        self.path = Path(directory) / f"embeddings-{fingerprint}.npz"
        self._rows: dict[bytes, int] = {}
        self._vectors = np.zeros((0, 0), dtype=np.float32)
        self._added: list[tuple[bytes, np.ndarray]] = []
        if self.path.is_file():
            with np.load(self.path) as stored:
                keys, self._vectors = stored["keys"], stored["vectors"]
            self._rows = {k.tobytes(): i for i, k in enumerate(keys)}

    def __len__(self) -> int:
        return len(self._rows) + len(self._added)

    def lookup(self, texts: Sequence[str]) -> tuple[dict[int, np.ndarray], list[int]]:
        """Vectors found (by position in `texts`) and the positions not in the cache."""
        pending = {k: v for k, v in self._added}
        found: dict[int, np.ndarray] = {}
        missing: list[int] = []
        for i, text in enumerate(texts):
            key = text_key(text)
            if key in self._rows:
                found[i] = self._vectors[self._rows[key]]
            elif key in pending:
                found[i] = pending[key]
            else:
                missing.append(i)
        return found, missing

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Remember `vectors[i]` as the embedding of `texts[i]` (saved by `save`)."""
        self._added.extend((text_key(t), np.asarray(v, dtype=np.float32))
                           for t, v in zip(texts, vectors, strict=True))

    def save(self) -> None:
        """Write the cache file (atomically) if anything was added since loading."""
        if not self._added:
            return
        fresh = dict(self._added)
        keys = list(self._rows) + [k for k in fresh if k not in self._rows]
        rows = [self._vectors[self._rows[k]] if k in self._rows else fresh[k] for k in keys]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial.npz")
        # Raw bytes (n × 20 uint8): a fixed-width bytes dtype would drop trailing NUL bytes.
        raw = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), KEY_BYTES)
        np.savez(partial, keys=raw, vectors=np.stack(rows))
        os.replace(partial, self.path)


class CachedEmbedder(Embedder):
    """The real Embedder, answering from an EmbeddingCache first and embedding only misses."""

    def __init__(self, cache: EmbeddingCache, model_path: Path | None = None) -> None:
        super().__init__(model_path)
        self.cache = cache
        self.hits = 0
        self.misses = 0
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str],
              progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Cached vectors where known, the model's for the rest (added to the cache)."""
        found, missing = self.cache.lookup(texts)
        self.texts.extend(texts)
        self.hits += len(found)
        self.misses += len(missing)
        if missing:
            fresh = super().embed([texts[i] for i in missing], progress)
            self.cache.add([texts[i] for i in missing], fresh)
            found.update(zip(missing, fresh, strict=True))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[i] for i in range(len(texts))]).astype(np.float32)
