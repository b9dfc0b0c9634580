"""Recognising an item already held: by guid, by cleaned URL, or by near-identical text.

URLs are compared after `bot.fetch.clean_url` (courlan's normalisation: tracking parameters
such as utm_* and fbclid removed, host lower-cased, default port dropped, query sorted, no
fragment).
Text is compared with MinHash over word 3-grams: a syndicated copy of an article under another
URL or in another feed shares nearly all of them, a different report on the same event few.
"""

from __future__ import annotations

import re

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SCHEME = "affine32"  # datasketch's permutation scheme; stored signatures depend on it
SHINGLE = 3
THRESHOLD = 0.6  # estimated Jaccard similarity of 3-gram sets at which two texts are one
MIN_WORDS = 40  # texts shorter than this are not compared: too few shingles to be reliable
_WORD = re.compile(r"\w+")


def signature(text: str) -> MinHash | None:
    """The MinHash of a text's word 3-grams, or None when it is too short to compare."""
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS:
        return None
    shingles = {" ".join(words[i:i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}
    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    minhash.update_batch(list(shingles))
    return minhash


def to_bytes(minhash: MinHash | None) -> bytes | None:
    """A signature as stored in the database."""
    return None if minhash is None else minhash.hashvalues.astype(np.uint32).tobytes()


def from_bytes(data: bytes) -> MinHash:
    """A stored signature back as a MinHash."""
    return MinHash(num_perm=NUM_PERM, scheme=SCHEME,
                   hashvalues=np.frombuffer(data, dtype=np.uint32))


class NearDuplicates:
    """The articles already held, looked up by text similarity (an in-memory LSH index)."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._signatures: dict[str, MinHash] = {}

    def add(self, article: str, minhash: MinHash | None) -> None:
        """Hold `article` (replacing its earlier text when it was held already)."""
        if minhash is None:
            return
        if article in self._signatures:
            self._lsh.remove(article)
        self._signatures[article] = minhash
        self._lsh.insert(article, minhash)

    def match(self, minhash: MinHash | None, exclude: str = "") -> str | None:
        """The held article most similar to `minhash` at or above the threshold, if any."""
        if minhash is None:
            return None
        best, best_score = None, self.threshold
        for candidate in self._lsh.query(minhash):
            if candidate == exclude:
                continue
            score = minhash.jaccard(self._signatures[candidate])
            if score >= best_score:
                best, best_score = candidate, score
        return best
