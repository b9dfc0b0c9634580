"""The two ways to run the model: ONNX Runtime (fast to start and to run) or PyTorch.

Both produce the same normalised mean-pooled vectors (in float32 they agree to about 1e-6;
PyTorch in bfloat16 keeps a cosine above 0.9999, the int8 ONNX graph about 0.994); the ONNX
graphs are built once from the bundled weights by `index.ingest.onnx_export`, offline.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.errors import BriefingError

MAX_TOKENS = 256


class OnnxEncoder:
    """tokenizers + onnxruntime: no PyTorch import. `precision` names the graph's arithmetic."""

    def __init__(self, onnx_file: Path, tokenizer_file: Path, precision: str = "float32",
                 spin: bool = True) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        if not spin:  # idle worker threads sleep instead of spinning: the event loop gets a core
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        with _interrupt_afterwards():
            self._session = onnxruntime.InferenceSession(str(onnx_file), options,
                                                         providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()
        self.dimension = int(self._session.get_outputs()[0].shape[-1])
        self.precision = precision

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised embeddings of one batch."""
        encodings = self._tokenizer.encode_batch(list(texts))
        feed = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        return self._session.run(None, feed)[0].astype(np.float32, copy=False)


@contextmanager
def _interrupt_afterwards() -> Iterator[None]:
    """Ctrl-C during the block is raised once it is over. ONNX Runtime turned a Ctrl-C while
    it opened a session into "initialization failed", and `briefing` went on, on PyTorch."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield  # only the main thread handles signals; an ignored Ctrl-C stays ignored
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:  # also when the set-up failed because of it (an interrupted system call)
            raise KeyboardInterrupt  # noqa: B012 - the interrupt is what the user asked for


class TorchEncoder:
    """sentence-transformers on PyTorch: batches of passages, or everything without ONNX Runtime.

    With `bfloat16` the matrix products run in bfloat16 under autocast (weights stay float32).
    On a CPU with native bfloat16 (AVX512-BF16 or AMX) that is ~2.4x faster, and the vectors
    keep a cosine above 0.9999 to the float32 ones; without it bfloat16 is emulated and slow.
    """

    def __init__(self, model_path: Path, bfloat16: bool = False) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # weights are local, never fetched
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        try:
            self._model = SentenceTransformer(str(model_path), device="cpu")
        except (ValueError, OSError, KeyError) as err:  # a config.json of something else
            reason = " ".join(str(err).split())[:300]
            raise BriefingError(f"{model_path} is not a usable sentence-transformers model "
                                f"({reason})") from None
        self.dimension = int(self._model.get_embedding_dimension())
        self.bfloat16 = bfloat16
        self.precision = "bfloat16" if bfloat16 else "float32"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised float32 embeddings of one batch."""
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bfloat16):
            vectors = self._model.encode(list(texts), batch_size=len(texts),
                                         convert_to_numpy=True, show_progress_bar=False)
        vectors = vectors.astype(np.float32, copy=False)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def cpu_has_bfloat16() -> bool:
    """Whether /proc/cpuinfo lists AVX512-BF16 or AMX-BF16 (no PyTorch import; Linux only)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    flags = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[-1].split())
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def native_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX), as PyTorch sees it."""
    import torch

    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        check = getattr(torch.cpu, probe, None)  # private in torch 2.x: absent means "no"
        try:
            if check is not None and check():
                return True
        except Exception:  # noqa: BLE001 - a failing probe only means float32
            continue
    return False
