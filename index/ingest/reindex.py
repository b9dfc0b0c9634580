"""Incremental reindexing: embed only new or changed articles, then write a new generation."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index.errors import (
    BriefingError,
    CorpusEmpty,
    CorpusNotWritable,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    IndexNotWritable,
    cause,
)
from index.ingest.articles import Article, Skipped, read_corpus
from index.ingest.corpus import article_files, check_deletable, delete_files
from index.ingest.embedding import Embedder
from index.ingest.splitting import (
    MAX_PASSAGE_WORDS,
    MIN_PASSAGE_WORDS,
    split_article,
)
from index.store.base import ArticleStore, Backend, passage_id
from index.store.snapshot import FORMAT_VERSION, Snapshot

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

# version 4: sentences go on past "a.m. ET", "approx." and a lower-case restart; a headline
# repeating the title, and blank lines of no-break spaces, no longer shift paragraph numbers.
# version 5: a run of sentences the segmenter kept whole around wrongly paired quote marks is
# cut into its sentences; a numbered item's "1." is not a sentence of its own.
# words 2: a month's abbreviation is the same word token as its name ("Oct." and "October"),
# an ordinal as its number ("24th" and "24").
SPLITTER = {"version": 5, "max_words": MAX_PASSAGE_WORDS, "min_words": MIN_PASSAGE_WORDS,
            "embedded_text": "title+passage", "words": 2}


@functools.cache
def splitter() -> dict:
    """How passages are cut into sentences and word tokens, as recorded in the manifest; any
    change rebuilds the index.

    The segmenter's version is part of it: another release may place sentence boundaries
    differently, and old and new spans must not mix in one index.
    """
    from importlib.metadata import version

    return {**SPLITTER, "segmenter": f"sentencex {version('sentencex')}"}


@dataclass
class ReindexReport:
    """What a reindex did; `embedded` is the number of passages sent to the model."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    embedded: int = 0
    passages: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    rebuilt_from_scratch: str = ""

    @property
    def changes(self) -> bool:
        """True when the index content differs from before."""
        return bool(self.added or self.changed or self.removed)


@dataclass(frozen=True)
class Removal:
    """What removing one article did: `removed`, or not, with `error` saying why (empty when
    no article has that id)."""

    article: str
    removed: bool
    error: str = ""


def embedding_text(title: str, passage: str) -> str:
    """What the model sees for a passage: the article title gives short passages context."""
    return f"{title}\n{passage}"


def reindex(backend: Backend, corpus_dir: Path, embedder: Embedder,
            progress: Progress | None = None, max_article_bytes: int | None = None,
            on_wait: Callable[[], None] | None = None,
            allow_empty: bool = False) -> ReindexReport:
    """Bring the index in `backend` up to date with the article files in `corpus_dir`.

    When the backend keeps the article texts itself (`Backend.corpus()`, a database), the
    folder is an import source, not the only copy: what it holds is saved into that store
    first, and the index holds every stored article (the folder's version wins for an id in
    both). The folder may then be empty or missing: a process with no corpus of its own
    reindexes what others stored. Deleting a file no longer removes its article from such an
    index; `remove_articles` does. A local index (no store) indexes exactly the folder.

    One reindex at a time per index, across processes: a second one waits for the first
    (calling `on_wait` once), then finds the index up to date or builds on it.

    Finding no article at all while the index holds some raises CorpusEmpty, unless
    `allow_empty`: a volume that failed to mount must not empty the index.
    """
    with backend.writer(on_wait):
        store = backend.corpus()
        if store is None:
            articles, skipped = read_corpus(corpus_dir, max_article_bytes)
        else:
            articles, skipped = _with_stored(store, corpus_dir, max_article_bytes)
        if not articles and not allow_empty:
            _keep_indexed_articles(backend, corpus_dir, skipped)
        # A local index is its folder's: the manifest names it (see BriefingIndex.corpus_folder)
        return _reindex_locked(backend, articles, embedder, progress, skipped,
                               Path(corpus_dir).resolve() if store is None else None)


def _keep_indexed_articles(backend: Backend, corpus_dir: Path, skipped: list[Skipped]) -> None:
    """Raise CorpusEmpty when the serving generation holds articles (one that cannot be
    loaded, or another model's, is replaced as before)."""
    try:
        snapshot = backend.load()
    except BriefingError:
        return
    try:
        indexed = len(snapshot.metadata.articles())
    finally:
        snapshot.close()
    if not indexed:
        return
    found = (f"has no readable article ({len(skipped)} file{'s' * (len(skipped) != 1)} "
             "skipped)" if skipped else "is empty (is it mounted?)")
    raise CorpusEmpty(f"the corpus folder {corpus_dir} {found}; keeping the {indexed} indexed "
                      f"article{'s' * (indexed != 1)}; `briefing reindex --allow-empty` "
                      "empties the index")


