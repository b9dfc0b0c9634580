"""The ONNX Runtime paths: fused float32 and per-channel int8 graphs, chosen by precision."""

import numpy as np
import pytest

from index.errors import BriefingError
from index.ingest.articles import read_article
from index.ingest.embedding import BULK_FROM, Embedder, batches
from tests.support import ROOT

SEED = read_article(ROOT / "corpus" / "russia-turkiye-israel-hamas-war.md", "seed")
PASSAGES = [SEED.body[start:end] for start, end in SEED.paragraphs]  # the 17 paragraphs
BULK = PASSAGES * (BULK_FROM // len(PASSAGES) + 1)  # enough texts to take the bulk path


def test_graphs_are_fused_and_quantised(embedder):
    import onnx

    graphs = embedder.onnx_graphs()
    fused = {node.op_type for node in onnx.load(str(graphs["float32"])).graph.node}
    assert {"Attention", "SkipLayerNormalization", "EmbedLayerNormalization"} <= fused
    quantised = {node.op_type for node in onnx.load(str(graphs["int8"])).graph.node}
    assert {"QAttention", "DynamicQuantizeLinear", "MatMulInteger"} & quantised
    assert graphs["int8"].stat().st_size < 0.7 * graphs["float32"].stat().st_size


@pytest.mark.parametrize(("precision", "runtime", "bulk"), [
    ("auto", "onnx", "int8"), ("int8", "onnx", "int8"), ("float32", "onnx", "float32")])
def test_each_setting_names_its_bulk_path(precision, runtime, bulk):
    embedder = Embedder(precision=precision)
    assert (embedder.running_on, embedder.bulk_runtime, embedder.bulk_precision) == \
        ("onnx", runtime, bulk)


def test_int8_vectors_stay_close_to_float32_and_rank_alike(embedder):
    exact = Embedder(precision="float32").embed(BULK)[:len(PASSAGES)]
    fast = embedder.embed(BULK)[:len(PASSAGES)]  # the shipped default: int8
    assert embedder.bulk_precision == "int8"
    assert not np.array_equal(exact, fast)  # int8 really ran
    assert fast.dtype == np.float32
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cosine = (exact * fast).sum(axis=1)
    assert cosine.mean() > 0.99 and cosine.min() > 0.98
    question = embedder.embed_query("Why did Erdoğan approve Sweden's NATO membership?")
    assert np.argsort(-(exact @ question))[:3].tolist() == \
        np.argsort(-(fast @ question))[:3].tolist()


def test_onnx_float32_matches_pytorch_float32(embedder):
    onnx = Embedder(precision="float32").embed(BULK)[:len(PASSAGES)]
    torch = Embedder(backend="torch", precision="float32").embed(PASSAGES)
    assert np.abs(onnx - torch).max() < 1e-4


@pytest.mark.parametrize(("backend", "precision"), [("torch", "int8"), ("onnx", "bfloat16")])
def test_impossible_combinations_are_refused(backend, precision):
    with pytest.raises(BriefingError, match="does not run"):
        Embedder(backend=backend, precision=precision)


def test_batches_respect_count_and_token_budget():
    lengths = [40] * 50 + [1000] * 40  # short texts, then ~250-token ones
    order = list(range(len(lengths)))
    cut = batches(order, lengths, batch_size=32, batch_tokens=2048)
    assert [i for batch in cut for i in batch] == order
    assert all(len(batch) <= 32 for batch in cut)
    assert max(len(batch) for batch in cut if lengths[batch[0]] == 1000) == 8
    assert batches([], [], 32) == []
