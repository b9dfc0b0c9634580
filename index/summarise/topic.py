"""Topic briefings: the most relevant, non-redundant sentences about a topic across all articles.

Hybrid search finds the best passages for the topic and the relevance gate decides whether the
corpus covers it at all. The passages' sentences are then scored by their cosine similarity to
the topic plus the IDF-weighted share of the topic's words they contain, those far below the
best dropped, and maximal marginal relevance picks the briefing.
Sentences are grouped by article (the article with the most relevant sentence first) and kept in
article order within each group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from index.ingest.embedding import Embedder
from index.ingest.splitting import after_dateline
from index.search.gate import coverage, sentence_relevance
from index.search.hybrid import search
from index.spans import Hit, SummarySentence
from index.store.lexical import fold, tokenize, words
from index.store.snapshot import Snapshot
from index.summarise import salience
from index.summarise.article import Summary
from index.summarise.mmr import SAME_FACT, mmr

TOPIC_PASSAGES = 8       # passages whose sentences compete for the briefing
TOPIC_DIVERSITY = 0.3    # MMR trade-off between relevance and novelty
RELEVANCE_MARGIN = 0.25  # drop sentences this much less similar to the topic than the best


def summarize_topic(snapshot: Snapshot, embedder: Embedder, topic: str, k: int,
                    gate_threshold: float, max_chars: int) -> Summary:
    """A `k`-sentence cited briefing on `topic`, or an unanswered Summary when not covered.

    Raises InvalidQuestion for an empty or over-long topic.
    """
    if k < 1:
        raise ValueError(f"a briefing needs at least one sentence, not {k}")
    answer = search(snapshot, embedder, topic, TOPIC_PASSAGES, gate_threshold, max_chars)
    if not answer.answered:
        return Summary(False, (), refusal=answer, read_as=answer.read_as)
    candidates = passage_sentences(snapshot, answer.hits)
    if not candidates:
        return Summary(False, (), read_as=answer.read_as)
    vectors = embedder.embed([c.text for c in candidates])
    similarity = vectors @ answer.query
    relevance = topic_relevance(snapshot, as_read(answer.question, answer.read_as), candidates,
                                similarity)
    texts = [c.text for c in candidates]
    keep = np.flatnonzero(briefing_pool(relevance, similarity, salience.sentences_proper(texts)
                                        & ~quoted_on(candidates)))
    # A fact two reports state, in the same words (syndicated copies) or not, is quoted once.
    picks = mmr(relevance[keep], vectors[keep] @ vectors[keep].T, k, TOPIC_DIVERSITY,
                same=SAME_FACT)
    chosen = [(float(relevance[keep[i]]), candidates[keep[i]]) for i in picks]
    return Summary(True, tuple(group_by_article(chosen)), read_as=answer.read_as)


def briefing_pool(relevance: np.ndarray, similarity: np.ndarray, proper: np.ndarray
                  ) -> np.ndarray:
    """Which candidate sentences may be picked: those within RELEVANCE_MARGIN of the best by
    meaning and words together, or by meaning alone (one line holding every word of a short
    topic, such as a related-link teaser, must not push out the sentences that say it in
    other words), and of those the `proper` ones (sentences, not "Read more: …" nor the rest
    of a quotation opened before them) if any."""
    close = ((relevance >= relevance.max() - RELEVANCE_MARGIN)
             | (similarity >= similarity.max() - RELEVANCE_MARGIN))
    return close & proper if (close & proper).any() else close


def quoted_on(sentences: list[SummarySentence]) -> np.ndarray:
    """Which sentences go on a quotation opened before them in their paragraph, read in
    article order (the candidates come best passage first)."""
    order = sorted(range(len(sentences)),
                   key=lambda i: (sentences[i].article, sentences[i].start))
    inside = salience.inside_quotation([sentences[i].text for i in order],
                                       [(sentences[i].article, sentences[i].paragraph)
                                        for i in order])
    flags = np.zeros(len(sentences), dtype=bool)
    flags[order] = inside
    return flags


def as_read(topic: str, read_as: Mapping[str, str]) -> str:
    """`topic`'s words with each misspelt one replaced by the word the search read it as: the
    sentences are weighed by the words the passages were found by ("Nebenzya" scores no
    sentence; "Nebenzha" scores the ones that name him). Split as the search split them (a
    combining accent, as in a decomposed "Hämass", is no word break)."""
    if not read_as:
        return topic
    meant = {fold(typed): word for typed, word in read_as.items()}
    return " ".join(meant.get(word, word) for word in words(topic))


def topic_relevance(snapshot: Snapshot, topic: str, sentences: list[SummarySentence],
                    similarity: np.ndarray) -> np.ndarray:
    """Relevance of each sentence: its similarity plus its share of the topic's rare words."""
    words = tokenize(topic)
    idf = snapshot.lexical.idf(words)
    return np.array([sentence_relevance(float(sim), coverage(words, idf, set(tokenize(s.text))))
                     for s, sim in zip(sentences, similarity, strict=True)])


def passage_sentences(snapshot: Snapshot, hits: Iterable[Hit]) -> list[SummarySentence]:
    """The sentences of the hits' passages (each within one paragraph), without repeats: the
    spans the splitter stored with each passage, cut at paragraph ends."""
    seen: set[tuple[str, int]] = set()
    sentences: list[SummarySentence] = []
    bodies: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    for hit in hits:
        if hit.article not in bodies:
            stored = snapshot.metadata.article_body(hit.article)
            if stored is None:
                continue
            bodies[hit.article] = stored
        body, paragraphs = bodies[hit.article]
        spans = hit.sentences or ((0, len(hit.text)),)
        for number in hit.paragraphs:
            p_start, p_end = paragraphs[number - 1]
            for s, e in spans:
                s, e = max(p_start, hit.start + s), min(p_end, hit.start + e)
                text = body[s:e].strip()
                if not text:
                    continue
                s += len(body[s:e]) - len(body[s:e].lstrip())
                if s == paragraphs[0][0]:  # the article's first sentence: "(CNN)The …"
                    skip = after_dateline(text)
                    s, text = s + skip, text[skip:]
                if (hit.article, s) in seen:
                    continue
                seen.add((hit.article, s))
                sentences.append(SummarySentence(article=hit.article, title=hit.title,
                                                 paragraphs=(number,), start=s,
                                                 end=s + len(text), text=text))
    return sentences


def group_by_article(scored: list[tuple[float, SummarySentence]]) -> list[SummarySentence]:
    """Sentences grouped by article, best-scoring article first, article order inside a group."""
    best: dict[str, float] = {}
    for score, sentence in scored:
        best[sentence.article] = max(score, best.get(sentence.article, -np.inf))
    return sorted((s for _, s in scored), key=lambda s: (-best[s.article], s.article, s.start))
