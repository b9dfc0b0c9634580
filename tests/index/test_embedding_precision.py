"""bfloat16 embedding (on CPUs that have it) must not change what retrieval finds."""

import numpy as np
import pytest

import index.ingest.encoders
from index.errors import BriefingError
from index.ingest.articles import read_article
from index.ingest.embedding import Embedder
from tests.support import ROOT

SEED = read_article(ROOT / "corpus" / "russia-turkiye-israel-hamas-war.md", "seed")
PASSAGES = [SEED.body[start:end] for start, end in SEED.paragraphs]  # the 17 paragraphs


def test_bfloat16_vectors_match_float32():
    assert len(PASSAGES) == 17
    exact_embedder = Embedder(backend="torch", precision="float32")
    fast_embedder = Embedder(backend="torch", precision="bfloat16")
    exact, fast = exact_embedder.embed(PASSAGES), fast_embedder.embed(PASSAGES)
    assert (exact_embedder.bulk_precision, fast_embedder.bulk_precision) == ("float32",
                                                                             "bfloat16")
    assert not np.array_equal(exact, fast)  # bfloat16 really ran
    assert fast.dtype == np.float32
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert (exact * fast).sum(axis=1).min() > 0.9999
    question = exact_embedder.embed_query("Why did Erdoğan approve Sweden's NATO membership?")
    assert np.argsort(-(exact @ question))[:3].tolist() == \
        np.argsort(-(fast @ question))[:3].tolist()


@pytest.mark.parametrize("native", [False, True])
def test_auto_precision_follows_the_cpu(monkeypatch, native):
    monkeypatch.setattr(index.ingest.encoders, "native_bfloat16", lambda: native)
    embedder = Embedder(backend="torch")
    assert embedder.bulk_precision == ("bfloat16" if native else "float32")


def test_a_failing_cpu_probe_means_float32(monkeypatch):
    import torch

    def broken() -> bool:
        raise RuntimeError("no cpuinfo")

    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", broken, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", broken, raising=False)
    assert index.ingest.encoders.native_bfloat16() is False


def test_unknown_precision_is_refused():
    with pytest.raises(BriefingError, match="precision"):
        Embedder(precision="int4")
