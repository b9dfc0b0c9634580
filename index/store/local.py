"""The default backend: one generation as local files (FAISS, bm25s, SQLite) behind the
protocols of `index.store.base`.

Inside a generation the files are aligned by row (passage i is vector i, BM25 document i and
SQLite row i); `passage_ids.npy` names each row's stable passage id, and these adapters
translate between the two so that nothing above the store sees a row number.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np

from index.errors import IndexCorrupt, IndexNotWritable
from index.spans import PassageRecord
from index.store.article_level import ArticleEvidence
from index.store.dense import DenseStore
from index.store.files import read_array
from index.store.lexical import LexicalIndex
from index.store.metadata import ArticleRecord, MetadataStore
from index.store.top import top_rows

PASSAGE_IDS_FILE = "passage_ids.npy"


class RowIds:
    """The passage id of every row of one generation, and the row of every id."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self._order = np.argsort(self.ids, kind="stable")
        self._sorted = self.ids[self._order]
        # The last look-up: one question asks for the rows of the same candidates three
        # times (their vectors, BM25 and articles), a binary search over every id each time.
        self._last: tuple[tuple[bytes, bool], np.ndarray] | None = None

    @staticmethod
    def write(directory: Path, ids: Sequence[int]) -> None:
        """Save the ids of rows 0..n-1."""
        np.save(directory / PASSAGE_IDS_FILE, np.asarray(ids, dtype=np.int64))

    @classmethod
    def load(cls, directory: Path) -> RowIds:
        """Read ids saved with `write`."""
        return cls(read_array(directory / PASSAGE_IDS_FILE))

    def __len__(self) -> int:
        return len(self.ids)

    def distinct_and_valid(self) -> bool:
        """True when no id repeats and none is negative (FAISS's "no result"), as written."""
        ordered = self._sorted
        return not len(ordered) or (ordered[0] >= 0 and bool(np.all(ordered[1:] != ordered[:-1])))

    def rows(self, ids: Sequence[int] | np.ndarray, known_only: bool = False) -> np.ndarray:
        """The row of each id, in the order given.

        An id this generation does not hold raises IndexCorrupt (a caller's arrays would
        otherwise no longer line up with its ids), or is left out with `known_only`.
        """
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if not len(ids):
            return np.zeros(0, dtype=np.int64)
        key = (ids.tobytes(), known_only)
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        at = np.minimum(np.searchsorted(self._sorted, ids), max(len(self._sorted) - 1, 0))
        known = (self._sorted[at] == ids) if len(self._sorted) else np.zeros(len(ids), bool)
        if not known.all() and not known_only:
            raise IndexCorrupt(f"passage {int(ids[~known][0])} is not in this index generation")
        rows = self._order[at[known]]
        rows.flags.writeable = False  # shared with the next caller asking for the same ids
        self._last = (key, rows)
        return rows


