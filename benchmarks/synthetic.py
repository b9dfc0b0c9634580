"""Large synthetic corpora (100k, 1M passages) built from real sentences and real embeddings.

Texts: each passage takes up to two sentences of one real "seed" passage (in random order)
and one sentence of another real passage, so every stored text is real sentences recombined.
Vectors: the seed passage's real embedding plus independent noise drawn from the real
embeddings' own distribution (a Gaussian with their covariance: `NOISE_SCALE` times their
deviation from the mean), renormalised to unit length. The cosine to the seed is about 0.75,
so a synthetic corpus holds no near-copies: its vectors spread like real ones and a nearest-
neighbour search has to tell apart neighbours as close as in a real corpus.
Rows are grouped `PER_ARTICLE` passages to an article and written through the index's own
backend (`write_generation` for a folder, `PostgresBackend.write` for a database URL), with
the manifest built as `index.ingest.reindex` builds it. The same seeds and `seed` give the
same corpus, bit for bit, whichever backend it is written to (`digest` says so).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.data import split_sentences

PER_ARTICLE = 20
SEED_SENTENCES = 2
NOISE_SCALE = 1.0
_CHUNK = 65536


@dataclass
class Seeds:
    """Real passages to recombine: texts, their article titles and their embeddings."""

    texts: list[str]
    titles: list[str]
    vectors: np.ndarray


def load_seeds(index_dir: Path) -> Seeds:
    """Every passage of a built index (texts, titles, stored vectors) as seeds."""
    from index.store.snapshot import load_snapshot

    snapshot = load_snapshot(Path(index_dir))
    ids = [i for _, owned in snapshot.metadata.article_passages().values() for i in owned]
    records = snapshot.metadata.passages(ids)
    return Seeds([r.text for r in records], [r.title for r in records],
                 snapshot.dense.vectors(ids))


def passage_texts(seeds: Seeds, seed_rows: np.ndarray, rng: np.random.Generator
                  ) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """One recombined text per seed row (its own sentences shuffled, plus one foreign one),
    and the sentence spans within each text, as reindexing stores them."""
    sentences = [split_sentences(t) or [t] for t in seeds.texts]
    foreign = rng.integers(len(seeds.texts), size=len(seed_rows))
    texts, spans = [], []
    for row, other in zip(seed_rows.tolist(), foreign.tolist(), strict=True):
        own = sentences[row]
        picked = [own[i] for i in rng.permutation(len(own))[:SEED_SENTENCES]]
        extra = sentences[other][int(rng.integers(len(sentences[other])))]
        parts = [*picked, extra]
        texts.append(" ".join(parts))
        starts = np.cumsum([0] + [len(p) + 1 for p in parts[:-1]]).tolist()
        spans.append([(start, start + len(part)) for start, part in zip(starts, parts,
                                                                        strict=True)])
    return texts, spans


def noise_factor(vectors: np.ndarray, scale: float = NOISE_SCALE) -> np.ndarray:
    """A matrix L with L Lᵀ = scale² × the covariance of `vectors` (rows), for `noisy_vectors`."""
    real = np.asarray(vectors, dtype=np.float64)
    covariance = np.cov(real, rowvar=False) + 1e-9 * np.eye(real.shape[1])
    return (scale * np.linalg.cholesky(covariance)).astype(np.float32)


def noisy_vectors(base: np.ndarray, factor: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`base` rows plus independent N(0, L Lᵀ) noise (`factor` = L), renormalised (float32)."""
    noise = rng.standard_normal(base.shape, dtype=np.float32) @ factor.T
    noisy = base.astype(np.float32) + noise
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return noisy


