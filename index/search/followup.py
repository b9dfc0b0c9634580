"""Follow-up questions, answered in the context of the conversation so far.

There is no generative model to rewrite "when did he send it to parliament?" into a full
question, so a follow-up is searched with what retrieval offers:

- the last question that stood on its own is searched together with the follow-up;
- passages of the article the last answer cited first, and paragraphs near those it cited,
  get a bonus (`ContextWeights`);
- a follow-up that needs no context (no pronoun or ellipsis to resolve, and the corpus answers
  it on its own) is searched alone, so a change of subject is not dragged back and a full
  question is never made worse by what came before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from index.ingest.embedding import Embedder
from index.search.gate import DEFAULT_THRESHOLD, probability
from index.search.hybrid import (
    DEFAULT_WEIGHTS,
    MAX_QUESTION_CHARS,
    Answer,
    RankWeights,
    answer_from,
    boosted,
    check_question,
    gate_evidence,
    rank,
    search,
)
from index.search.scope import Scope
from index.store.lexical import fold, tokenize
from index.store.snapshot import Snapshot


@dataclass(frozen=True)
class Turn:
    """An earlier message of a conversation: what was asked, whether it stood on its own,
    and the passages its answer cited (article id, paragraph numbers), best first."""

    question: str
    standalone: bool = True
    cited: tuple[tuple[str, tuple[int, ...]], ...] = ()

    @classmethod
    def of(cls, answer: Answer, standalone: bool) -> Turn:
        """The turn an answer leaves: its question as searched, and the passages it cited
        (none when refused: a refusal establishes no subject)."""
        cited = tuple((h.article, h.paragraphs) for h in answer.hits) if answer.answered else ()
        return cls(answer.question, standalone, cited)


@dataclass(frozen=True)
class ContextWeights:
    """How a follow-up's candidates are scored: `(1 - earlier)` × their fused score for the
    follow-up alone + `earlier` × their fused score for the last standalone question and the
    follow-up together, plus bonuses on the fused score's scale (about 0-2).

    `article`: a passage of the article the last answer cited first. `nearby`: a passage whose
    paragraphs lie close to those the last answer cited, 1 / (1 + distance), weighted by the
    cited hit's rank. Chosen on the fit half of the SQuAD conversations
    (`briefing eval --conversations`).
    """

    earlier: float = 0.25
    article: float = 0.6
    nearby: float = 0.15
    in_subject_gate: float = 0.5  # × the gate threshold when the answer stays in the article


DEFAULT_CONTEXT = ContextWeights()

# Words that point back at something said before: a message holding one cannot be read alone.
_POINTERS = frozenset({
    "he", "she", "it", "they", "them", "him", "her", "his", "hers", "its", "their", "theirs",
    "this", "that", "these", "those", "there", "then", "such", "same", "other", "else",
    "instead", "either", "too", "also", "one", "ones"})
_LEADS = re.compile(r"^\s*(and|but|so|or|also|what about|how about|why not|same for|"
                    r"and what|what else|anything else|any other)\b", re.IGNORECASE)
# Openers that announce a new subject: context must not drag the answer back.
_NEW_SUBJECT = re.compile(r"\b(diff(erent)? (topic|subject|question|thing)|new (topic|subject|"
                          r"question)|unrelated|switch(ing)? (gears|topics?)|change of subject|"
                          r"changing (the )?subject|on another note|random q(uestion)?|"
                          r"btw|by the way|nvm|never ?mind|forget (that|it)|"
                          r"something else|other topic)\b", re.IGNORECASE)
# Words that carry no subject of their own: question words and auxiliaries (the tokenizer's
# stop list keeps many of them).
_FUNCTION = frozenset({
    "what", "when", "where", "why", "how", "who", "whom", "which", "whose", "did", "does",
    "do", "done", "is", "are", "was", "were", "be", "been", "can", "could", "would", "should",
    "will", "may", "might", "must", "has", "have", "had", "come", "so", "about", "from", "tho",
    "though", "just", "really", "even", "ever", "still", "now", "then", "any", "some"})
# Content words (stemmed, stop words, pointers and question words removed) from which a
# message stands on its own.
SELF_CONTAINED = 5
_OPENER_END = re.compile(r"[^,:;!?—–]{0,25}?(?:[,:;!?—–]+|\.(?=\s)|\s-\s)\s*")
_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def changes_subject(text: str) -> bool:
    """Does the message announce a new subject ("btw", "different question", "nvm that")?"""
    return bool(_NEW_SUBJECT.search(text))


def without_opener(text: str) -> str:
    """The question after a subject-change opener ("ok diff topic, does …" → "does …"): the
    opener's words are not part of what is asked, and would only lower the gate's coverage."""
    match = _NEW_SUBJECT.search(text)
    if not match or match.start() > 30:
        return text
    rest = _OPENER_END.match(text, match.end())
    remainder = text[rest.end():] if rest else text[match.end():]
    remainder = re.sub(r"^\s*(but|and|so|ok(ay)?)\b\W*", "", remainder, flags=re.IGNORECASE)
    return remainder.strip() or text


def asks_anew(text: str) -> bool:
    """Is the message a whole question of its own, however short ("where is the harbour?"):
    three words or more, a question word or auxiliary among them, and no pronoun or leading
    "and"/"what about" to resolve? A bare keyword ("grain?") is elliptical: it stays in the
    conversation."""
    words = [w.lower() for w in _WORDS.findall(text)]
    return (len(words) >= 3 and any(w in _FUNCTION for w in words)
            and not _LEADS.match(text) and not set(words) & _POINTERS)


def needs_context(text: str) -> bool:
    """Does the message point back at the conversation: a leading "and"/"what about", a
    pronoun in a short message, or too few content words to be a question on its own ("how
    come?")? A message of SELF_CONTAINED content words or more is read on its own even with a
    pronoun in it ("why is Russia backing Hamas when it used to court Israel?")."""
    if changes_subject(text):
        return False
    if _LEADS.match(text):
        return True
    words = [w.lower() for w in _WORDS.findall(text)]
    content = len(set(tokenize(" ".join(w for w in words
                                        if w not in _POINTERS and w not in _FUNCTION))))
    if content < 2:
        return True
    return bool(set(words) & _POINTERS) and content < SELF_CONTAINED


def ask_followup(snapshot: Snapshot, embedder: Embedder, text: str, turns: Sequence[Turn],
                 k: int, gate_threshold: float = DEFAULT_THRESHOLD,
                 max_chars: int = MAX_QUESTION_CHARS, highlights: bool = True,
                 weights: RankWeights = DEFAULT_WEIGHTS,
                 context: ContextWeights = DEFAULT_CONTEXT,
                 scope: Scope | None = None) -> tuple[Answer, bool]:
    """The answer to `text` after `turns` (oldest first), and whether it stood on its own.

    A message that stands on its own gets exactly the answer it would get as a first
    question.
    """
    text = check_question(text, max_chars)
    new_subject = bool(turns) and changes_subject(text)
    if new_subject:
        text = without_opener(text)
    alone = search(snapshot, embedder, text, k, gate_threshold, max_chars, highlights, weights,
                   scope)
    if not turns or new_subject or (alone.answered and not needs_context(text)):
        return alone, True
    if alone.answered and asks_anew(text) and turns[-1].cited \
            and alone.hits[0].article != turns[-1].cited[0][0]:
        # A short question with nothing pointing back ("when is the eclipse?") that another
        # article answers: a new subject, and the anchor of the follow-ups after it.
        return alone, True
    anchor = next((t.question for t in reversed(turns) if t.standalone), turns[0].question)
    combined_text = check_question(f"{anchor} {text}", max_chars + len(anchor) + 1)
    near = _context_passages(snapshot, turns[-1].cited)
    gone = bool(turns[-1].cited) and not near  # the article it cited was removed since
    near_ids = np.fromiter(near, dtype=np.int64, count=len(near))
    combined = rank(snapshot, embedder, combined_text, weights=weights, also=near_ids,
                    scope=scope, asking=text)
    if not len(combined.ids):
        return alone, True
    own = rank(snapshot, embedder, text, weights=weights, also=combined.ids, scope=scope)
    own_score = dict(zip(own.ids.tolist(), own.scores.tolist(), strict=True))
    floor = float(own.scores.min()) if len(own.scores) else 0.0
    ids = combined.ids.tolist()
    scores = np.array([own_score.get(passage, floor) for passage in ids])
    # A message with no content word of its own ("and now?") cannot rank anything: then the
    # earlier question carries the whole weight.
    earlier = context.earlier if len(own.tokens) >= 2 else 1.0
    bonus = (earlier * combined.scores + (1 - earlier) * scores - combined.scores
             + np.array([context.article * (passage in near)
                         + context.nearby * near.get(passage, 0.0) for passage in ids]))
    ranked = boosted(combined, bonus)
    # highlighted by its own words: the earlier question's rare names would bold the
    # sentence that answered it, not this one
    answer = answer_from(snapshot, ranked, text, k, gate_threshold, highlights, highlight_by=own,
                         weights=weights)
    if not answer.hits:
        return replace(answer, context_gone=gone), False
    top = int(ranked.ids[0])
    [record] = snapshot.metadata.passages([top])
    on_own = probability(gate_evidence(snapshot, own, int(np.flatnonzero(own.ids == top)[0]),
                                       record))
    confidence = max(answer.confidence, on_own)
    threshold = gate_threshold * (context.in_subject_gate if top in near else 1.0)
    # only the words this message misspelt (the combined ranking also read the earlier one;
    # the answer names them as typed, the ranking folded)
    read_as = {typed: word for typed, word in answer.read_as.items()
               if fold(typed) in own.read_as}
    return replace(answer, answered=confidence >= threshold,
                   confidence=round(confidence, 4), read_as=read_as, context_gone=gone), False


def _context_passages(snapshot: Snapshot, cited: Sequence[tuple[str, tuple[int, ...]]]
                      ) -> dict[int, float]:
    """Passage ids of the article cited first, each with its closeness to the passages cited from
    it: 1 / (1 + paragraph distance) to the hit ranked r, halved for each rank below the
    first, the best over hits."""
    if not cited:
        return {}
    article = cited[0][0]
    anchors = [(p, 0.5 ** rank) for rank, (a, paragraphs) in enumerate(cited) if a == article
               for p in paragraphs]
    return {passage: max(weight / (1.0 + min(abs(p - c) for p in paragraphs))
                         for c, weight in anchors)
            for passage, paragraphs in snapshot.metadata.paragraphs_of(article).items()}
