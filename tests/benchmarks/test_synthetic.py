"""Synthetic corpora: verbatim offsets, recombined real sentences, noisy unit vectors."""

import numpy as np

from benchmarks.data import split_sentences
from benchmarks.synthetic import (
    Seeds,
    build_rows,
    noise_factor,
    noisy_vectors,
    passage_texts,
    synthesize,
)
from index.ingest.articles import paragraph_spans
from index.store.lexical import tokenize
from index.store.snapshot import load_snapshot

SEED_TEXTS = [
    "The Normans were a people. They gave their name to Normandy. Rollo led them.",
    "Oxygen is a chemical element. It has the symbol O! Is it common? It is.",
    "Kenya is in East Africa. Its capital is Nairobi.",
]


def _seeds(dim: int = 16) -> Seeds:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(len(SEED_TEXTS), dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return Seeds(list(SEED_TEXTS), ["Normans", "Oxygen", "Kenya"], vectors)


def test_rows_are_verbatim_and_match_the_paragraph_reader():
    texts = [f"Passage {i} says something." for i in range(45)]
    articles, passages = build_rows(texts, ["T"] * 45, per_article=20, now="now")
    assert len(articles) == 3 and len(passages) == 45
    bodies = {a["id"]: a for a in articles}
    for row, (passage, text) in enumerate(zip(passages, texts, strict=True)):
        article = bodies[passage["article_id"]]
        assert passage["row"] == row
        assert article["body"][passage["start"]:passage["end"]] == passage["text"] == text
        assert list(article["paragraphs"][passage["paragraphs"][0] - 1]) == [
            passage["start"], passage["end"]]
    for article in articles:
        assert paragraph_spans(article["body"]) == [tuple(s) for s in article["paragraphs"]]


def test_texts_recombine_real_sentences_mostly_from_their_seed():
    rng = np.random.default_rng(0)
    seed_rows = np.array([0, 1, 2, 0, 1])
    pool = {s for t in SEED_TEXTS for s in split_sentences(t)}
    for row, text in zip(seed_rows, passage_texts(_seeds(), seed_rows, rng)[0], strict=True):
        sentences = split_sentences(text)
        assert set(sentences) <= pool
        own = set(split_sentences(SEED_TEXTS[row]))
        assert len(set(sentences[:2]) & own) == min(2, len(own))


def test_noisy_vectors_are_unit_length_and_not_near_copies():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(2000, 384)).astype(np.float32) * np.linspace(0.2, 2, 384)
    base += 3.0 / np.sqrt(384)  # real embeddings share a mean direction
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    noisy = noisy_vectors(base, noise_factor(base), rng)
    assert noisy.dtype == np.float32
    assert np.allclose(np.linalg.norm(noisy, axis=1), 1.0, atol=1e-5)
    to_base = np.sum(noisy * base, axis=1)
    assert 0.5 < float(np.mean(to_base)) < 0.85  # related to the seed, never a near-copy
    assert float(np.max(to_base)) < 0.95
    # Two noisy copies of one seed are no closer to each other than to their seed.
    again = noisy_vectors(base, noise_factor(base), rng)
    assert float(np.mean(np.sum(noisy * again, axis=1))) < float(np.mean(to_base))


def test_synthesize_writes_a_generation_the_index_opens(tmp_path):
    info = synthesize(tmp_path / "index", 45, _seeds(), seed=3)
    assert info["passages"] == 45 and info["articles"] == 3
    snapshot = load_snapshot(tmp_path / "index")
    assert snapshot.size == 45 and snapshot.manifest["passages"] == 45
    ids = [i for _, owned in snapshot.metadata.article_passages().values() for i in owned]
    records = snapshot.metadata.passages(ids)
    assert len(records) == 45
    for record in records:
        body, _ = snapshot.metadata.article_body(record.article)
        assert body[record.start:record.end] == record.text
    found, _ = snapshot.lexical.top(tokenize("Nairobi Normandy oxygen"), 10)
    assert len(found)
