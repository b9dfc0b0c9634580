"""Extractive summaries of one article: verbatim sentences with their offsets, in article order.

A sentence's worth is a weighted sum of the signals in `index/summarise/salience.py` (position,
centrality among the article's own sentence embeddings, keyword density, length and quotation
penalties) plus how much of the article's recurring vocabulary it adds to the sentences already
chosen. Sentences are picked greedily with maximal marginal relevance, so a summary does not
say the same thing twice, and an article with several paragraphs is covered across them
(no paragraph gives a second sentence before every paragraph has had a chance to give one).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from index.errors import ArticleNotFound
from index.ingest.embedding import Embedder
from index.ingest.splitting import after_dateline, sentence_spans, word_count
from index.search.hybrid import Answer
from index.spans import SummarySentence
from index.store.lexical import tokenize
from index.store.snapshot import Snapshot
from index.summarise import salience
from index.summarise.mmr import REPEAT, marginal_relevance


@dataclass(frozen=True)
class Summary:
    """Summary sentences; `answered` is False when the index does not cover the request.
    `refusal`: for a topic the relevance gate refused, its search, whose first hit is the
    closest passage (shown as low-confidence evidence, as a refused question shows it).
    `read_as`: a topic's misspelt words and the words read instead, as an Answer has them."""

    answered: bool
    sentences: tuple[SummarySentence, ...]
    refusal: Answer | None = field(default=None, compare=False)
    read_as: dict[str, str] = field(default_factory=dict, compare=False)

    def by_article(self) -> list[tuple[str, str, tuple[SummarySentence, ...]]]:
        """(article id, title, its sentences) in the order the articles first appear."""
        groups: dict[str, list[SummarySentence]] = {}
        for sentence in self.sentences:
            groups.setdefault(sentence.article, []).append(sentence)
        return [(aid, group[0].title, tuple(group)) for aid, group in groups.items()]


@dataclass(frozen=True)
class Weights:
    """How the salience signals combine (see `choose`).

    Grid-searched on rows 1-500 of CNN/DailyMail (`briefing eval --summaries ... --rows 1-500`,
    ROUGE-1 and ROUGE-Lsum of 3-sentence summaries); see README, "Summaries".
    """

    position: float = 1.0      # exponent of the position prior 1 / (1 + i) ** position
    centrality: float = 0.3
    keywords: float = 0.1
    coverage: float = 0.6
    diversity: float = 0.4     # MMR trade-off against similarity to chosen sentences
    length: float = 0.3        # penalty outside [shortest, longest] words
    shortest: int = 6
    longest: int = 40
    quotation: float = 0.2
    # A sentence opening with "He", "But"… whose sentence before is not chosen; 0.1 was chosen
    # on rows 1-500: of 1,500 sentences picked, 16 such rather than 72, ROUGE-1 31.95 -> 31.86.
    back_reference: float = 0.1


DEFAULT_WEIGHTS = Weights()


def body_sentences(body: str, paragraphs: Sequence[tuple[int, int]], *, article: str = "",
                   title: str = "") -> list[SummarySentence]:
    """Every sentence of a body, paragraph by paragraph (a sentence never spans two), citing
    the article `article` titled `title` (a bare body, as evaluation scores, has neither).
    The article's first sentence starts after its dateline ("(CNN)The …"), if it has one."""
    sentences = []
    for number, (p_start, p_end) in enumerate(paragraphs, start=1):
        for start, end in sentence_spans(body, p_start, p_end):
            if not sentences:
                start += after_dateline(body[start:end])
            sentences.append(SummarySentence(article=article, title=title, paragraphs=(number,),
                                             start=start, end=end, text=body[start:end]))
    return sentences


def static_scores(texts: Sequence[str], vectors: np.ndarray, tokens: Sequence[set[str]],
                  weights: Weights) -> np.ndarray:
    """Each sentence's worth before anything is chosen (position, meaning, words, form)."""
    counts = [word_count(t) for t in texts]
    return (salience.position_prior(len(texts), weights.position)
            + weights.centrality * salience.centrality(vectors)
            + weights.keywords * salience.keyword_density(tokens)
            - weights.length * salience.length_penalty(counts, weights.shortest, weights.longest)
            - weights.quotation * salience.quotation(texts))


