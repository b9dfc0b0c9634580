"""What search, summaries and digests need from storage, as five small protocols.

A backend implements them for one generation of the index: the default keeps local files
(FAISS, bm25s, SQLite); `index.store.postgres` keeps everything in PostgreSQL + pgvector.
Nothing above the store sees which one serves.

Passages are named by **passage ids**: int64 values derived from the passage itself
(`passage_id`), so the same passage of the same article text has the same id in every build and
in every backend. Articles are named by **article numbers**: small ints, dense within one
generation (0..n-1), which index per-article arrays such as the catalog's dates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from index.spans import PassageRecord
from index.store.metadata import ArticleRecord

if TYPE_CHECKING:
    from index.ingest.articles import Article
    from index.store.snapshot import Snapshot


def passage_id(article_id: str, start: int, end: int, text: str) -> int:
    """A passage's stable id: a 63-bit hash of its article, place and text (never negative,
    which FAISS reserves for "no result")."""
    digest = hashlib.blake2b(f"{article_id}\0{start}\0{end}\0{text}".encode(),
                             digest_size=8).digest()
    return int.from_bytes(digest, "big") & (2**63 - 1)


@runtime_checkable
class DenseSearch(Protocol):
    """Nearest passages by meaning: L2-normalised vectors, inner product."""

    kind: str  # how it searches: "exact", "hnsw", "pgvector-hnsw"…

    def __len__(self) -> int: ...

    @property
    def dimension(self) -> int: ...

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Ids and cosine similarities of the `k` nearest passages, best first."""
        ...

    def vectors(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The stored vectors (float32, one row per id, in the order asked); an id this
        generation does not hold raises IndexCorrupt."""
        ...

    def similarities(self, query: np.ndarray, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Cosine similarity of `query` to each of `ids`, in the order asked."""
        ...


@runtime_checkable
class LexicalSearch(Protocol):
    """Passages by their words. `tokens` come from `index.store.lexical.tokenize` (folded,
    stemmed)."""

    def top(self, tokens: Sequence[str], k: int,
            among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Ids and scores of the `k` best-scoring passages containing any token (unordered),
        only among the passage ids `among` when given."""
        ...

    def scores(self, tokens: Sequence[str], ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The score of each of `ids` for these tokens (0 where none occurs)."""
        ...

    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        """Inverse document frequency of each token over the passages (BM25's, Lucene form);
        the relevance gate weighs the question's words by it."""
        ...

    def vocabulary(self) -> Sequence[str]:
        """Every token in some passage (what a misspelt question word is matched against;
        read once per generation)."""
        ...


@runtime_checkable
class ArticleSearch(Protocol):
    """Evidence at the level of whole articles (see index/store/article_level.py)."""

    def articles_of(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The article number of each passage id."""
        ...

    def passages_of(self, articles: Sequence[int] | np.ndarray) -> np.ndarray:
        """The ids of every passage of the given article numbers."""
        ...

    def prepare(self, tokens: Sequence[str]) -> None:
        """Start what needs only the question's words (called while the question is being
        embedded, before `scores`); a backend with nothing to start does nothing."""
        ...

    def scores(self, tokens: Sequence[str], articles: np.ndarray) -> np.ndarray:
        """Each article's match for these tokens as a share of the most any text could
        score for them (0..1, comparable across questions)."""
        ...

    def coverage_mask(self, tokens: Sequence[str], article: int) -> np.ndarray:
        """Which of `tokens` occur anywhere in `article`."""
        ...


@runtime_checkable
class Metadata(Protocol):
    """Articles and passages as stored."""

    def passages(self, ids: Sequence[int] | np.ndarray) -> list[PassageRecord]:
        """The passages with these ids, in the order asked (unknown ids are left out)."""
        ...

    def articles(self) -> list[ArticleRecord]:
        """Every article, in id order, with its passage count."""
        ...

    def article(self, article_id: str) -> ArticleRecord | None: ...

    def article_body(self, article_id: str) -> tuple[str, list[tuple[int, int]]] | None:
        """An article's body and paragraph spans, or None if it is not indexed."""
        ...

    def article_ids_in_order(self) -> list[str]:
        """Article ids by article number: position i is article number i."""
        ...

    def paragraphs_of(self, article_id: str) -> dict[int, tuple[int, ...]]:
        """Passage id -> paragraph numbers, for each passage of one article."""
        ...

    def article_passages(self) -> dict[str, tuple[str, list[int]]]:
        """For each article id: its content hash and its passage ids in article order."""
        ...


@runtime_checkable
class GenerationPointer(Protocol):
    """Which generation is current; readers compare `identity()` on every question."""

    def identity(self, fresh: bool = False) -> Hashable | None:
        """Something cheap to read that changes whenever another generation becomes
        current (None when there is no index yet). It may lag by a moment (a backend that
        polls) unless `fresh`, which a process asks for right after writing a generation."""
        ...


@runtime_checkable
class ArticleStore(Protocol):
    """Article texts kept by the backend itself, so that any process sharing it can reindex
    them: the corpus, when it lives beside the index (a database) rather than in a folder.

    A reindex saves what the corpus folder holds into it, then indexes everything it holds.
    Deleting a file therefore no longer removes its article: `remove` does (with the file,
    in `index.ingest.reindex.remove_articles`).
    """

    def save(self, articles: Sequence[Article]) -> int:
        """Insert or replace these articles by id (one transaction); returns how many were
        new or changed (an article whose content hash is already stored is left as it is)."""
        ...

    def articles(self) -> list[Article]:
        """Every stored article, in id order."""
        ...

    def unindexable(self, articles: Sequence[Article]) -> dict[str, str]:
        """Those of `articles` this backend's index cannot hold, by id, with the reason (a
        reindex skips and names them rather than failing for all)."""
        ...

    def remove(self, article_ids: Sequence[str]) -> list[str]:
        """Forget these articles, remembering their texts as removed; returns those of
        `article_ids` that were stored."""
        ...

    def removed(self, articles: Sequence[Article]) -> set[str]:
        """The ids of `articles` removed earlier with the same text: another process's
        folder still holding the file must not bring them back."""
        ...

    def readmit(self, article_ids: Sequence[str]) -> None:
        """Forget that these articles were removed (they were added again on purpose)."""
        ...


class Backend(Protocol):
    """One place an index lives (a local folder, a database): it writes generations and opens
    the current one. `index.store.backends.open_backend` picks one from a location."""

    location: str  # where it lives, fit to show (a folder; a database URL without password)
    address: str   # what `open_backend` opens it again from (may hold a password: never show)

    def pointer(self) -> GenerationPointer:
        """The current-generation pointer, for readers to poll."""
        ...

    def load(self, model_fingerprint: str | None = None) -> Snapshot:
        """The current generation, read-only. Raises IndexMissing when there is none,
        IndexMismatch when it was built by another model or format, IndexCorrupt when damaged."""
        ...

    def writer(self, on_wait: Callable[[], None] | None = None) -> AbstractContextManager[None]:
        """Held for a whole reindex: one writer at a time across every process sharing this
        backend (`on_wait` is called once if another holds it)."""
        ...

    def write(self, manifest: dict, vectors: np.ndarray, articles: list[dict],
              passages: list[dict]) -> str:
        """Write a complete generation and make it current atomically; returns its name.
        Call it holding `writer()`. A failure leaves the previous generation current."""
        ...

    def prepare(self, passages: int, dimension: int, text_bytes: int) -> None:
        """Raise IndexNotWritable before any embedding when the backend clearly cannot hold
        a generation of this size (a full disk); the previous generation still serves."""
        ...

    def remove_stale(self) -> None:
        """Delete unfinished and superseded generations (holding `writer()`)."""
        ...

    def corpus(self) -> ArticleStore | None:
        """The article texts this backend keeps itself, or None when the corpus folder is
        the only copy (a local index: its folder is the corpus)."""
        ...