def _with_stored(store: ArticleStore, corpus_dir: Path, max_article_bytes: int | None
                 ) -> tuple[list[Article], list[Skipped]]:
    """Save the folder's articles into `store`; every stored article, the folder's version
    first for an id in both, in id order."""
    if Path(corpus_dir).is_dir():
        articles, skipped = read_corpus(corpus_dir, max_article_bytes)
    else:
        articles, skipped = [], []
    gone = store.removed(articles)
    skipped += [Skipped(a.path, "removed from the corpus earlier: delete this file, or index it "
                                f"again (`briefing reindex --readmit {a.id}`)")
                for a in articles if a.id in gone]
    articles = [a for a in articles if a.id not in gone]
    merged = {a.id: a for a in store.articles()}
    merged.update((a.id, a) for a in articles)
    # An article the backend cannot index is skipped, and never stored (one such article
    # failed every reindex); one stored before this check says how to delete it.
    refused = store.unindexable(list(merged.values()))
    from_folder = {a.id for a in articles}
    for article_id, reason in sorted(refused.items()):
        stored = "" if article_id in from_folder else (
            f"; it is stored in the database: `briefing remove {article_id}` deletes it")
        skipped.append(Skipped(merged.pop(article_id).path, reason + stored))
    saved = store.save([a for a in articles if a.id not in refused])
    if saved:
        log.info("stored %d new or changed articles from %s", saved, corpus_dir)
    return [merged[i] for i in sorted(merged)], skipped


def remove_articles(backend: Backend, corpus_dir: Path, article_ids: Sequence[str],
                    on_wait: Callable[[], None] | None = None) -> list[Removal]:
    """Delete articles from the corpus folder and from the backend's own article store, if
    it keeps one (see `reindex`); returns what happened to each of `article_ids`, in the order
    asked (repeats once). The next reindex leaves the removed ones out of the index.

    Done under the writer lock, so that no reindex reads a file being deleted and stores it
    again. Each article is removed on its own: one that cannot be (its folder refuses writes,
    a file cannot be deleted, the store fails) is reported with the reason and the others
    are still removed. Its files go first, so a file that cannot be deleted leaves the
    stored copy untouched; a store that fails after the files went still holds the article.
    """
    ids = list(dict.fromkeys(article_ids))
    with backend.writer(on_wait):
        store = backend.corpus() if ids else None
        return [_remove_one(store, corpus_dir, article_id) for article_id in ids]


def _remove_one(store: ArticleStore | None, corpus_dir: Path, article_id: str) -> Removal:
    paths = article_files(corpus_dir, article_id)
    try:
        check_deletable(paths)
        delete_files(paths)
        stored = bool(store.remove([article_id])) if store is not None else False
    except (CorpusNotWritable, IndexNotWritable) as err:
        log.warning("could not remove %s: %s", article_id, err)
        return Removal(article_id, False, str(err))
    if paths:
        log.info("removed %s from %s", article_id, corpus_dir)
    return Removal(article_id, bool(paths) or stored)


def reindex_articles(backend: Backend, articles: list[Article], embedder: Embedder,
                     progress: Progress | None = None,
                     skipped: list[Skipped] | None = None) -> ReindexReport:
    """Bring the index in `backend` up to date with `articles` (ids must be unique)."""
    with backend.writer():
        return _reindex_locked(backend, articles, embedder, progress, skipped)


def _reindex_locked(backend: Backend, articles: list[Article], embedder: Embedder,
                    progress: Progress | None, skipped: list[Skipped] | None,
                    corpus_dir: Path | None = None) -> ReindexReport:
    try:
        return _build(backend, articles, embedder, progress, skipped, corpus_dir, reuse=True)
    except IndexCorrupt as err:  # the serving generation broke while we reused it
        log.info("rebuilding the whole index: %s", err)  # the report says it (rebuilt_from_scratch)
        report = _build(backend, articles, embedder, progress, skipped, corpus_dir,
                        reuse=False)
        report.rebuilt_from_scratch = cause(err)
        return report


