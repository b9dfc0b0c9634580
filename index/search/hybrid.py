"""Hybrid search over one snapshot: dense + BM25 candidates, fusion, de-duplication, highlights."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import numpy as np

from index.errors import IndexCorrupt, InvalidQuestion
from index.ingest.embedding import Embedder
from index.ingest.splitting import after_dateline
from index.search import answer_type, spelling
from index.search.fusion import fuse
from index.search.gate import DEFAULT_THRESHOLD, GateEvidence, coverage, probability
from index.search.rarity import is_english, rarities
from index.search.scope import Scope, asks_for_latest
from index.search.sentences import (
    SentenceTokens,
    best_sentence,
    overlap,
    sentence_tokens,
)
from index.spans import Hit, PassageRecord
from index.store.lexical import fold, stems, tokenize, words
from index.store.snapshot import Snapshot
from index.store.top import top_rows

CANDIDATES = 100
DUPLICATE_COSINE = 0.95


@dataclass(frozen=True)
class RankWeights:
    """How the ranking mixes its signals.

    A passage scores 2 × (`dense` × its cosine + the rest × its BM25 as a share of the most a
    text could score for the question) (index/search/fusion.py), plus `article` × its article's
    BM25 as the same kind of share (index/store/article_level.py); no signal is min-max
    normalised over the candidates. The SENTENCE_POOL best then gain `sentence` × the share of
    the question's words that their best sentence holds (index/search/sentences.py), and
    `answer_kind` when the question asks for a date or a number ("When…", "How many…") and that
    sentence holds one (index/search/answer_type.py).

    `dense`, `article` and `sentence` give the best mean recall@1 on the fit halves of the CNN
    archive and SQuAD (`briefing eval --fit`) among the settings that keep SciFact's train
    split at least where an earlier ranking had it (nDCG@10 0.733; 0.7343 here): sentence 0.6
    and 0.9 rank better on the fit halves (0.910 and 0.906 against 0.905, with answer_kind
    0.2) but score 0.7327 and 0.7310 there; article 1.8 scores 0.7319 (README, "Measured
    quality"). `recency` is fitted on the
    fit half of dated CNN stories (`briefing eval --recency`). `answer_kind` 0.2 ranks SQuAD's
    in/out fit half best among 0, 0.1, 0.2 and 0.3 (recall@1 0.8766, 0.8803, 0.8808, 0.8791);
    no SciFact query asks for a date or a number, so it cannot move SciFact.
    """

    dense: float = 0.5
    article: float = 1.2
    sentence: float = 0.3
    answer_kind: float = 0.2
    recency: float = 2.0  # × freshness, for questions asking for the latest (see _recency)


DEFAULT_WEIGHTS = RankWeights()
SENTENCE_POOL = 10  # the best candidates whose sentences are read (and reused by answer_from)
MAX_QUESTION_CHARS = 1000


@dataclass(frozen=True)
class Answer:
    """The result of a question: `answered` is False when the relevance gate refuses.
    `query` is the question's vector, for whatever builds on the answer (topic briefings).
    `context_gone`: a follow-up whose earlier answer's article is no longer indexed, read
    without it (index/search/followup.py)."""

    question: str
    answered: bool
    hits: tuple[Hit, ...]
    confidence: float
    evidence: GateEvidence | None = None
    query: np.ndarray | None = field(default=None, compare=False, repr=False)
    # misspelt word -> the word read (not compared: an Answer stays hashable)
    read_as: dict[str, str] = field(default_factory=dict, compare=False)
    context_gone: bool = False


@dataclass(frozen=True)
class Ranked:
    """Candidate passages (ids) with their fused score and dense similarity, best first."""

    ids: np.ndarray
    scores: np.ndarray
    similarities: np.ndarray
    query: np.ndarray
    tokens: list[str]           # the question's distinct tokens
    articles: np.ndarray        # each passage's article number
    article_scores: np.ndarray  # each passage's article BM25, as a share of its upper bound
    idf: np.ndarray             # each token's passage-level IDF (weighs the highlights)
    rarity: np.ndarray          # each token's rarity in English (weighs the gate's coverage)
    read: dict[int, tuple[PassageRecord, SentenceTokens]] = field(default_factory=dict)
    # ^ passages already read, by id, with their sentences' tokens (answer_from reuses them)
    read_as: dict[str, str] = field(default_factory=dict)  # misspelt word -> word read


def check_question(question: str, max_chars: int = MAX_QUESTION_CHARS) -> str:
    """The question stripped of surrounding space; raises InvalidQuestion if unusable.

    Text that is not valid Unicode (a lone surrogate, as Python decodes undecodable bytes of a
    command line or a pipe) is replaced by "?", which the tokenizer accepts.
    """
    if question:
        question = question.encode("utf-8", errors="replace").decode("utf-8")
    cleaned = " ".join(question.split()) if question else ""
    if not cleaned:
        raise InvalidQuestion("empty")
    if not any(c.isalnum() for c in cleaned):  # only marks, emoji or invisible characters
        raise InvalidQuestion("no words")
    if len(cleaned) > max_chars:
        raise InvalidQuestion("too long", len(cleaned), max_chars)
    return cleaned


def rank(snapshot: Snapshot, embedder: Embedder, question: str,
         candidates: int = CANDIDATES, weights: RankWeights = DEFAULT_WEIGHTS,
         also: np.ndarray | None = None, scope: Scope | None = None,
         asking: str | None = None) -> Ranked:
    """Fuse the dense and BM25 top candidates for `question` into one ranking, with the
    evidence of their articles; passage ids in `also` are ranked too, whether found or not.
    The kind of answer sought is read from `asking` when given (a follow-up ranked together
    with its earlier question), else from `question`.

    With a `scope`, only passages of the articles in it are candidates. A question asking for
    the latest gets `weights.recency` × each candidate's article freshness.
    """
    allowed = (snapshot.articles.passages_of(snapshot.catalog.allowed(scope)) if scope
               else None)
    word_side = _LEXICAL_SIDE.submit(_lexical_side, snapshot, question, candidates, allowed)
    try:
        query = embedder.embed_query(question)
    except BaseException:
        # An encoder error wins, but only once the words no longer read the snapshot: the
        # caller's lease on it (index/store/serving.py) ends when this raises.
        wait([word_side])
        raise
    lexical = word_side.result()
    if allowed is not None:
        dense_ids = allowed[top_rows(snapshot.dense.similarities(query, allowed) + 2.0,
                                     candidates)]
        if also is not None:
            also = also[np.isin(also, allowed)]
    else:
        dense_ids, _ = snapshot.dense.search(query, candidates)
    extra = also if also is not None else np.zeros(0, dtype=np.int64)
    ids = np.unique(np.concatenate([dense_ids, lexical.ids, extra]).astype(np.int64))
    tokens = lexical.tokens
    if not len(ids):
        empty = np.zeros(0)
        return Ranked(ids, empty, empty, query, tokens, ids, empty, lexical.idf,
                      lexical.rarity, read_as=lexical.read_as)
    similarities = snapshot.dense.similarities(query, ids)
    lexical_scores = snapshot.lexical.scores(lexical.words, ids)
    idf = dict(zip(tokens, lexical.idf.tolist(), strict=True))
    bound = sum(idf[w] for w in lexical.words)  # BM25 counts a repeated word again
    fused = fuse(similarities, lexical_scores, bound, weights.dense)
    articles = snapshot.articles.articles_of(ids)
    article_scores = snapshot.articles.scores(tokens, articles)
    fused = fused + weights.article * article_scores
    if weights.recency and asks_for_latest(question):
        fused = fused + weights.recency * _recency(snapshot, fused, articles)
    read: dict[int, tuple[PassageRecord, SentenceTokens]] = {}
    if weights.sentence or weights.answer_kind:
        pool = np.argsort(-fused, kind="stable")[:SENTENCE_POOL]
        read = _read(snapshot, ids[pool])
        kind = answer_type.expected(asking or question) if weights.answer_kind else None
        total = sum(idf.values())
        if total > 0:
            fused[pool] += [_sentence_bonus(weights, idf, total, *read[int(i)], question, kind)
                            if int(i) in read else 0.0 for i in ids[pool]]
    order = np.argsort(-fused, kind="stable")
    return Ranked(ids[order], fused[order], similarities[order], query, tokens,
                  articles[order], article_scores[order], lexical.idf, lexical.rarity, read,
                  lexical.read_as)


def _read(snapshot: Snapshot, ids: np.ndarray
          ) -> dict[int, tuple[PassageRecord, SentenceTokens]]:
    """The passages with these ids and their sentences' tokens, by id."""
    return {r.id: (r, sentence_tokens(r)) for r in snapshot.metadata.passages(ids)}


# The word side of a question runs here while the calling thread embeds it: ONNX Runtime
# releases the GIL, so tokenizing and BM25 over every passage and article (about 0.6 ms of
# CPU at 100k passages) mostly overlap the encoder instead of following it. Two workers: the
# bot answers questions from several threads at once.
_LEXICAL_SIDE = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lexical")


@dataclass(frozen=True)
class _Lexical:
    """What the question's words alone decide, before its vector is known."""

    words: list[str]              # the question's tokens, repeats kept (BM25 counts them)
    tokens: list[str]             # the distinct ones
    idf: np.ndarray               # their passage-level IDF
    rarity: np.ndarray            # their rarity in English (index/search/rarity.py)
    ids: np.ndarray               # the best `candidates` passages by BM25 (unordered)
    read_as: dict[str, str]       # misspelt words and what they were read as


def _lexical_side(snapshot: Snapshot, question: str, candidates: int,
                  allowed: np.ndarray | None) -> _Lexical:
    """The question's tokens, IDF and lexical candidates (among `allowed` passage ids); the
    article evidence is prepared too, where the backend can do that without the candidates."""
    typed = words(question)
    # = tokenize(question), misspellings read as meant; the gate also weighs the surface words
    corrected = spelling.correct(typed, stems(typed), snapshot.lexical,
                                 lower_case=spelling.typed_in_lower_case(question))
    surface, stemmed = corrected.surface, corrected.stemmed
    tokens = list(dict.fromkeys(stemmed))
    ids, _ = snapshot.lexical.top(stemmed, candidates, among=allowed)
    snapshot.articles.prepare(tokens)
    return _Lexical(stemmed, tokens, snapshot.lexical.idf(tokens),
                    rarities(surface, stemmed, tokens), ids, corrected.read_as)


RECENCY_POOL = 10  # candidates among which "the latest" is looked for


def _sentence_bonus(weights: RankWeights, idf: dict[str, float], total: float,
                    record: PassageRecord, sentences: SentenceTokens, question: str,
                    kind: answer_type.Kind | None) -> float:
    """What a candidate's best sentence adds: `sentence` × its share of the question's words,
    plus `answer_kind` when the question asks for a date or a number and that sentence holds
    one the question does not name."""
    spans, sentence_sets, _ = sentences
    at, held = best_sentence(idf, sentence_sets)
    bonus = weights.sentence * held / total
    if kind is not None and held > 0:  # a sentence without the question's words answers nothing
        start, end = spans[at]
        bonus += weights.answer_kind * answer_type.holds(kind, record.text[start:end], question)
    return bonus


def _recency(snapshot: Snapshot, fused: np.ndarray, articles: np.ndarray) -> np.ndarray:
    """Each candidate's freshness among the RECENCY_POOL best candidates (others get none),
    scaled by its share of the best score: the newest of the relevant reports gains most, a
    newer but unrelated one little."""
    bonus = np.zeros(len(fused))
    pool = np.argsort(-fused, kind="stable")[:RECENCY_POOL]
    best = float(fused[pool[0]])
    if best <= 0:
        return bonus
    bonus[pool] = snapshot.catalog.freshness(articles[pool]) * np.clip(fused[pool] / best, 0, 1)
    return bonus


def boosted(ranked: Ranked, bonus: np.ndarray) -> Ranked:
    """The same candidates re-ranked after adding `bonus` (one value per candidate)."""
    scores = ranked.scores + bonus
    order = np.argsort(-scores, kind="stable")
    return Ranked(ranked.ids[order], scores[order], ranked.similarities[order], ranked.query,
                  ranked.tokens, ranked.articles[order], ranked.article_scores[order], ranked.idf,
                  ranked.rarity, ranked.read, ranked.read_as)


def search(snapshot: Snapshot, embedder: Embedder, question: str, k: int,
           gate_threshold: float = DEFAULT_THRESHOLD, max_chars: int = MAX_QUESTION_CHARS,
           highlights: bool = True, weights: RankWeights = DEFAULT_WEIGHTS,
           scope: Scope | None = None) -> Answer:
    """The `k` best distinct passages for `question`, and whether the corpus answers it.

    Without `highlights` each hit's highlight is its whole text (cheaper, for evaluation).
    With a `scope`, only its articles answer.
    """
    question = check_question(question, max_chars)
    ranked = rank(snapshot, embedder, question, weights=weights, scope=scope)
    return answer_from(snapshot, ranked, question, k, gate_threshold, highlights,
                       weights=weights)


def answer_from(snapshot: Snapshot, ranked: Ranked, question: str, k: int,
                gate_threshold: float = DEFAULT_THRESHOLD, highlights: bool = True,
                highlight_by: Ranked | None = None,
                weights: RankWeights = DEFAULT_WEIGHTS) -> Answer:
    """The answer a ranking gives: its `k` best distinct passages, gated for relevance.
    `highlight_by`: a ranking whose words choose each passage's highlight first (a
    follow-up's own, where `ranked` also holds the earlier question's words); `weights`:
    those `ranked` was ranked with, which choose highlights as they chose best sentences."""
    if not len(ranked.ids):
        return Answer(question, False, (), 0.0, read_as=ranked.read_as)
    chosen = _distinct(snapshot, ranked, k)
    chosen_ids = [int(i) for i in ranked.ids[chosen]]
    unread = [i for i in chosen_ids if i not in ranked.read]
    fetched = ({r.id: r for r in snapshot.metadata.passages(np.array(unread, dtype=np.int64))}
               if unread else {})
    if missing := [i for i in unread if i not in fetched]:
        raise IndexCorrupt(f"passage {missing[0]} is not in this index generation")
    records = [ranked.read[i][0] if i in ranked.read else fetched[i] for i in chosen_ids]
    sentences = ([ranked.read[i][1] if i in ranked.read else sentence_tokens(fetched[i])
                  for i in chosen_ids] if highlights else None)
    query_tokens, idf = ranked.tokens, ranked.idf
    evidence = gate_evidence(snapshot, ranked, chosen[0], records[0],
                             sentences[0][2] if sentences else None)
    confidence = probability(evidence)
    texts = [r.text for r in records]
    idf_by_word = [dict(zip(query_tokens, idf, strict=True))]
    if highlight_by is not None:
        idf_by_word.insert(0, dict(zip(highlight_by.tokens, highlight_by.idf, strict=True)))
    best = [_past_dateline(snapshot, r, h) for r, h in zip(
        records, _highlights(idf_by_word, records, sentences, question, weights),
        strict=True)] if highlights else texts
    hits = tuple(
        Hit(**vars(r), rank=i + 1, score=round(float(ranked.scores[c]), 4), highlight=h,
            similarity=round(float(ranked.similarities[c]), 4))
        for i, (c, r, h) in enumerate(zip(chosen, records, best, strict=True)))
    # the other best candidates, already read, show how the articles write a word read for a
    # misspelt one that the hits lack (one hit of "what did Nebenzya say about trade")
    others = ([r for i, (r, _) in ranked.read.items() if i not in chosen_ids]
              if ranked.read_as else [])
    return Answer(question, confidence >= gate_threshold, hits, round(confidence, 4), evidence,
                  ranked.query, _as_written(ranked.read_as, records + others, question))


def _as_written(read_as: dict[str, str], records: list[PassageRecord], question: str
                ) -> dict[str, str]:
    """`read_as` as a reader would write it: each typed word as the question typed it
    ("Erdogn", not "erdogn"; composed, when typed with combining accents), each word read
    as `records` (the hits, then the other best candidates already read) write it: a name
    that is not an English word ("nebenzha", "kennedi") as written there ("Nebenzha",
    "Kennedy"), and a word they only ever capitalise inside a sentence ("sweden") capitalised
    ("Sweden"; a sentence's first word, "Economic data shows…", says nothing of how the word
    is written)."""
    if not read_as:
        return read_as
    typed = {}
    # composed first: a combining accent ("Erdog" + U+0306 + "n") is no word break
    for word in _WORD.findall(unicodedata.normalize("NFC", question)):
        typed.setdefault(fold(word), word)
    names = {token for token in read_as.values() if not is_english(token)}
    words = set(read_as.values()) - names
    written: dict[str, str] = {}
    lower: set[str] = set()  # English words the passages also write in lower case
    for record in records:
        text = record.text
        found = list(_WORD.finditer(text))
        firsts = {m.start() for s, e in record.sentences or ((0, len(text)),)
                  if (m := _WORD.search(text, s, e))}
        for match, token in zip(found, stems([fold(m[0]) for m in found]), strict=True):
            word = match[0]
            if token in names:
                written.setdefault(token, word)
            folded = fold(word)
            if folded in words:
                if word == folded:
                    lower.add(folded)
                elif match.start() not in firsts:
                    written.setdefault(folded, word)
    return {typed.get(mistyped, mistyped): token if token in lower else written.get(token, token)
            for mistyped, token in read_as.items()}


_WORD = re.compile(r"\w+")


def gate_evidence(snapshot: Snapshot, ranked: Ranked, best: int, record: PassageRecord,
                  passage_tokens: set[str] | None = None) -> GateEvidence:
    """What the relevance gate weighs: the best passage's meaning and words, and its article's
    (the words weighted by their rarity in English, not in the corpus: index/search/rarity.py).
    `passage_tokens`, if known, is `set(tokenize(record.text))`."""
    tokens, rarity = ranked.tokens, ranked.rarity
    article = int(ranked.articles[best])
    if passage_tokens is None:
        passage_tokens = set(tokenize(record.text))
    return GateEvidence(
        similarity=float(ranked.similarities[best]),
        passage_coverage=coverage(tokens, rarity, passage_tokens),
        article_coverage=coverage(tokens, rarity,
                                  snapshot.articles.coverage_mask(tokens, article)),
        best_similarity=float(ranked.similarities.max()),
        article_lead=_article_lead(ranked, best))


def _article_lead(ranked: Ranked, best: int) -> float:
    """How far the best passage's article stands above every other candidate article."""
    others = ranked.article_scores[ranked.articles != ranked.articles[best]]
    return float(ranked.article_scores[best] - (others.max() if len(others) else 0.0))


def _distinct(snapshot: Snapshot, ranked: Ranked, k: int) -> list[int]:
    """Positions of the best `k` candidates, skipping near-duplicates of one already taken."""
    pool = min(len(ranked.ids), max(4 * k, 20))
    vectors = snapshot.dense.vectors(ranked.ids[:pool])
    chosen: list[int] = []
    for i in range(pool):
        if chosen and float((vectors[chosen] @ vectors[i]).max()) >= DUPLICATE_COSINE:
            continue
        chosen.append(i)
        if len(chosen) == k:
            break
    return chosen


def _past_dateline(snapshot: Snapshot, record: PassageRecord, highlight: str) -> str:
    """The highlight, after its dateline when it opens its article ("(CNN)The …" is "The …"),
    as summaries quote it; the dateline stays in the passage shown around it."""
    skip = after_dateline(highlight)
    if not skip or record.paragraphs[0] != 1 or not record.text.startswith(highlight):
        return highlight
    stored = snapshot.metadata.article_body(record.article)  # rare: only a dateline's passage
    if stored is None or not stored[1] or stored[1][0][0] != record.start:
        return highlight
    return highlight[skip:]


def _highlights(idf_by_word: Sequence[dict[str, float]], records: list[PassageRecord],
                sentences: list[SentenceTokens] | None = None, question: str = "",
                weights: RankWeights = DEFAULT_WEIGHTS) -> list[str]:
    """The sentence of each text sharing the rarest words with the question (verbatim), by
    the first of `idf_by_word` that any of its sentences holds; `sentences` are the records'
    `sentence_tokens` when already known. When the question asks for a date or a number, a
    sentence holding one gains as a candidate's best sentence does in the ranking
    (`answer_kind` against `sentence` × its share of the question's words): "How old was
    she when…" bolds "a 34-year-old teacher", not the lede that repeats every name.

    Lexical on purpose, as the ranking's best sentence is (index/search/sentences.py); ties go
    to the earlier sentence.
    """
    kind = answer_type.expected(question) if question else None
    best = []
    for record, (spans, tokens, _) in zip(records, sentences or map(sentence_tokens, records),
                                         strict=True):
        for by in idf_by_word:
            scores = [overlap(by, t) for t in tokens]
            if max(scores) > 0:
                break
        if kind is not None:
            total = sum(by.values()) or 1.0
            scores = [weights.sentence * held / total + weights.answer_kind
                      * answer_type.holds(kind, record.text[start:end], question) if held else 0.0
                      for held, (start, end) in zip(scores, spans, strict=True)]
        start, end = spans[max(range(len(scores)), key=lambda i: (scores[i], -i))]
        best.append(record.text[start:end])
    return best
