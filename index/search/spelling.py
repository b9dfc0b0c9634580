"""Misspelt question words, read as the indexed word they were most likely meant to be.

People type questions to a chat bot fast: "what came out of the sochi meetng?", "what did
nebenzya say". A misspelt word matches no passage, so the ranking loses it and the relevance
gate counts it as a telling word the articles lack: over the seed article the first question
was refused at 0.02 and answers at 0.48 spelt right.

Only a word that is in no indexed passage *and* is not an English word is corrected: a real
word the articles lack ("football" in "Who is Turkey's football coach?") is evidence that they
don't cover the question and stays as typed. A candidate must be an indexed token within
`max_edits` (optimal string alignment: a swap of two letters is one edit) of the typed word,
either directly (names: "nebenzya" → "nebenzha") or through an English word whose stem is
indexed ("meetng" → "meeting" → "meet"). The fewest edits win, then the token in most
passages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from index.search.rarity import english_words, is_english
from index.store.base import LexicalSearch
from index.store.lexical import stems

SHORTEST = 5  # shorter words have too many neighbours one edit away to guess from
LONG = 10  # from this length two edits are allowed


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
    read_as: dict[str, str]  # typed word -> the word read instead (shown to the reader)


def correct(surface: Sequence[str], stemmed: Sequence[str], lexical: LexicalSearch
            ) -> Corrected:
    """`surface` words (`index.store.lexical.words`) and their `stemmed` tokens, each
    misspelt one replaced by the indexed token it most likely means."""
    suspects = sorted({(word, token) for word, token in zip(surface, stemmed, strict=True)
                       if max_edits(word) and not is_english(word)})
    if suspects:
        *idf, unseen = lexical.idf([t for _, t in suspects] + [_NEVER_A_TOKEN])
        suspects = [s for s, weight in zip(suspects, idf, strict=True) if weight >= unseen]
    if not suspects:
        return Corrected(list(surface), list(stemmed), {})
    meant: dict[str, tuple[str, str]] = {}  # typed word -> (surface word, token)
    for word, token in suspects:
        if best := _nearest(word, token, lexical):
            meant[word] = best
    new_surface = [meant[w][0] if w in meant else w for w in surface]
    new_stemmed = [meant[w][1] if w in meant else t
                   for w, t in zip(surface, stemmed, strict=True)]
    # a name is shown as its indexed token; an English word as itself
    return Corrected(new_surface, new_stemmed,
                     {w: m[1] if m[0] == w else m[0] for w, m in meant.items()})


_NEVER_A_TOKEN = "\x01"  # no text yields it: its IDF is that of a token in no passage


def _nearest(word: str, token: str, lexical: LexicalSearch) -> tuple[str, str] | None:
    """The (surface word, token) `word` most likely means, or None."""
    limit = max_edits(word)
    # (edits, surface word, token): indexed tokens near the typed token keep the typed word
    # as their surface form (a name is as telling misspelt as spelt right).
    found = [(edits, word, near) for near, edits in _within(token, limit,
                                                            _buckets(lexical.vocabulary()))]
    english = _within(word, limit, _buckets(english_words()))
    found += [(edits, w, t) for (w, edits), t in zip(
        english, stems([w for w, _ in english]), strict=True)]
    if not found:
        return None
    *idf, unseen = lexical.idf([t for *_, t in found] + [_NEVER_A_TOKEN])
    # fewest edits, then the token in most passages (lowest IDF); English words whose stem
    # is in no passage drop out
    ranked = [(edits, weight, t, w) for (edits, w, t), weight in zip(found, idf, strict=True)
              if weight < unseen]
    if not ranked:
        return None
    _, _, best, surface_word = min(ranked)
    return surface_word, best


Buckets = dict[tuple[str, int], list[str]]
_BUCKETS: dict[int, tuple[Sequence[str], Buckets]] = {}  # id(words) -> (words, buckets)


def _buckets(words: Sequence[str]) -> Buckets:
    """`words` by first letter and length, built once per word list (the last few kept).

    A typo seldom hits the first letter, and a word `n` edits away differs in length by at
    most `n`: so only a few hundred of 100,000 indexed tokens are compared, not all (20 ms
    with rapidfuzz for all 300,000 of a large archive).
    """
    held = _BUCKETS.get(id(words))
    if held is not None and held[0] is words:
        return held[1]
    buckets: Buckets = {}
    for w in words:
        if w:
            buckets.setdefault((w[0], len(w)), []).append(w)
    if len(_BUCKETS) >= 4:
        _BUCKETS.clear()
    _BUCKETS[id(words)] = (words, buckets)
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
