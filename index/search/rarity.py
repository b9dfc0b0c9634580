"""How rare a question's words are in English at large: what the relevance gate weighs them by.

The gate asks how much of a question the best passage and its article cover, each word
weighted by how much it says. The corpus's own IDF is the wrong weight there: in a small
corpus every word the articles never use looks rarest, so "why", "blame" or a misspelt word
outweigh "Putin" and "Middle East", and a plainly covered question is refused with its
paragraph ranked first ("What does Putin blame the US for in the Middle East?" over the seed
article: 0.41 under IDF weights, 0.76 under these). How often a word occurs in English
(wordfreq's Zipf scale: log10 of its occurrences per billion words) does not depend on the
corpus: "why" says little anywhere, a name says a lot. Numbers are not in wordfreq's word
list, so "2023" counts as unknown: as telling as a name.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

# rarity = CEILING - Zipf frequency, every word rarer than Zipf FLOOR (or unknown: a name, a
# misspelling, a number) counted at FLOOR. Chosen once, by a sweep outside `briefing eval
# --fit` over the gate evidence of the fit halves: refitting the gate at each of ceilings 6.5-9
# and floors 0-3, this pair left the worst fit-half rate farthest above its target (README,
# "Measured quality").
CEILING = 8.0
FLOOR = 3.0


@functools.cache
def _zipf() -> dict[str, float]:
    """Zipf frequencies of the ~29,000 English words at or above Zipf 3 (wordfreq's small list:
    with FLOOR at 3 the large list would change nothing, and loads 8x slower)."""
    from wordfreq import get_frequency_dict

    return {word: math.log10(frequency) + 9.0
            for word, frequency in get_frequency_dict("en", "small").items()}


def rarities(surface: Sequence[str], stemmed: Sequence[str], tokens: Sequence[str]
              ) -> np.ndarray:
    """The rarity of each of `tokens`, from its rarest word among `surface` (a text's words,
    `index.store.lexical.words`) whose stem (`stemmed`, in the same order) it is; a token no
    word yields gets the rarity of an unknown word."""
    zipf = _zipf()
    best: dict[str, float] = {}
    for word, token in zip(surface, stemmed, strict=True):
        rarity = CEILING - max(zipf.get(word, 0.0), FLOOR)
        best[token] = max(best.get(token, 0.0), rarity)
    unknown = CEILING - FLOOR
    return np.array([max(best.get(t, unknown), 0.0) for t in tokens], dtype=np.float64)


def is_english(word: str) -> bool:
    """Whether a folded word is one of the English words at or above Zipf 3."""
    return word in _zipf()


def is_word(word: str) -> bool:
    """Whether English text uses a folded word at all (wordfreq's large list, ~36 MB, loaded
    on first use: only for words that no passage holds and the small list lacks)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") > 0


@functools.cache
def english_words() -> tuple[str, ...]:
    """Those words, as a sequence (what fuzzy matching searches)."""
    return tuple(_zipf())


def warm_up() -> None:
    """Load the word frequencies now rather than on the first question."""
    _zipf()
