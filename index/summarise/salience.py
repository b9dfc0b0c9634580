"""Unsupervised salience signals for the sentences of one article (pure functions on arrays).

Each function scores the sentences of a single article; `index/summarise/article.py` weighs
them. The
signals are the classic ones of extractive summarization (Edmundson 1969; Gillick & Favre 2009):
location (news puts the point first), centrality (a sentence close in meaning to the whole
article), keywords (words the article keeps coming back to), and penalties for sentences that
make poor summary lines (fragments, run-ons, quotations).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Sequence

import numpy as np

from index.ingest.splitting import QUOTE_MARKS
from index.search.fusion import min_max

_QUOTE_MARK = re.compile(f"[{QUOTE_MARKS}]")
_OPENING = re.compile(r"\s*[\"“„«]\S")


def position_prior(count: int, exponent: float) -> np.ndarray:
    """1 / (1 + i) ** exponent for sentence i: the lead counts most, later ones less and less."""
    return 1.0 / (1.0 + np.arange(count, dtype=np.float64)) ** exponent


def centrality(vectors: np.ndarray) -> np.ndarray:
    """Cosine of each (normalised) sentence vector to the article's centroid, scaled to [0, 1]."""
    if not len(vectors):
        return np.zeros(0)
    centroid = np.asarray(vectors, dtype=np.float64).mean(axis=0)
    norm = float(np.linalg.norm(centroid))
    if norm < 1e-12:
        return np.zeros(len(vectors))
    return min_max(vectors @ (centroid / norm))


def keyword_density(tokens: Sequence[set[str]]) -> np.ndarray:
    """Mean number of the article's sentences that share each of a sentence's words, in [0, 1].

    A sentence made of the words the article repeats is about what the article is about.
    """
    frequency = sentence_frequency(tokens)
    means = [float(np.mean([frequency[t] for t in words])) if words else 0.0
             for words in tokens]
    return min_max(np.array(means))


def sentence_frequency(tokens: Sequence[set[str]]) -> Counter[str]:
    """In how many sentences each word occurs."""
    return Counter(t for words in tokens for t in words)


def concept_weights(tokens: Sequence[set[str]], min_sentences: int = 2) -> dict[str, int]:
    """Words that recur (in at least `min_sentences` sentences), weighted by that count.

    These are the article's concepts; a summary should cover as much of their weight as it can.
    """
    return {t: n for t, n in sentence_frequency(tokens).items() if n >= min_sentences}


def coverage_gain(tokens: Sequence[set[str]], weights: dict[str, int],
                  covered: set[str]) -> np.ndarray:
    """Weight of the concepts each sentence would add to those already `covered`."""
    return np.array([sum(weights.get(t, 0) for t in words - covered) for words in tokens],
                    dtype=np.float64)


def length_penalty(word_counts: Sequence[int], shortest: int, longest: int) -> np.ndarray:
    """1 for a sentence shorter than `shortest` or longer than `longest` words, else 0."""
    counts = np.asarray(word_counts)
    return ((counts < shortest) | (counts > longest)).astype(np.float64)


def quotation(texts: Sequence[str]) -> np.ndarray:
    """1 for a sentence with quotation marks (someone's words rather than the news), else 0."""
    return np.array([1.0 if _QUOTE_MARK.search(t) else 0.0 for t in texts])


def inside_quotation(texts: Sequence[str], groups: Sequence[Hashable]) -> np.ndarray:
    """Which sentences begin inside a quotation an earlier sentence of the same group (a
    paragraph) opened: in '"We have found the money. The hospital will open on time.' the
    second is the minister's promise, and quoted alone it would read as the outlet's own word.
    `texts` are in article order; “ „ « open, ” » close, and so does a straight mark that only an
    opening (before a word, after a space) or a closing one (after a word, before a space)
    can be: one stray mark then cannot turn the rest of a long paragraph into a quotation."""
    inside = np.zeros(len(texts), dtype=bool)
    quoting, previous = False, None
    for i, (text, group) in enumerate(zip(texts, groups, strict=True)):
        if i == 0 or group != previous:
            quoting, previous = False, group
        # One that opens with a quote mark of its own starts a quotation, marked as such.
        inside[i] = quoting and not _OPENING.match(text)
        for mark in _QUOTE_MARK.finditer(text):
            quoting = _opens(text, mark.start(), quoting)
    return inside


def _opens(text: str, at: int, quoting: bool) -> bool:
    """Whether a quotation is open after the quote mark at `at` (see `inside_quotation`)."""
    mark = text[at]
    if mark != '"':
        return mark in "“„«"
    before = text[at - 1] if at else " "
    after = text[at + 1] if at + 1 < len(text) else " "
    if before.isspace() or before in "([{—–-":
        return not after.isspace()  # opening, unless it stands alone between spaces
    if after.isspace() or after in ".,;:!?)]}—–-":
        return False  # closing
    return not quoting


def refers_back(texts: Sequence[str]) -> np.ndarray:
    """Which sentences open with a word that points at the sentence before ("He later
    clarified…", "But…"): quoted without it, a summary line leaves the reader asking who."""
    return np.array([i > 0 and bool(_POINTS_BACK.match(t)) for i, t in enumerate(texts)])


def sentences_proper(texts: Sequence[str]) -> np.ndarray:
    """Which texts read as sentences, not as a Markdown heading or table row, a credit line
    ("Reporting by …", "CNN's … contributed to this report."), a lead-in whose list or quote
    is missing ("Here's how it's unfolding: .") or a line that does not end as a sentence
    does (a byline, a dateline, a time stamp, a list fragment), which open many articles where
    the position prior favours them; all of them when none does (an article of headings still
    gets a summary)."""
    proper = np.array([bool(_SENTENCE_END.search(t)) and not t.lstrip().startswith(("#", "|"))
                       and not _CREDIT.search(t) and not _LEAD_IN.search(t) for t in texts],
                      dtype=bool)
    return proper if proper.any() else np.ones(len(texts), dtype=bool)


# A full stop, question or exclamation mark or an ellipsis, then any closing quotes, brackets
# or Markdown emphasis.
_SENTENCE_END = re.compile(r"[.!?…][\s\"'”’)\]*_]*$")
# A colon, then at most a full stop: what it introduced (a list, a quote, a link) is gone.
_LEAD_IN = re.compile(r":\s*\.?\s*$")

# Who reported or edited the article: its closing line in most agency and CNN copy.
_NAMES = r"[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*)*"
_CREDIT = re.compile(
    r"\bcontributed (?:reporting|to (?:this|the) (?:report|story|article))\W*$|"
    rf"^\W*(?:(?:[Aa]dditional )?(?:[Rr]eporting|[Ee]diting|[Ww]riting) by {_NAMES}"
    rf"(?:(?:,| and|;) (?:(?:[Aa]dditional )?(?:[Rr]eporting|[Ee]diting|[Ww]riting) by )?{_NAMES})*"
    rf"(?: in {_NAMES})?[.;]?\W*$)")


_POINTS_BACK = re.compile(r"\W*(?:He|She|They|It|This|That|These|Those|His|Her|Their|Its|But|"
                          r"However|Also|Still|Meanwhile)\b")
