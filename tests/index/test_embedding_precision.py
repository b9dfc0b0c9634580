"""bfloat16 embedding (on CPUs that have it) must not change what retrieval finds."""

import numpy as np
import pytest

from index.embedding import Embedder
from index.errors import BriefingError
from tests.support import SHARED

PASSAGES = [line for line in (SHARED / "seed" / "article.txt").read_text(encoding="utf-8")
            .split("\n\n") if line.strip()]


def test_bfloat16_vectors_match_float32():
    exact = Embedder(backend="torch", precision="float32").embed(PASSAGES)
    fast = Embedder(backend="torch", precision="bfloat16").embed(PASSAGES)
    assert fast.dtype == np.float32
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert (exact * fast).sum(axis=1).min() > 0.999
    question = Embedder(backend="torch", precision="float32").embed_query(
        "Why did Erdoğan approve Sweden's NATO membership?")
    assert np.argsort(-(exact @ question))[:3].tolist() == \
        np.argsort(-(fast @ question))[:3].tolist()


def test_unknown_precision_is_refused():
    with pytest.raises(BriefingError, match="precision"):
        Embedder(precision="int4")
