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

import contextlib
import functools
import hashlib
import json
import logging
import math
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO, TypeVar

import numpy as np

from index.search.contractions import STANDS_FOR

log = logging.getLogger(__name__)
T = TypeVar("T")

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
    with FLOOR at 3 the large list would change nothing, and loads 8x slower). Read from the
    model cache (`_cache_files`); importing wordfreq itself costs a process 0.3-0.6 s."""
    zipf = _read_cached("small", lambda path: json.loads(path.read_text(encoding="utf-8")))
    return zipf if zipf is not None else small_list_zipf()


def small_list_zipf() -> dict[str, float]:
    """`_zipf`, from wordfreq itself."""
    from wordfreq import get_frequency_dict

    return {word: math.log10(frequency) + 9.0
            for word, frequency in get_frequency_dict("en", "small").items()}


def rarities(surface: Sequence[str], stemmed: Sequence[str], tokens: Sequence[str]
              ) -> np.ndarray:
    """The rarity of each of `tokens`, from its rarest word among `surface` (a text's words,
    `index.store.lexical.words`) whose stem (`stemmed`, in the same order) it is; a token no
    word yields gets the rarity of an unknown word. A contraction's piece ("didn") weighs as
    the word it stands for ("did")."""
    zipf = _zipf()
    best: dict[str, float] = {}
    for word, token in zip(surface, stemmed, strict=True):
        rarity = CEILING - max(zipf.get(STANDS_FOR.get(word, word), 0.0), FLOOR)
        best[token] = max(best.get(token, 0.0), rarity)
    unknown = CEILING - FLOOR
    return np.array([max(best.get(t, unknown), 0.0) for t in tokens], dtype=np.float64)


def zipf_of(word: str) -> float:
    """The Zipf frequency of one of the English words at or above Zipf 3 (0 for others)."""
    return _zipf().get(word, 0.0)


def is_english(word: str) -> bool:
    """Whether a folded word is one of the English words at or above Zipf 3."""
    return word in _zipf()


def is_word(word: str) -> bool:
    """Whether English text uses a folded word at all: is it in wordfreq's large list?"""
    return _large_list_row(word) is not None


def word_zipf(word: str) -> float | None:
    """The Zipf frequency of a folded word in wordfreq's large list (to a tenth), or None
    when the list does not hold it or its frequencies could not be cached."""
    row, zipfs = _large_list_row(word), _large_list_zipfs()
    return None if row is None or row >= len(zipfs) else int(zipfs[row]) / 10


def _large_list_row(word: str) -> int | None:
    hashes, key = _word_hashes(), _hash(word)
    at = int(np.searchsorted(hashes, key))
    return at if at < len(hashes) and int(hashes[at]) == key else None


def _hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


@functools.cache
def _word_hashes() -> np.ndarray:
    """The large list's words as sorted 64-bit hashes (3 MB, where the list itself costs a
    process 36 MB of RSS), from the model cache (`_cache_files`), so that no serving process
    ever holds the list. Without it only the small list's words count as words."""
    hashes = _read_cached("large", lambda path: np.load(path, allow_pickle=False))
    return hashes if hashes is not None else np.zeros(0, dtype=np.uint64)


@functools.cache
def _large_list_zipfs() -> np.ndarray:
    """The Zipf frequency × 10 of each word of `_word_hashes`, in its order (uint8)."""
    zipfs = _read_cached("large-zipf", lambda path: np.load(path, allow_pickle=False))
    return zipfs if zipfs is not None else np.zeros(0, dtype=np.uint8)


def _read_cached(size: str, read: Callable[[Path], T]) -> T | None:
    """`read` of the cached file of wordfreq's `size` list, or None (logged). A file that
    cannot be read is deleted, so that the next process writes it again."""
    files = _cache_files()
    if files is None:
        return None
    try:
        return read(files[size])
    except (OSError, ValueError) as err:
        log.warning("cannot read %s (%s); it will be written again", files[size], err)
        with contextlib.suppress(OSError):
            files[size].unlink()
        return None


@functools.cache
def _cache_files() -> dict[str, Path] | None:
    """The model cache's files of wordfreq's lists ("small": Zipf frequencies as JSON,
    "large": `_word_hashes`, "large-zipf": `_large_list_zipfs`), all written first by one
    child process if any is missing
    (that process imports wordfreq and holds its lists, never this one); None, once per
    process, if they cannot be."""
    from importlib.metadata import version

    from index.ingest.embedding import default_cache_dir

    folder = default_cache_dir()
    paths = {name: folder / f"wordfreq-en-{name}-{version('wordfreq')}.{kind}"
             for name, kind in (("small", "json"), ("large", "npy"), ("large-zipf", "npy"))}
    try:
        if not all(path.exists() for path in paths.values()):
            folder.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, "-c", "import sys; from index.search.rarity import "
                            "write_word_lists; write_word_lists(*sys.argv[1:])",
                            *map(str, paths.values())],
                           check=True, capture_output=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as err:
        log.warning("cannot cache wordfreq's lists in %s (%s): reading the small list from "
                    "wordfreq itself, without the large one", folder, err)
        return None
    return paths


def write_word_lists(small: str, large: str, large_zipf: str) -> None:
    """Write the files `_cache_files` names (atomically: processes may race to write them)."""
    from wordfreq import get_frequency_dict

    _write(small, lambda handle: handle.write(json.dumps(small_list_zipf()).encode()))
    frequencies = get_frequency_dict("en", "large")
    hashes = np.fromiter((_hash(w) for w in frequencies), dtype=np.uint64,
                         count=len(frequencies))
    zipfs = np.fromiter((round(10 * (math.log10(f) + 9)) for f in frequencies.values()),
                        dtype=np.int64, count=len(frequencies)).clip(0, 255).astype(np.uint8)
    hashes, first = np.unique(hashes, return_index=True)  # sorted, one row per hash
    _write(large, lambda handle: np.save(handle, hashes))
    _write(large_zipf, lambda handle: np.save(handle, zipfs[first]))


def _write(path: str, write: Callable[[BinaryIO], object]) -> None:
    temporary = Path(f"{path}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@functools.cache
def english_words() -> tuple[str, ...]:
    """Those words, as a sequence (what fuzzy matching searches)."""
    return tuple(_zipf())


def warm_up() -> None:
    """Load the word frequencies now rather than on the first question."""
    _zipf()
    _word_hashes()
    _large_list_zipfs()
