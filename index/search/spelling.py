"""Misspelt question words, read as the indexed word they were most likely meant to be.

People type questions to a chat bot fast: "what came out of the sochi meetng?", "what did
nebenzya say". A misspelt word matches no passage, so the ranking loses it and the relevance
gate counts it as a telling word the articles lack: over the seed article the first question
was refused at 0.02 and answers at 0.48 spelt right.

Only a word that is in no indexed passage *and* that English text never uses (wordfreq's large
list: "hypersonic" and "outbid" are words, "meetng" is not) is corrected: a real word the
articles lack ("football" in "Who is Turkey's football coach?") is evidence that they don't
cover the question and stays as typed. The large list holds the commonest misspellings too
("isreal", "goverment", "russain"): a word below Zipf 3 typed in lower case (a capitalised one
is more likely a name: "Borger", "Pease") is read as an English word whose stem is indexed
only when that word is at least `RARER_BY` Zipf (~300 times) more common ("isreal", 2.1, as
"israel", 4.8; never "defund", 2.5, as "defend", 4.5). A candidate must be an indexed token within
`max_edits` (optimal string alignment: a swap of two letters is one edit) of the typed word,
either through an English word whose stem is indexed ("meetng" → "meeting" → "meet") or
directly (names: "nebenzya" → "nebenzha"). The fewest edits win, then the token in most
passages, then the English word.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from index.errors import BriefingError
from index.search.contractions import STANDS_FOR
from index.search.rarity import english_words, is_english, is_word, word_zipf, zipf_of
from index.store.base import LexicalSearch
from index.store.lexical import stems, words

log = logging.getLogger(__name__)

SHORTEST = 5  # shorter words have too many neighbours one edit away to guess from
LONG = 10  # from this length two edits are allowed
# How much more common (in Zipf: log10 of frequency) an English word must be than a rare real
# word typed for it to be read as meant. Set by the common misspellings and rare words of
# SQuAD's dev questions and CNN's highlights ("isreal" 2.7 below "israel", "goverment" 2.9
# below "government"; "defund" 2.0 below "defend", "signer" 2.2 below "signed").
RARER_BY = 2.5


def max_edits(word: str) -> int:
    """How many edits a typed word may be from what it meant (0: never corrected)."""
    if len(word) < SHORTEST or not word.isalpha():
        return 0
    return 1 if len(word) < LONG else 2


@dataclass(frozen=True)
class Corrected:
    """A question's words after correction, in the question's order."""

    surface: list[str]  # as typed, or the English word meant
    stemmed: list[str]  # their tokens (`index.store.lexical.stems`)
    read_as: dict[str, str]  # typed word -> the English word or indexed token read instead


_NEVER_A_TOKEN = "\x01"  # no text yields it: its IDF is that of a token in no passage
_ENGLISH, _DIRECT = 0, 1  # routes; on a tie the English word is preferred (its rarity is known)


def typed_in_lower_case(question: str) -> set[str]:
    """The words of `question` (as `index.store.lexical.words` gives them) typed without a
    capital letter: the `lower_case` of `correct`."""
    return set(words(" ".join(w for w in question.split() if w == w.lower())))


def correct(surface: Sequence[str], stemmed: Sequence[str], lexical: LexicalSearch, *,
            lower_case: Collection[str] = ()) -> Corrected:
    """`surface` words (`index.store.lexical.words`) and their `stemmed` tokens, each
    misspelt one replaced by the indexed token it most likely means; `lower_case`: the
    surface words typed in lower case (only those may be rare real words read as common
    ones). Best effort: a store that cannot list its vocabulary leaves the question as
    typed."""
    unchanged = Corrected(list(surface), list(stemmed), {})
    # a contraction's piece ("couldn" of "couldn't") is no misspelling of "could"
    pairs = dict.fromkeys((w, t) for w, t in zip(surface, stemmed, strict=True)
                          if max_edits(w) and not is_english(w) and w not in STANDS_FOR)
    if not pairs:
        return unchanged
    try:
        *idf, unseen = lexical.idf([t for _, t in pairs] + [_NEVER_A_TOKEN])
        suspects = [p for p, weight in zip(pairs, idf, strict=True)
                    if weight >= unseen and (p[0] in lower_case or not is_word(p[0]))]
        if not suspects:
            return unchanged
        meant = _nearest(suspects, lexical)
    except BriefingError as err:  # the database went away: the question is still asked
        log.warning("misspelt words left as typed: the vocabulary could not be read (%s)", err)
        return unchanged
    if not meant:
        return unchanged
    new_surface = [meant[w][0] if w in meant else w for w in surface]
    new_stemmed = [meant[w][1] if w in meant else t
                   for w, t in zip(surface, stemmed, strict=True)]
    # in the question's order; a name is shown as its indexed token, an English word as itself
    read_as = {w: meant[w][1] if meant[w][0] == w else meant[w][0]
               for w in dict.fromkeys(surface) if w in meant}
    return Corrected(new_surface, new_stemmed, read_as)


def _nearest(suspects: Sequence[tuple[str, str]], lexical: LexicalSearch
             ) -> dict[str, tuple[str, str]]:
    """typed word -> (surface word, token) it most likely means, for each suspect (typed
    word, its token) with a candidate: a word English uses only through a far commoner
    English word. One IDF look-up for all candidates (a round trip on PostgreSQL)."""
    indexed, english = _buckets_of(lexical), _english_buckets()
    found: list[tuple[str, int, int, str, str]] = []  # (typed, edits, route, surface, token)
    for word, token in suspects:
        real = is_word(word)
        limit, rare = max_edits(word), word_zipf(word) if real else None
        if real and rare is None:  # its frequency is unknown: leave it as typed
            continue
        near_english = [(w, edits) for w, edits in _within(word, limit, english)
                        if rare is None or zipf_of(w) >= rare + RARER_BY]
        found += [(word, edits, _ENGLISH, w, t) for (w, edits), t in zip(
            near_english, stems([w for w, _ in near_english]), strict=True)]
        if rare is not None:  # a real word is read as another word, never as a name
            continue
        # an indexed token near the typed one keeps the typed word as its surface form: a name
        # is as telling misspelt as spelt right
        found += [(word, edits, _DIRECT, word, near) for near, edits in _within(token, limit,
                                                                                indexed)]
    if not found:
        return {}
    *idf, unseen = lexical.idf([f[4] for f in found] + [_NEVER_A_TOKEN])
    best: dict[str, tuple] = {}
    for (word, edits, route, surface_word, token), weight in zip(found, idf, strict=True):
        if weight >= unseen:  # an English word whose stem is in no passage
            continue
        key = (edits, weight, route, token, surface_word)
        if word not in best or key < best[word]:
            best[word] = key
    return {word: (key[4], key[3]) for word, key in best.items()}


Buckets = dict[tuple[str, int], list[str]]
_INDEXED: weakref.WeakKeyDictionary[object, Buckets] = weakref.WeakKeyDictionary()
_INDEXED_LOCK = threading.Lock()


def _buckets_of(lexical: LexicalSearch) -> Buckets:
    """The store's vocabulary in buckets, built once per store (one per index generation;
    dropped with it)."""
    with _INDEXED_LOCK:
        held = _INDEXED.get(lexical)
        if held is None:
            held = _INDEXED[lexical] = _bucketed(lexical.vocabulary())
        return held


_english: Buckets | None = None


def _english_buckets() -> Buckets:
    global _english
    if _english is None:
        _english = _bucketed(english_words())
    return _english


def _bucketed(words: Sequence[str]) -> Buckets:
    """`words` by first letter and length.

    A typo seldom hits the first letter, and a word `n` edits away differs in length by at
    most `n`: so only a few hundred of 100,000 indexed tokens are compared, not all (20 ms
    with rapidfuzz for all 300,000 of a large archive).
    """
    buckets: Buckets = {}
    for w in words:
        if w:
            buckets.setdefault((w[0], len(w)), []).append(w)
    return buckets


def _within(word: str, limit: int, buckets: Buckets) -> list[tuple[str, int]]:
    """(candidate, edits) for each bucketed word at most `limit` edits from `word`."""
    found: list[tuple[str, int]] = []
    for length in range(len(word) - limit, len(word) + limit + 1):
        for near, edits, _ in process.extract(word, buckets.get((word[0], length), ()),
                                              scorer=OSA.distance, score_cutoff=limit,
                                              limit=None):
            found.append((near, int(edits)))
    return found
