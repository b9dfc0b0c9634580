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
import hashlib
import logging
import math
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

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
    """Whether English text uses a folded word at all: is it in wordfreq's large list?"""
    hashes, key = _word_hashes(), _hash(word)
    at = int(np.searchsorted(hashes, key))
    return at < len(hashes) and int(hashes[at]) == key


def _hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


@functools.cache
def _word_hashes() -> np.ndarray:
    """The large list's words as sorted 64-bit hashes (3 MB, where the list itself costs a
    process 36 MB of RSS), written once per wordfreq version by a child process, so that no
    serving process ever holds the list."""
    from importlib.metadata import version

    from index.ingest.embedding import default_cache_dir

    path = default_cache_dir() / f"wordfreq-en-large-{version('wordfreq')}.npy"
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, "-c", "import sys; from index.search.rarity import "
                            "write_word_hashes; write_word_hashes(sys.argv[1])", str(path)],
                           check=True, capture_output=True, timeout=300)
        return np.load(path)
    except (OSError, ValueError, subprocess.SubprocessError):
        # e.g. a read-only cache folder: then only the small list's words count as words
        log.warning("wordfreq's large list is unavailable (%s): rarer English words may be "
                    "read as misspellings", path, exc_info=True)
        return np.zeros(0, dtype=np.uint64)


def write_word_hashes(path: str) -> None:
    """Write `_word_hashes` to `path` (atomically: processes may race to write it)."""
    from wordfreq import get_frequency_dict

    hashes = np.unique(np.fromiter((_hash(w) for w in get_frequency_dict("en", "large")),
                                   dtype=np.uint64))
    temporary = Path(f"{path}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        np.save(handle, hashes)
    os.replace(temporary, path)


@functools.cache
def english_words() -> tuple[str, ...]:
    """Those words, as a sequence (what fuzzy matching searches)."""
    return tuple(_zipf())


def warm_up() -> None:
    """Load the word frequencies now rather than on the first question."""
    _zipf()
    _word_hashes()