def _build(backend: Backend, articles: list[Article], embedder: Embedder,
           progress: Progress | None, skipped: list[Skipped] | None,
           corpus_dir: Path | None, reuse: bool) -> ReindexReport:
    """Write a generation for `articles`, reusing the current one's vectors when `reuse`;
    its manifest names `corpus_dir`, the folder they were read from (None: not a folder)."""
    report = ReindexReport(skipped=list(skipped or []))
    previous = _previous(backend, embedder, report) if reuse else None
    old_passages = previous.metadata.article_passages() if previous else {}
    wanted = {a.id for a in articles}
    report.removed = sorted(set(old_passages) - wanted)

    plan: list[tuple[Article, list[int] | None]] = []  # an article, and its passages to reuse
    for article in articles:
        old = old_passages.get(article.id)
        if old and old[0] == article.content_hash:
            plan.append((article, old[1]))
            report.unchanged += 1
        else:
            (report.changed if old else report.added).append(article.id)
            plan.append((article, None))

    if previous is not None and not report.changes and \
            previous.manifest.get("corpus") == _folder_name(corpus_dir):
        report.passages = previous.size
        backend.remove_stale()
        return report

    fresh = {a.id: split_article(a) for a, reused in plan if reused is None}
    texts = [embedding_text(a.title, p.text) for a, reused in plan if reused is None
             for p in fresh[a.id]]
    reused_count = sum(len(reused) for _, reused in plan if reused is not None)
    backend.prepare(len(texts) + reused_count, embedder.dimension,
                    sum(len(a.body.encode("utf-8")) for a in articles))
    new_vectors = embedder.embed(texts, progress=progress)
    report.embedded = len(texts)

    reused_ids = [i for _, reused in plan if reused is not None for i in reused]
    reused_records = {r.id: r for r in previous.metadata.passages(reused_ids)} if previous else {}
    reused_vectors = previous.dense.vectors(reused_ids) if reused_ids else None
    reused_at = {passage: i for i, passage in enumerate(reused_ids)}
    indexed_at = {a.id: a.indexed_at for a in previous.metadata.articles()} if previous else {}
    now = datetime.now(UTC).isoformat(timespec="seconds")

    vectors: list[np.ndarray] = []
    passage_rows: list[dict] = []
    article_rows: list[dict] = []
    next_new = 0
    for article, reused in plan:
        if reused is None:
            passages = fresh[article.id]
            vectors.append(new_vectors[next_new:next_new + len(passages)])
            next_new += len(passages)
        else:
            vectors.append(reused_vectors[[reused_at[i] for i in reused]])
            passages = [reused_records[i] for i in reused]  # stored passages are passages too
        for p in passages:
            passage_rows.append({"row": len(passage_rows), "article_id": article.id,
                                 "id": passage_id(article.id, p.start, p.end, p.text),
                                 "paragraphs": p.paragraphs, "start": p.start, "end": p.end,
                                 "text": p.text, "sentences": p.sentences})
        article_rows.append({
            "id": article.id, "path": article.path, "title": article.title,
            "source": article.source, "published": article.published,
            "content_hash": article.content_hash,
            "indexed_at": indexed_at.get(article.id, now) if reused is not None else now,
            "body": article.body, "paragraphs": [list(p) for p in article.paragraphs]})

    dim = embedder.dimension
    matrix = np.concatenate(vectors) if vectors else np.zeros((0, dim), dtype=np.float32)
    manifest = {
        "format": FORMAT_VERSION,
        "model": {"name": embedder.model_path.name, "fingerprint": embedder.fingerprint},
        "dimension": dim,
        "splitter": splitter(),
        "articles": len(article_rows),
        "passages": len(passage_rows),
        "built_at": now,
        "corpus": _folder_name(corpus_dir),
    }
    backend.write(manifest, matrix, article_rows, passage_rows)
    backend.remove_stale()
    report.passages = len(passage_rows)
    return report


def _folder_name(corpus_dir: Path | None) -> str | None:
    """How a manifest names the corpus folder (absolute), None when built from no folder."""
    return str(corpus_dir) if corpus_dir is not None else None


def _previous(backend: Backend, embedder: Embedder, report: ReindexReport) -> Snapshot | None:
    """The serving generation, if it can be reused for an incremental update."""
    try:
        snapshot = backend.load(embedder.fingerprint)
    except IndexMissing:
        return None
    except (IndexMismatch, IndexCorrupt) as err:
        report.rebuilt_from_scratch = cause(err)
        log.info("rebuilding the whole index: %s", err)  # the report says it (rebuilt_from_scratch)
        return None
    if snapshot.manifest.get("splitter") != splitter():
        report.rebuilt_from_scratch = "passage or word splitting changed since the last build"
        return None
    return snapshot
