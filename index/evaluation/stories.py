"""Measuring story clustering on labelled reports derived from CNN rows.

Each CNN row is one story, reported three times: the article as published (day d), a
syndicated copy under another outlet's byline (day d) and a follow-up rewrite the next day (the
highlights as its lede, then every other sentence of the article's second half). Stories get
days spread over a month, so unrelated stories share days. Pairs of different rows that the
TF-IDF story grouping of `labelled_sets` links (the CNN set itself holds several reports of
some events) have no trustworthy label and are left out. Thresholds are chosen on the fit half
of the stories and reported on the test half, for our clustering and for single link.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np

from index.evaluation.labelled_sets import read_cnn, story_groups
from index.ingest.embedding import Embedder
from index.summarise.stories import WINDOW_DAYS, cluster, pairwise, single_link

CHUNK_WORDS = 120
THRESHOLDS = [round(0.40 + 0.02 * i, 2) for i in range(26)]


def reports(rows: list[dict], seed: int = 13) -> tuple[list[str], list[float], list[int]]:
    """Texts, day numbers and story labels of the three reports of each row."""
    rng = random.Random(seed)
    texts, days, truth = [], [], []
    for story, row in enumerate(rows):
        body = re.sub(r"^\s*(?:\([^)]*\)\s*)?(?:--\s*)?", "", row["article"]).strip()
        day = float(rng.randrange(30))
        sentences = re.split(r"(?<=[.!?])\s+", body)
        rewrite = " ".join([row["highlights"].replace("\n", " "),
                            *sentences[len(sentences) // 2::2]])
        for text, when in ((row["article"], day),
                           (f"By Wire Service staff. {body} Copyright Wire Service.", day),
                           (rewrite, day + 1)):
            texts.append(text)
            days.append(when)
            truth.append(story)
    return texts, days, truth


def embed_articles(texts: list[str], embedder: Embedder) -> np.ndarray:
    """Normalised mean of ~120-word chunk embeddings, as the index averages passages."""
    chunks, owner = [], []
    for n, text in enumerate(texts):
        words = text.split()
        for start in range(0, max(1, len(words)), CHUNK_WORDS):
            chunks.append(" ".join(words[start:start + CHUNK_WORDS]))
            owner.append(n)
    vectors = embedder.embed(chunks)
    out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
    np.add.at(out, np.array(owner), vectors)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def evaluate_stories(cnn_file: Path, embedder: Embedder, limit: int = 200) -> dict:
    """Pairwise precision/recall of "same story" on the test half, thresholds fit on the
    fit half, for average-link-in-time-order (ours) and single link (baseline)."""
    rows = read_cnn(cnn_file)[:limit]
    texts, days, truth = reports(rows)
    groups = story_groups([r["article"] for r in rows], [r["highlights"] for r in rows])
    vectors = embed_articles(texts, embedder)
    half = len(rows) // 2
    result: dict = {"stories": len(rows), "reports": len(texts)}
    for name, method in (("ours", cluster), ("single_link", single_link)):
        fitted = {}
        for part, keep in (("fit", lambda s: s < half), ("test", lambda s: s >= half)):
            idx = [i for i, s in enumerate(truth) if keep(s)]
            ignore = {(a, b) for a in range(len(idx)) for b in range(a + 1, len(idx))
                      if truth[idx[a]] != truth[idx[b]]
                      and groups[truth[idx[a]]] == groups[truth[idx[b]]]}
            sub_truth = [truth[i] for i in idx]
            sub_days = [days[i] for i in idx]
            if part == "fit":
                scores = {t: pairwise(method(vectors[idx], sub_days, t, WINDOW_DAYS),
                                      sub_truth, ignore) for t in THRESHOLDS}
                best = max(s["f1"] for s in scores.values())
                plateau = [t for t in THRESHOLDS if scores[t]["f1"] == best]
                threshold = plateau[len(plateau) // 2]  # the middle of the best thresholds
                fitted = {"threshold": threshold, "fit": scores[threshold]}
            else:
                fitted["test"] = pairwise(method(vectors[idx], sub_days, fitted["threshold"],
                                                 WINDOW_DAYS), sub_truth, ignore)
        result[name] = fitted
    return result
