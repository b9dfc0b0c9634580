"""BM25 over passages (bm25s), with diacritics folded so "Erdoğan" matches "Erdogan"."""

from __future__ import annotations

import functools
import importlib.util
import logging
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.store.files import read_array, read_json

K1 = 1.2   # BM25 term-frequency saturation
B = 0.75   # BM25 length normalisation
_TOKEN = re.compile(r"[^\W_]+")
_ASCII_TOKEN = re.compile(r"[A-Za-z0-9]+")  # what `_TOKEN` matches in ASCII text
# Every other ASCII character as a space: in ASCII text, `text.translate(_ASCII_SPACES).split()`
# is `_ASCII_TOKEN.findall(text)` in half the time, and keeps every position.
_ASCII_SPACES = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})
STEM_CACHE = 100_000  # words whose stems are remembered (about 15 MB at most)
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
# Letters that Unicode does not decompose into a base letter plus a mark.
_FOLD_EXTRA = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae",
                             "œ": "oe", "þ": "th"})
# Whether a text holds any of them: `str.translate` with a table costs about 50 µs for a
# 300-character passage even when nothing changes; this search, about 3.
_FOLD_EXTRA_ANY = re.compile("[" + "".join(map(chr, _FOLD_EXTRA)) + "]")


def fold(text: str) -> str:
    """Lowercase and strip accents: "Erdoğan Türkiye" -> "erdogan turkiye"."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    if _FOLD_EXTRA_ANY.search(lowered):
        lowered = lowered.translate(_FOLD_EXTRA)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return _COMBINING.sub("", decomposed) if _COMBINING.search(decomposed) else decomposed


@functools.cache
def _stopwords() -> frozenset[str]:
    """bm25s's English stop words, read from its stopwords module alone: importing the bm25s
    package loads SciPy, 0.15 s of every cold start that only asks. Should a later bm25s move
    them, they are imported the slow way."""
    try:
        words = _module_file_attribute("bm25s", "stopwords.py", "STOPWORDS_EN")
    except (ImportError, OSError, AttributeError):
        from bm25s.stopwords import STOPWORDS_EN as words
    return frozenset(words) | {"s", "t"}


def _module_file_attribute(package: str, file: str, name: str):
    """`name` as defined by one file of `package`, run on its own (the package not imported)."""
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise ImportError(f"{package} is not installed")
    source = Path(next(iter(found.submodule_search_locations))) / file
    spec = importlib.util.spec_from_file_location(f"_{package}_{source.stem}", source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot read {source}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


@functools.cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Folded, stop-word-free words, before stemming."""
    folded = fold(text)
    stop = _stopwords()
    found = (folded.translate(_ASCII_SPACES).split() if folded.isascii()
             else _TOKEN.findall(folded))
    return [w for w in found if w not in stop]


_STEMS: dict[str, str] = {}
# News writes "Oct. 24" where a reader asks about October (AP style abbreviates these months
# before a day). "Jan" is left alone: it is also a first name.
_MONTH_ABBREVIATIONS = {"feb": "february", "aug": "august", "sep": "september",
                        "sept": "september", "oct": "october", "nov": "november",
                        "dec": "december"}


_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)")


def _same_word(stem: str) -> str:
    """The stem a stem stands for: a month's abbreviation its name's, "24th" "24"."""
    found = _ORDINAL.fullmatch(stem)
    return found.group(1) if found else _same_stem().get(stem, stem)


@functools.cache
def _same_stem() -> dict[str, str]:
    """Stems that stand for another word's stem: a month's abbreviation for its name's."""
    return dict(zip(_MONTH_ABBREVIATIONS,
                    _stemmer().stemWords(list(_MONTH_ABBREVIATIONS.values())), strict=True))


def stems(words: Sequence[str]) -> list[str]:
    """The stemmed token of each word ("oct" gets that of "october", "24th" "24"), remembered:
    a dictionary look-up costs a tenth of a call into PyStemmer (whose own cache is behind a
    slower call). Emptied when full; safe to call from several threads (a word stemmed twice
    gets the same stem)."""
    known = [_STEMS.get(w) for w in words]
    if None not in known:
        return known
    missing = [w for w, stem in zip(words, known, strict=True) if stem is None]
    fresh = {w: _same_word(stem)
             for w, stem in zip(missing, _stemmer().stemWords(missing), strict=True)}
    if len(_STEMS) + len(fresh) > STEM_CACHE:
        _STEMS.clear()
    _STEMS.update(fresh)
    return [fresh[w] if stem is None else stem for w, stem in zip(words, known, strict=True)]


def tokenize(text: str) -> list[str]:
    """Folded, stop-word-free, stemmed word tokens."""
    return stems(words(text))


