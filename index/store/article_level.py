"""Article-level evidence: how well a whole article, not one passage, matches a question.

In an archive many stories share names and places ("Putin", "summit"); the passage that best
matches a question's words can come from the wrong story. BM25 over each article's whole text
(title and body) tells the stories apart: the right story tends to hold more of the question's
words than any one of its passages does. Its scores are added to the passages' (see
`index.search.hybrid.rank`) and the best article's lead over the next is one of the gate's signals.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.store.files import read_array
from index.store.lexical import LexicalIndex

ROW_ARTICLES_FILE = "row_articles.npy"
LEXICAL_DIR = "article_lexical"


class ArticleEvidence:
    """BM25 over whole articles, with the article number of every passage row."""

    def __init__(self, row_articles: np.ndarray, lexical: LexicalIndex | None) -> None:
        self.row_articles = np.asarray(row_articles)  # a plain view: np.memmap reads cost more
        self.lexical = lexical

    @staticmethod
    def write(directory: Path, row_articles: np.ndarray, texts: Sequence[str]) -> None:
        """Save the evidence for articles `0..len(texts)-1`; passage row i belongs to article
        `row_articles[i]`."""
        np.save(directory / ROW_ARTICLES_FILE, np.asarray(row_articles, dtype=np.int32))
        if len(texts):
            LexicalIndex.build(texts).save(directory / LEXICAL_DIR)

    @classmethod
    def load(cls, directory: Path) -> ArticleEvidence:
        """Open evidence written by `write` (memory-mapped)."""
        row_articles = read_array(directory / ROW_ARTICLES_FILE, mmap=True)
        lexical_dir = directory / LEXICAL_DIR
        lexical = LexicalIndex.load(lexical_dir) if lexical_dir.exists() else None
        return cls(row_articles, lexical)

    def __len__(self) -> int:
        return len(self.row_articles)

    def articles_of(self, rows: np.ndarray) -> np.ndarray:
        """The article number of each passage row."""
        return np.asarray(self.row_articles[rows])

    def scores(self, question_tokens: Sequence[str], articles: np.ndarray) -> np.ndarray:
        """BM25 of each of `articles` (article numbers), as a share of the most a text could score
        for these words (see `shares`)."""
        shares = self.shares(question_tokens)
        return shares[articles] if shares is not None else np.zeros(len(articles))

    def shares(self, question_tokens: Sequence[str]) -> np.ndarray | None:
        """BM25 of every article as a share of the most a text could score for these words
        (the sum of their IDF: Lucene's BM25 gives a word at most its IDF), so that it
        compares across questions; None when no article holds any of them.

        Needs only the question, so `index.search.hybrid.rank` computes it while the question is
        being embedded."""
        if self.lexical is None:
            return None
        scores = self.lexical.scores_of_tokens(question_tokens)
        bound = float(self.lexical.idf(question_tokens).sum())
        if scores is None or bound <= 0:
            return None
        return scores / bound

    def coverage_mask(self, question_tokens: Sequence[str], article: int) -> np.ndarray:
        """Which of the question's tokens occur anywhere in `article`."""
        if self.lexical is None:
            return np.zeros(len(question_tokens), dtype=bool)
        return self.lexical.occurs_in(question_tokens, article)