def choose(texts: Sequence[str], vectors: np.ndarray, paragraphs: Sequence[int], k: int,
           weights: Weights = DEFAULT_WEIGHTS) -> list[int]:
    """Indices (ascending, i.e. article order) of the `k` sentences that summarize an article.

    `vectors` are the sentences' normalised embeddings and `paragraphs` their paragraph numbers.
    A paragraph gives at most ceil(k / paragraphs) sentences while others still have some to
    give; a sentence repeating a chosen one (cosine REPEAT or more: boilerplate closing every
    paragraph) is never chosen, nor a line that is not a sentence (a heading, a byline) or one
    that goes on a quotation opened before it, when there are others, so fewer than `k` can
    come back.
    """
    n = len(texts)
    k = min(k, n)
    if k <= 0:
        return []
    tokens = [set(tokenize(t)) for t in texts]
    base = static_scores(texts, vectors, tokens, weights)
    concepts = salience.concept_weights(tokens)
    scale = float(salience.coverage_gain(tokens, concepts, set()).max()) or 1.0
    similarity = vectors @ vectors.T
    cap = math.ceil(k / len(set(paragraphs)))
    taken: Counter[int] = Counter()
    covered: set[str] = set()
    redundancy = np.zeros(n)
    available = salience.sentences_proper(texts)
    unquoted = available & ~salience.inside_quotation(texts, paragraphs)
    if unquoted.any():  # an article that is one long quotation still gets a summary
        available = unquoted
    refers_back = salience.refers_back(texts)
    chosen: list[int] = []
    for _ in range(k):
        relevance = base + weights.coverage * salience.coverage_gain(tokens, concepts,
                                                                     covered) / scale
        follows_chosen = np.zeros(n, dtype=bool)
        follows_chosen[[i + 1 for i in chosen if i + 1 < n]] = True
        relevance -= weights.back_reference * (refers_back & ~follows_chosen)
        score = marginal_relevance(relevance, redundancy, weights.diversity)
        if not available.any():  # the rest repeat what is chosen
            break
        allowed = available & np.array([taken[p] < cap for p in paragraphs])
        if not allowed.any():  # short paragraphs left the cap too tight: it gives way
            allowed = available
        score[~allowed] = -np.inf
        pick = int(np.argmax(score))
        chosen.append(pick)
        available &= similarity[:, pick] < REPEAT  # a repeated sentence is said once
        available[pick] = False
        taken[paragraphs[pick]] += 1
        covered |= tokens[pick]
        redundancy = np.maximum(redundancy, similarity[:, pick])
    return sorted(chosen)


def summarize_body(body: str, paragraphs: Sequence[tuple[int, int]], embedder: Embedder,
                   k: int, weights: Weights = DEFAULT_WEIGHTS, *, article: str = "",
                   title: str = "") -> list[SummarySentence]:
    """The `k` summary sentences of a body with the given paragraph spans, in article order,
    citing `article` and `title` (see `body_sentences`)."""
    sentences = body_sentences(body, paragraphs, article=article, title=title)
    if not sentences:
        return []
    texts = [s.text for s in sentences]  # all of them, when no more than k, but none twice
    picks = choose(texts, embedder.embed(texts), [s.paragraph for s in sentences], k, weights)
    return [sentences[i] for i in picks]


def summarize_article(snapshot: Snapshot, embedder: Embedder, article_id: str,
                      k: int) -> Summary:
    """A `k`-sentence summary of an indexed article; raises ArticleNotFound for an unknown id."""
    if k < 1:
        raise ValueError(f"a summary needs at least one sentence, not {k}")
    record = snapshot.metadata.article(article_id)
    stored = snapshot.metadata.article_body(article_id) if record else None
    if record is None or stored is None:
        raise ArticleNotFound(f"no indexed article with the id {article_id!r}")
    body, paragraphs = stored
    return Summary(True, tuple(summarize_body(body, paragraphs, embedder, k,
                                              article=record.id, title=record.title)))
