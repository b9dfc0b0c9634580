"""The model runs on ONNX Runtime by default and gives the same vectors as PyTorch."""

import subprocess
import sys

import numpy as np

from index.ingest.embedding import Embedder
from tests.support import ROOT

TEXTS = ["Why did Erdoğan approve Sweden?", "Trade between Russia and Turkey grew by 80%.",
         "A much longer passage " * 40]


def test_onnx_and_pytorch_give_the_same_vectors(embedder):
    onnx = embedder.embed(TEXTS)
    torch = Embedder(backend="torch", precision="float32").embed(TEXTS)
    assert embedder.running_on == "onnx"
    assert np.abs(onnx - torch).max() < 1e-4
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)


def test_asking_does_not_import_pytorch(seed_index):
    code = ("import sys; from index import BriefingIndex; "
            f"i = BriefingIndex({str(seed_index.backend.index_dir)!r}); "
            "a = i.ask('Why did Erdoğan approve Sweden?'); "
            "print(a.hits[0].paragraphs, 'torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.stdout.strip() == "(15,) False", result.stderr


def test_a_model_that_needs_pytorch_where_it_is_missing_is_one_clear_error(monkeypatch,
                                                                             tmp_path):
    """In the Docker image (ONNX Runtime, no PyTorch) a model other than the bundled one has no
    graphs and cannot build them: it was a ModuleNotFoundError traceback."""
    import pytest

    from index.errors import BriefingError

    def no_graphs(self, precision, spin=True):
        raise BriefingError("building the ONNX graphs failed: No module named 'torch'")

    monkeypatch.setattr(Embedder, "_onnx", no_graphs)
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails
    with pytest.raises(BriefingError, match="PyTorch is not installed") as raised:
        Embedder(cache_dir=tmp_path).embed_query("Why did Erdoğan approve Sweden?")
    assert "\n" not in str(raised.value)


def test_ctrl_c_while_onnx_runtime_opens_its_session_interrupts(monkeypatch, embedder):
    """ONNX Runtime turned a Ctrl-C during its set-up into "initialization failed": the
    command went on, on PyTorch, and exited 0 (seen once in CI's fresh clone)."""
    import signal

    import onnxruntime
    import pytest

    from index.ingest.encoders import OnnxEncoder

    real = onnxruntime.InferenceSession

    def interrupted(*args, **kwargs):
        try:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C arrives while the session is set up
            return real(*args, **kwargs)
        except KeyboardInterrupt:  # as ONNX Runtime reports it
            raise RuntimeError("initialization failed") from None

    monkeypatch.setattr(onnxruntime, "InferenceSession", interrupted)
    graph = embedder.onnx_graphs()["float32"]
    # Ctrl-C as an interactive command line gets it, with Python's own handler: a test run
    # started in the background of a non-interactive shell inherits SIGINT ignored
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            OnnxEncoder(graph, embedder.model_path / "tokenizer.json")
    finally:
        signal.signal(signal.SIGINT, previous)