class Recent:
    """What the last few questions computed, by their tokens (thread-safe). One question's
    calls come from two threads (see `index.search.hybrid.rank`): the first computes, the
    second reuses; a race computes twice, which is harmless."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._values: OrderedDict[tuple[str, ...], object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tokens: Sequence[str], compute: Callable[[], object]):
        """The value kept for `tokens`, computed now if there is none."""
        key = tuple(tokens)
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = compute()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value


class LocalDense:
    """`DenseSearch` over a generation's FAISS index and float16 vectors."""

    def __init__(self, store: DenseStore, ids: RowIds) -> None:
        self._store = store
        self._ids = ids
        self.kind = store.kind

    def __len__(self) -> int:
        return len(self._store)

    @property
    def dimension(self) -> int:
        """Vector length."""
        return self._store.dimension

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Ids and similarities of the `k` nearest passages, best first."""
        rows, scores = self._store.search(query, k)
        return self._ids.ids[rows], scores

    def vectors(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Vectors of `ids` (float32), in the order asked."""
        return self._store.vectors(self._ids.rows(ids))

    def similarities(self, query: np.ndarray, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Cosine of `query` to each of `ids` (the vectors are unit length)."""
        return self.vectors(ids) @ query


class LocalLexical:
    """`LexicalSearch` over a generation's bm25s index.

    BM25 is computed for every passage at once (about 4 bytes × passages); the scores of the
    last few questions are kept, so the `top` and `scores` calls of one question compute them
    once.
    """

    def __init__(self, index: LexicalIndex | None, ids: RowIds) -> None:
        self._index = index
        self._ids = ids
        self._recent = Recent()
        self._vocabulary: list[str] | None = None

    def _all_scores(self, tokens: Sequence[str]) -> np.ndarray | None:
        if self._index is None:
            return None
        return self._recent.get(tokens, lambda: self._index.scores_of_tokens(tokens))

    def top(self, tokens: Sequence[str], k: int,
            among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Ids and BM25 scores of the `k` best passages with a positive score (unordered)."""
        scores = self._all_scores(tokens)
        if scores is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        if among is None:
            rows = top_rows(scores, k)
        else:
            rows = self._ids.rows(among, known_only=True)
            rows = rows[top_rows(scores[rows], k)]
        return self._ids.ids[rows], scores[rows]

    def scores(self, tokens: Sequence[str], ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """BM25 score of each of `ids` (0 where no token occurs)."""
        scores = self._all_scores(tokens)
        if scores is None:
            return np.zeros(len(ids))
        return np.asarray(scores[self._ids.rows(ids)], dtype=np.float64)

    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25's inverse document frequency of each token (log 2 for all when empty)."""
        if self._index is None:
            return np.full(len(tokens), np.log1p(0.5 / 0.5))
        return self._index.idf(tokens)

    def vocabulary(self) -> Sequence[str]:
        """Every indexed token (built on first use, then kept)."""
        if self._vocabulary is None:
            self._vocabulary = self._index.vocabulary() if self._index is not None else []
        return self._vocabulary


class LocalArticles:
    """`ArticleSearch` over a generation's article-level BM25 and row → article map."""

    def __init__(self, evidence: ArticleEvidence, ids: RowIds) -> None:
        self._evidence = evidence
        self._ids = ids
        self._recent = Recent()

    def prepare(self, tokens: Sequence[str]) -> None:
        """Score every article for these tokens now (BM25 over all of them at once), for
        the `scores` call that follows."""
        self._shares(tokens)

    def _shares(self, tokens: Sequence[str]) -> np.ndarray | None:
        return self._recent.get(tokens, lambda: self._evidence.shares(tokens))

    def articles_of(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The article number of each passage id."""
        return self._evidence.articles_of(self._ids.rows(ids))

    def passages_of(self, articles: Sequence[int] | np.ndarray) -> np.ndarray:
        """Ids of every passage of these article numbers, in row order."""
        rows = np.flatnonzero(np.isin(self._evidence.row_articles, np.asarray(articles)))
        return self._ids.ids[rows]

    def scores(self, tokens: Sequence[str], articles: np.ndarray) -> np.ndarray:
        """Article BM25 as a share of its upper bound for these tokens."""
        shares = self._shares(tokens)
        return shares[articles] if shares is not None else np.zeros(len(articles))

    def coverage_mask(self, tokens: Sequence[str], article: int) -> np.ndarray:
        """Which tokens occur anywhere in `article`."""
        return self._evidence.coverage_mask(tokens, article)


class LocalMetadata:
    """`Metadata` over a generation's SQLite database; passage records carry their id."""

    def __init__(self, store: MetadataStore, ids: RowIds) -> None:
        self._store = store
        self._ids = ids

    def passages(self, ids: Sequence[int] | np.ndarray) -> list[PassageRecord]:
        """The passages with these ids, in the order asked."""
        # ids this generation lacks are left out, as documented; records carry passage ids
        rows = self._ids.rows(ids, known_only=True)
        return self._store.passages(rows, self._ids.ids[rows])

    def articles(self) -> list[ArticleRecord]:
        """Every article, in id order, with its passage count."""
        return self._store.articles()

    def article(self, article_id: str) -> ArticleRecord | None:
        """One article by id, or None."""
        return self._store.article(article_id)

    def article_body(self, article_id: str) -> tuple[str, list[tuple[int, int]]] | None:
        """An article's body and paragraph spans, or None."""
        return self._store.article_body(article_id)

    def article_ids_in_order(self) -> list[str]:
        """Article ids by article number."""
        return self._store.article_ids_in_order()

    def paragraphs_of(self, article_id: str) -> dict[int, tuple[int, ...]]:
        """Passage id -> paragraph numbers for one article."""
        return {int(self._ids.ids[row]): paragraphs
                for row, paragraphs in self._store.paragraphs_of(article_id).items()}

    def article_passages(self) -> dict[str, tuple[str, list[int]]]:
        """For each article id: its content hash and passage ids in article order."""
        return {aid: (content_hash, [int(i) for i in self._ids.ids[rows]])
                for aid, (content_hash, rows) in self._store.article_rows().items()}


class LocalPointer:
    """CURRENT's identity on disk (a stat): see `index.store.snapshot.pointer_identity`."""

    def __init__(self, index_dir: Path) -> None:
        self._index_dir = index_dir

    def identity(self, fresh: bool = False) -> tuple[int, int, int] | None:
        """(inode, size, mtime) of CURRENT (always read now); None without an index."""
        from index.store.snapshot import pointer_identity

        return pointer_identity(self._index_dir)


class LocalBackend:
    """An index in a local folder: atomic generations, an OS file lock for writers."""

    def __init__(self, index_dir: str | Path) -> None:
        self.index_dir = Path(index_dir)
        self.location = self.address = str(self.index_dir.resolve())
        _check_folder(self.index_dir)

    def pointer(self) -> LocalPointer:
        """The CURRENT file's identity."""
        return LocalPointer(self.index_dir)

    def load(self, model_fingerprint: str | None = None):
        """The current generation (see `index.store.snapshot.load_snapshot`)."""
        from index.store.snapshot import load_snapshot

        return load_snapshot(self.index_dir, model_fingerprint)

    def writer(self, on_wait: Callable[[], None] | None = None
               ) -> AbstractContextManager[None]:
        """The folder's writer lock (index/store/writer_lock.py)."""
        from index.store.writer_lock import writer_lock

        return writer_lock(self.index_dir, on_wait=on_wait)

    def write(self, manifest: dict, vectors: np.ndarray, articles: list[dict],
              passages: list[dict]) -> str:
        """Write a generation and make it current; returns its folder's name."""
        from index.store.snapshot import write_generation

        return write_generation(self.index_dir, manifest, vectors, articles, passages).name

    def prepare(self, passages: int, dimension: int, text_bytes: int) -> None:
        """Refuse before embedding when the disk clearly cannot hold the new generation."""
        from index.store.snapshot import check_space, remove_leftovers

        remove_leftovers(self.index_dir)  # what killed reindexes left takes space too
        check_space(self.index_dir, passages, dimension, text_bytes)

    def remove_stale(self) -> None:
        """Delete leftovers and all but the two newest generations."""
        from index.store.snapshot import remove_stale

        remove_stale(self.index_dir)

    def corpus(self) -> None:
        """None: a local index keeps no article texts of its own; the folder is the corpus."""
        return None


def _check_folder(index_dir: Path) -> None:
    """IndexNotWritable when `index_dir`, or the nearest of its parents that exists, is not a
    folder: every later step would fail with a message about something else."""
    for path in (index_dir, *index_dir.parents):
        if path.exists():
            if not path.is_dir():
                raise IndexNotWritable(f"the index folder {index_dir} cannot be used: {path} "
                                       "is a file, not a folder")
            return