def build_rows(texts: Sequence[str], titles: Sequence[str], per_article: int = PER_ARTICLE,
               now: str | None = None, sentences: Sequence[list[tuple[int, int]]] | None = None
               ) -> tuple[list[dict], list[dict]]:
    """Article and passage rows as `index.ingest.reindex` writes them, `per_article` passages each.

    Each article body is its passages joined by blank lines, one paragraph per passage, so
    every passage row satisfies `body[start:end] == text`.
    """
    from index.store.base import passage_id

    now = now or datetime.now(UTC).isoformat(timespec="seconds")
    articles: list[dict] = []
    passages: list[dict] = []
    for first in range(0, len(texts), per_article):
        number = first // per_article
        article_id = f"synthetic-{number:07d}"
        chunk = texts[first:first + per_article]
        spans = []
        cursor = 0
        for text in chunk:
            spans.append((cursor, cursor + len(text)))
            cursor += len(text) + 2
        body = "\n\n".join(chunk)
        for paragraph, ((start, end), text) in enumerate(zip(spans, chunk, strict=True), 1):
            row = len(passages)
            passages.append({"row": row, "article_id": article_id,
                             "id": passage_id(article_id, start, end, text),
                             "paragraphs": (paragraph,), "start": start, "end": end,
                             "text": text, "sentences": sentences[row] if sentences else ()})
        articles.append({
            "id": article_id, "path": f"{article_id}.md", "title": titles[first],
            "source": "", "published": "",
            "content_hash": hashlib.sha256(body.encode("utf-8")).hexdigest(),
            "indexed_at": now, "body": body, "paragraphs": [list(s) for s in spans]})
    return articles, passages


def manifest(articles: int, passages: int, dimension: int, now: str) -> dict:
    """The manifest `index.ingest.reindex` writes, for the bundled model."""
    from index.ingest.embedding import bundled_model_path, model_fingerprint
    from index.ingest.reindex import splitter
    from index.store.snapshot import FORMAT_VERSION

    model = bundled_model_path()
    return {"format": FORMAT_VERSION,
            "model": {"name": model.name, "fingerprint": model_fingerprint(model)},
            "dimension": dimension, "splitter": splitter(), "articles": articles,
            "passages": passages, "built_at": now}


def synthesize(index_dir: Path | str, size: int, seeds: Seeds, seed: int = 0,
               scale: float = NOISE_SCALE) -> dict:
    """Write a `size`-passage generation into `index_dir` (a folder or a database URL);
    returns what was built, with `write_s` the time of the write alone."""
    import time

    from index.store.backends import open_backend

    rng = np.random.default_rng(seed)
    seed_rows = rng.integers(len(seeds.texts), size=size)
    texts, sentence_spans = passage_texts(seeds, seed_rows, rng)
    vectors = np.empty((size, seeds.vectors.shape[1]), dtype=np.float32)
    factor = noise_factor(seeds.vectors, scale)
    for begin in range(0, size, _CHUNK):
        rows = seed_rows[begin:begin + _CHUNK]
        vectors[begin:begin + len(rows)] = noisy_vectors(seeds.vectors[rows], factor, rng)
    sample = np.arange(min(size, 2000))
    to_seed = (vectors[sample] * seeds.vectors[seed_rows[sample]]).sum(axis=1)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    titles = [seeds.titles[r] for r in seed_rows.tolist()]
    articles, passages = build_rows(texts, titles, now=now, sentences=sentence_spans)
    del texts, titles, sentence_spans
    info = {"passages": len(passages), "articles": len(articles), "seeds": len(seeds.texts),
            "noise_scale": scale, "cosine_to_seed_mean": round(float(to_seed.mean()), 3),
            "mean_words": round(sum(len(p["text"].split()) for p in passages[:10000])
                                / max(1, min(len(passages), 10000)), 1),
            "digest": corpus_digest(vectors, passages)}
    started = time.perf_counter()
    open_backend(index_dir).write(manifest(len(articles), len(passages), vectors.shape[1], now),
                                  vectors, articles, passages)
    info["write_s"] = round(time.perf_counter() - started, 3)
    return info


def corpus_digest(vectors: np.ndarray, passages: Sequence[dict]) -> str:
    """A short hash of a corpus's passage ids, texts and vectors (as float16, the precision
    both backends store), to show two builds hold the same data."""
    digest = hashlib.blake2b(digest_size=8)
    digest.update(np.ascontiguousarray(vectors, dtype=np.float16).tobytes())
    for passage in passages:
        digest.update(f"{passage['id']}\0{passage['text']}\0".encode())
    return digest.hexdigest()