def span_tokens(text: str, spans: Sequence[tuple[int, int]]
                ) -> tuple[list[set[str]], set[str] | None]:
    """`set(tokenize(text[s:e]))` for each span, and `set(tokenize(text))` when the spans
    are seen to hold every word of the text (else None); the same sets, computed with one
    stemming call per text instead of one per span.

    Exact by construction: for ASCII text `fold` is `str.lower`, which keeps every position, so
    the words of a span are the words of the text's slice between its bounds (`words` splits
    ASCII text with `_ASCII_SPACES`, which keeps positions too). The whole text's words are the
    spans' words when the spans are ordered and disjoint, no word crosses a span's edge and
    none lies between spans. Other text is tokenized span by span, as before.
    """
    lowered = text.lower()  # `fold` of ASCII text
    if not lowered.isascii() or any(start < 0 or end < 0 for start, end in spans):
        return [set(tokenize(text[start:end])) for start, end in spans], None
    stop = _stopwords()
    spaced = lowered.translate(_ASCII_SPACES)
    found = [[w for w in spaced[start:end].split() if w not in stop] for start, end in spans]
    stemmed = iter(stems([w for ws in found for w in ws]))
    sets = [{next(stemmed) for _ in ws} for ws in found]
    return sets, (set().union(*sets) if _spans_hold_all_words(lowered, spans) else None)


def _spans_hold_all_words(ascii_text: str, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether every word (pattern match) of `ascii_text` lies inside one of `spans`, uncut."""
    n, previous = len(ascii_text), 0
    for start, end in spans:
        if start < previous or end < start or _ASCII_TOKEN.search(ascii_text, previous, start):
            return False
        for edge in (start, end):
            if 0 < edge < n and ascii_text[edge - 1].isalnum() and ascii_text[edge].isalnum():
                return False
        previous = end
    return _ASCII_TOKEN.search(ascii_text, previous) is None


class LexicalIndex:
    """BM25 scores of every passage for a query, from a sparse precomputed matrix."""

    def __init__(self, vocabulary: dict[str, int], postings: dict, model=None) -> None:
        """`vocabulary` maps each token to its column of `postings` (bm25s's CSC arrays
        "indptr", "indices", "data" and "num_docs"); `model` is the bm25s model when this
        index was just built (what `save` writes)."""
        self._vocabulary = vocabulary
        self._model = model
        # Plain views of the (memory-mapped) postings: every scalar read or slice of a
        # np.memmap goes through Python-level __getitem__/__array_finalize__, several
        # microseconds each, and a question reads dozens.
        self._indptr = np.asarray(postings["indptr"])
        self._indices = np.asarray(postings["indices"])
        self._data = np.asarray(postings["data"])
        self._docs = int(postings["num_docs"])

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        """Index the given passage texts (row i is passage i)."""
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        model = bm25s.BM25(k1=K1, b=B, method="lucene")
        model.index([tokenize(t) for t in texts], show_progress=False)
        return cls(model.vocab_dict, model.scores, model)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        """Read an index saved with `save`: bm25s's files (`bm25s.BM25.load` with mmap reads
        the same; a test checks that), read here because importing bm25s loads SciPy."""
        directory = Path(directory)
        params = read_json(directory / "params.index.json")
        vocabulary = read_json(directory / "vocab.index.json")
        postings = {name: read_array(directory / f"{name}.csc.index.npy", mmap=True)
                    for name in ("indptr", "indices", "data")}
        return cls(vocabulary, {**postings, "num_docs": params["num_docs"]})

    def save(self, directory: Path) -> None:
        """Write a just-built index into `directory`."""
        if self._model is None:
            raise ValueError("only a just-built lexical index can be saved")
        self._model.save(str(directory))

    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 inverse document frequency of each token (tokens never seen get the highest)."""
        df = np.array([span.stop - span.start for span in map(self._postings, tokens)],
                      dtype=np.float64)
        n = float(self._docs)
        return np.log1p((n - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> np.ndarray | None:
        """BM25 score of every passage, or None when no query word occurs in the corpus."""
        return self.scores_of_tokens(tokenize(query))

    def scores_of_tokens(self, tokens: Sequence[str]) -> np.ndarray | None:
        """`scores` of a question already tokenized with `tokenize` (a repeated token counts
        again, as in bm25s).

        Adds each token's precomputed postings into one array, in token order, as bm25s's
        `get_scores` does (same float32 sums), without its per-call overhead. `np.add.at`
        adds in place: `scores[rows] += weights` gathers, adds and scatters, twice as slow
        for the ~28k postings of a question at 100k passages (the same sums: rows are
        distinct within a span).
        """
        spans = [span for span in map(self._postings, tokens) if span.stop > span.start]
        if not spans:
            return None
        scores = np.zeros(self._docs, dtype=self._data.dtype)
        for span in spans:
            np.add.at(scores, self._indices[span], self._data[span])
        return scores

    def vocabulary(self) -> list[str]:
        """Every token of the indexed texts."""
        return list(self._vocabulary)

    def occurs_in(self, tokens: Sequence[str], row: int) -> np.ndarray:
        """Which of `tokens` occur in the text of `row` (read from the index's postings, whose
        rows are sorted, so each is one binary search)."""
        found = np.zeros(len(tokens), dtype=bool)
        for i, token in enumerate(tokens):
            rows = self._indices[self._postings(token)]
            at = int(np.searchsorted(rows, row))
            found[i] = at < len(rows) and int(rows[at]) == row
        return found

    def _postings(self, token: str) -> slice:
        """Where `token`'s rows and weights lie in the postings (empty for an unseen token)."""
        v = self._vocabulary.get(token)
        if v is None:
            return slice(0, 0)
        return slice(int(self._indptr[v]), int(self._indptr[v + 1]))
