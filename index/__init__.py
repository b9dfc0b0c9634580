"""The retrieval engine: open an index directory, reindex a corpus, ask questions.

Knows nothing of Discord. Typical use::

    idx = BriefingIndex("data/index")
    idx.reindex("corpus")
    answer = idx.ask("Why did Erdoğan approve Sweden?")
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from index.errors import (
    PREVIOUS_STILL_ANSWERS,
    ArticleError,
    ArticleNotFound,
    BriefingError,
    CorpusEmpty,
    CorpusMissing,
    CorpusNotWritable,
    CorpusUnreadable,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    IndexNotWritable,
    InvalidQuestion,
    NothingIndexed,
    ReindexRunning,
)
from index.ingest.articles import Article, check_corpus_folder
from index.ingest.dates import newest_first as by_date_newest_first
from index.ingest.embedding import Embedder
from index.ingest.reindex import (
    Progress,
    ReindexReport,
    Removal,
    reindex,
    reindex_articles,
    remove_articles,
)
from index.search.followup import Turn, ask_followup
from index.search.gate import DEFAULT_THRESHOLD
from index.search.hybrid import MAX_QUESTION_CHARS, Answer, check_question, search
from index.search.names import article_named, source_named, unnamed_reason
from index.search.scope import Scope
from index.spans import Hit, PassageRecord, SummarySentence
from index.store.backends import open_backend
from index.store.base import Backend, passage_id
from index.store.metadata import ArticleRecord
from index.store.serving import Served
from index.store.snapshot import Snapshot
from index.summarise.article import Summary, summarize_article
from index.summarise.digest import Digest, DigestEntry, build_digest
from index.summarise.stories import Story, StoryArticle, build_stories
from index.summarise.topic import summarize_topic

__all__ = [
    "Answer", "ArticleError", "ArticleNotFound", "ArticleRecord", "BriefingError",
    "BriefingIndex", "CorpusEmpty", "CorpusMissing", "CorpusNotWritable", "CorpusUnreadable",
    "DEFAULT_GATE_THRESHOLD", "Digest",
    "DigestEntry", "Hit", "IndexCorrupt", "IndexMismatch", "IndexMissing", "IndexNotWritable",
    "InvalidQuestion", "NOTHING_INDEXED", "NothingIndexed", "PassageRecord",
    "PREVIOUS_STILL_ANSWERS",
    "ReindexReport", "ReindexRunning",
    "Removal",
    "Summary", "Scope", "Story", "StoryArticle", "SummarySentence", "Turn", "check_corpus_folder",
    "check_question",
]

log = logging.getLogger(__name__)

# The gate's modelled probability that the corpus covers a question, below which the answer
# is "not covered" (see index/search/gate.py and the README, "Relevance gate").
DEFAULT_GATE_THRESHOLD = DEFAULT_THRESHOLD

# What a question gets while the index holds no passages (an empty corpus was indexed).
NOTHING_INDEXED = "No articles are indexed yet."


class BriefingIndex:
    """An index (a local folder, or a database URL), served from memory; reindexing swaps in a
    new snapshot atomically.

    Safe to share between threads: questions are answered from whichever snapshot is current
    when they start, while at most one reindex runs at a time. A replaced snapshot is closed
    as soon as the last question reading it ends (see index/store/serving.py).
    """

    def __init__(self, location: str | Path | Backend, model_path: str | Path | None = None,
                 gate_threshold: float = DEFAULT_GATE_THRESHOLD,
                 max_question_chars: int = MAX_QUESTION_CHARS,
                 embedder: Embedder | None = None, precision: str = "auto",
                 max_article_bytes: int | None = None) -> None:
        self.backend = (location if not isinstance(location, str | Path)
                        else open_backend(location))
        self.max_article_bytes = max_article_bytes
        self.embedder = embedder or Embedder(Path(model_path) if model_path else None,
                                             precision=precision)
        self.gate_threshold = gate_threshold
        self.max_question_chars = max_question_chars
        self._served = Served()
        self._pointer: Hashable | None = None  # the generation pointer's identity when loaded
        self._load_lock = threading.Lock()
        self._reindex_lock = threading.Lock()

    @property
    def location(self) -> str:
        """Where the index lives (a folder, or a database URL without its password)."""
        return self.backend.location

    def snapshot(self) -> Snapshot:
        """The snapshot being served, loaded from disk on first use.

        Each call compares CURRENT's identity with the one loaded (a stat): a generation
        another process built (`briefing reindex` beside a running bot) is served from the
        next question on. If that generation cannot be loaded, the last good one keeps serving.
        The index's own methods hold the snapshot open while they read it; a caller reading
        one from here may find a replaced one closed (a database snapshot then reconnects).
        """
        snap = self._served.current
        if snap is None or self.backend.pointer().identity() != self._pointer:
            with self._load_lock:
                pointer = self.backend.pointer().identity()  # before loading: never newer
                if self._served.current is None or pointer != self._pointer:
                    self._load(pointer)
                snap = self._served.current
        return snap

    @contextmanager
    def _using(self, searchable: bool = False) -> Iterator[Snapshot]:
        """The snapshot being served, held open until the block ends even if another
        generation is served meanwhile; with `searchable`, NothingIndexed when it holds no
        passages."""
        self.snapshot()
        with self._served.lease() as snap:
            if searchable and not snap.size:
                raise NothingIndexed(NOTHING_INDEXED)
            yield snap

    def build_needed(self) -> BriefingError | None:
        """Why the index must be built before it can answer (IndexMissing, IndexMismatch or
        IndexCorrupt, fit to show), or None when it serves. The CLI and the bot both ask this
        at start and then reindex, so both recover the same way."""
        try:
            self.snapshot()
        except (IndexMissing, IndexMismatch, IndexCorrupt) as err:
            return err
        return None

    def warm_up(self) -> None:
        """Load the question encoder and the gate's word frequencies now rather than on the
        first question."""
        from index.search import rarity

        rarity.warm_up()
        self.embedder.embed_query("warm up")

    def _load(self, pointer: Hashable | None) -> None:
        """Load the current generation (caller holds the load lock)."""
        try:
            self._served.replace(self.backend.load(self.embedder.fingerprint))
        except BriefingError as err:
            if self._served.current is None:
                raise
            log.warning("still serving %s: the new index cannot be loaded: %s",
                        self._served.current.generation, err)
        self._pointer = pointer

    def reload(self) -> None:
        """Serve the generation current now (another process, such as the bot's reindex
        child, has just written it), loading it before returning; if it cannot be loaded,
        the last good one keeps serving (with none served yet, it raises as `snapshot` does)."""
        with self._load_lock:
            self._pointer = None
            self.backend.pointer().identity(fresh=True)
        self.snapshot()

    def build_options(self) -> dict:
        """What another process needs to build this index exactly as this one does, as JSON
        values: the embedder's arguments and the article size limit (the bot's reindex
        process is made from them, bot/reindex_worker.py)."""
        return {"embedder": self.embedder.options(), "max_article_bytes": self.max_article_bytes}

    def reindex(self, corpus_dir: str | Path, progress: Progress | None = None,
                on_wait: Callable[[], None] | None = None,
                allow_empty: bool = False) -> ReindexReport:
        """Index what changed in `corpus_dir`, then serve the new snapshot.

        A corpus with no article does not replace an index that holds some (CorpusEmpty)
        unless `allow_empty` (after removing the last articles, or when asked for).

        With a database, the folder's articles are stored in it first and every stored
        article is indexed: the folder may be empty or missing, and deleting a file no longer
        removes its article (`remove_articles` does; see `index.ingest.reindex.reindex`).
        Waits while another process reindexes the same index (`on_wait` is called once).
        """
        with self._reindex_lock:
            report = reindex(self.backend, Path(corpus_dir), self.embedder, progress,
                             self.max_article_bytes, on_wait, allow_empty)
            self._serve_newest()
            return report

    def index_articles(self, articles: Sequence[Article], progress: Progress | None = None
                       ) -> ReindexReport:
        """Make the index hold exactly `articles` (already read; ids unique), then serve it.
        For evaluation sets, which are not article folders."""
        with self._reindex_lock:
            report = reindex_articles(self.backend, list(articles), self.embedder, progress)
            self._serve_newest()
            return report

    def remove_articles(self, corpus_dir: str | Path, article_ids: Sequence[str],
                        on_wait: Callable[[], None] | None = None) -> list[Removal]:
        """Delete articles from `corpus_dir` and from the articles the backend stores itself
        (a database keeps the corpus: deleting a file alone does not remove its article);
        returns what happened to each id, in the order asked (repeats once): removed when it
        was there or is indexed, not found, or not removed with the reason (a file or the
        database refused; the others are still removed). The index still serves removed
        articles until the next `reindex`, which leaves them out.
        """
        indexed = {r.id for r in self.sources()} if self.build_needed() is None else set()
        with self._reindex_lock:
            outcomes = remove_articles(self.backend, Path(corpus_dir), article_ids, on_wait)
        return [Removal(o.article, True) if not o.removed and not o.error
                and o.article in indexed else o for o in outcomes]

    def readmit(self, article_ids: Sequence[str]) -> None:
        """Articles added again on purpose (added anew, or `briefing reindex --readmit`): a
        database that remembers their texts as removed (so that another process's folder
        does not bring them back) forgets that."""
        store = self.backend.corpus()
        if store is not None:
            store.readmit(article_ids)

    def _serve_newest(self) -> None:
        with self._load_lock:
            pointer = self.backend.pointer().identity(fresh=True)
            self._served.replace(self.backend.load(self.embedder.fingerprint))
            self._pointer = pointer

    def ask(self, question: str, k: int = 3, scope: Scope | None = None) -> Answer:
        """The `k` best cited passages for `question`, gated for relevance; only from the
        articles in `scope` when given.

        Raises NothingIndexed when the index holds no passages, ArticleNotFound when the
        scope names no indexed article.
        """
        with self._using(searchable=True) as snap:
            return search(snap, self.embedder, question, k, self.gate_threshold,
                          self.max_question_chars, scope=scope)

    def ask_followup(self, question: str, turns: Sequence[Turn], k: int = 3,
                     scope: Scope | None = None) -> tuple[Answer, bool]:
        """Answer `question` in the context of earlier `turns` of a conversation (oldest
        first); also says whether it stood on its own (see index/search/followup.py)."""
        with self._using(searchable=True) as snap:
            return ask_followup(snap, self.embedder, question, turns, k, self.gate_threshold,
                                self.max_question_chars, scope=scope)

    def check_scope(self, scope: Scope) -> None:
        """Raise ArticleNotFound (one line, fit to show) unless `scope` matches an article."""
        with self._using() as snap:
            snap.catalog.allowed(scope)

    def outlets(self) -> list[str]:
        """The outlets of the indexed articles (source hosts, and sources given by name), most
        articles first; a name written in several cases is listed once."""
        from collections import Counter

        with self._using() as snap:
            counts = Counter(o for o in snap.catalog.outlets if o)
        listed: dict[str, str] = {}
        for name, _ in counts.most_common():
            listed.setdefault(name.casefold(), name)
        return list(listed.values())

    def sources(self, newest_first: bool = False) -> list[ArticleRecord]:
        """The indexed articles with passage counts and index times, in id order or, with
        `newest_first`, by published date (undated ones last)."""
        with self._using() as snap:
            records = snap.metadata.articles()
        return by_date_newest_first(records) if newest_first else records

    def passages_at(self, places: Sequence[tuple[str, int, int]]
                    ) -> dict[tuple[str, int, int], PassageRecord]:
        """The indexed passages at these places (article id, start, end): how a citation
        kept outside the index, a vote's, finds its title and paragraphs again. A place no
        passage of the current index fills (its article removed or re-split) is left out."""
        with self._using() as snap:
            bodies = {article: snap.metadata.article_body(article)
                      for article in {place[0] for place in places}}
            wanted = {}
            for article, start, end in places:
                stored = bodies[article]
                if stored is not None and 0 <= start < end <= len(stored[0]):
                    wanted[passage_id(article, start, end, stored[0][start:end])] = \
                        (article, start, end)
            return {wanted[p.id]: p for p in snap.metadata.passages(list(wanted))}

    def article_named(self, name: str) -> str:
        """The id of the article `name` names: its id in any case, or its whole title.

        Raises ArticleNotFound saying why not (nothing has that name, or several articles
        share that title)."""
        records = self.sources()
        found = article_named(name, records)
        if found is None:
            raise ArticleNotFound(f"{unnamed_reason(name, records)}: {name.strip()!r}")
        return found

    def source_named(self, name: str) -> str:
        """The article id or outlet that `name` names, as `/ask`'s source: an id in any case,
        an outlet with or without "www.", or an article's whole title; raises ArticleNotFound
        when nothing is so named."""
        if not name.strip():
            raise ArticleNotFound("the source is blank: give an article id or an outlet")
        found = source_named(name, self.sources(), self.outlets())
        if found is None:
            raise ArticleNotFound(f"no indexed article or outlet is {name.strip()!r}")
        return found

    def corpus_folder(self) -> Path | None:
        """The folder a local index was last built from (absolute); None when there is no
        index yet, it predates this record, or the backend keeps its own corpus (a database,
        for which a folder is only an import source)."""
        if self.build_needed() is not None:
            return None
        with self._using() as snap:
            folder = snap.manifest.get("corpus")
        return Path(folder) if folder else None

    def summarize(self, article_id: str, sentences: int = 5) -> Summary:
        """A summary of one indexed article: `sentences` verbatim sentences, in article order.

        Raises ArticleNotFound for an id that is not indexed, NothingIndexed when no article is.
        """
        with self._using(searchable=True) as snap:
            return summarize_article(snap, self.embedder, article_id, sentences)

    def summarize_topic(self, topic: str, sentences: int = 5) -> Summary:
        """A cited briefing on `topic` across all articles, grouped by article.

        Unanswered when the relevance gate says the corpus does not cover the topic; raises
        NothingIndexed when the index holds no passages.
        """
        with self._using(searchable=True) as snap:
            return summarize_topic(snap, self.embedder, topic, sentences,
                                   self.gate_threshold, self.max_question_chars)

    def digest(self, since: datetime, sentences: int = 3, limit: int | None = None) -> Digest:
        """The stories with articles indexed since `since` (naive means UTC), most widely
        reported first (the newest first among equals), each in up to `sentences` key
        sentences that its earlier articles did not already state. `limit` caps the stories
        listed, not the articles; the digest still counts every article and story found."""
        with self._using() as snap:
            return build_digest(snap, self.embedder, since, sentences, limit)

    def stories(self, since: date | None = None) -> list[Story]:
        """The indexed articles grouped by the event they report, newest story first; only
        articles dated `since` or later when given (see index/summarise/stories.py)."""
        with self._using() as snap:
            return build_stories(snap, since)
