"""One generation of the index on disk: written aside, then made current by an atomic rename.

Layout of the index directory::

    CURRENT                 name of the generation in use (replaced atomically)
    gen-<time>-<rand>/      manifest.json, vectors.npy (+ dense.faiss when large),
                            lexical/ (none when there are no passages), metadata.sqlite,
                            row_articles.npy, article_lexical/, passage_ids.npy

A reindex writes a new generation next to the serving one and only then rewrites CURRENT,
so a crash at any point leaves the previous generation loadable.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import secrets
import shutil
import sqlite3
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import numpy as np

from index.errors import (
    PREVIOUS_STILL_ANSWERS,
    REINDEX_ADVICE,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    IndexNotWritable,
)
from index.search.scope import Catalog
from index.store.article_level import ROW_ARTICLES_FILE, ArticleEvidence
from index.store.base import ArticleSearch, DenseSearch, LexicalSearch, Metadata
from index.store.dense import DenseStore
from index.store.files import read_json, unreadable
from index.store.lexical import LexicalIndex
from index.store.local import (
    PASSAGE_IDS_FILE,
    LocalArticles,
    LocalDense,
    LocalLexical,
    LocalMetadata,
    RowIds,
)
from index.store.metadata import MetadataStore
from index.store.writer_lock import not_writable

log = logging.getLogger(__name__)
T = TypeVar("T")

FORMAT_VERSION = 5  # 4: article-level BM25 (index/store/article_level.py); 5: stable passage ids
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
_GENERATION_NAME = re.compile(r"gen-[0-9A-Za-z-]+")


@dataclass
class Snapshot:
    """A loaded, read-only generation, from whichever backend: what search, summaries and
    digests read (see index/store/base.py)."""

    generation: str
    manifest: dict
    dense: DenseSearch
    lexical: LexicalSearch
    metadata: Metadata
    articles: ArticleSearch
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False,
                                       compare=False)

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """`compute()`, once per snapshot: a generation never changes once written, so what
        is derived from all of it (stories) is computed on first use and kept with it."""
        with self._memo_lock:
            if key not in self._memo:
                self._memo[key] = compute()
            return self._memo[key]

    def close(self) -> None:
        """Release what its stores hold open (a database connection); stores without a
        `close` (memory maps, files) are left to the garbage collector."""
        close = getattr(self.metadata, "close", None)
        if close is not None:
            close()

    @property
    def size(self) -> int:
        """Number of passages."""
        return len(self.dense)

    @functools.cached_property
    def catalog(self) -> Catalog:
        """Each article's id, outlet and date, for scoping and recency (read once)."""
        return Catalog.of(self.metadata)


def current_generation(index_dir: Path) -> Path | None:
    """Directory of the generation CURRENT names, or None when there is no index yet.

    Whatever CURRENT holds (stray bytes, `..`, a path) it never names anything but a
    generation folder inside `index_dir`; anything else is IndexCorrupt, which reindex repairs.
    """
    pointer = Path(index_dir) / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise unreadable(pointer, err) from None
    if not _GENERATION_NAME.fullmatch(name) or not (Path(index_dir) / name).is_dir():
        raise IndexCorrupt(f"{pointer} names a missing generation {name[:80]!r}"
                           f"{REINDEX_ADVICE}")
    return Path(index_dir) / name


def pointer_identity(index_dir: Path) -> tuple[int, int, int] | None:
    """What identifies the CURRENT file on disk (inode, size, modification time); None without one.

    CURRENT is only ever replaced by a rename, so a new generation always changes its inode:
    a serving process compares this on every question (a stat, about a microsecond) to notice
    a generation that another process built.
    """
    try:
        info = os.stat(Path(index_dir) / CURRENT)
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


def load_snapshot(index_dir: Path, model_fingerprint: str | None = None) -> Snapshot:
    """Load the current generation; never re-embeds anything."""
    directory = current_generation(index_dir)
    if directory is None:
        raise IndexMissing(f"no index in {index_dir}; run `briefing reindex`")
    manifest = read_json(directory / MANIFEST)
    if not isinstance(manifest, dict):
        raise unreadable(directory / MANIFEST, "not a JSON object")
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexMismatch(f"index in {index_dir} has format {manifest.get('format')}, this "
                            f"version reads {FORMAT_VERSION}; run `briefing reindex`")
    if model_fingerprint and manifest.get("model", {}).get("fingerprint") != model_fingerprint:
        raise IndexMismatch(f"index in {index_dir} was built with another model "
                            f"({manifest.get('model', {}).get('name')}); run `briefing reindex`")
    try:
        dense = DenseStore.load(directory)
        lexical = (LexicalIndex.load(directory / "lexical") if manifest.get("passages")
                   else None)  # bm25s cannot index nothing: an empty corpus matches no word
        metadata = MetadataStore(directory / "metadata.sqlite")
        metadata.check()
        articles = ArticleEvidence.load(directory)
        ids = RowIds.load(directory)
        if not len(articles) == len(ids) == len(dense):
            raise ValueError(f"{len(articles)} passage articles and {len(ids)} ids for "
                             f"{len(dense)} vectors")
        if manifest.get("articles") and articles.lexical is None:
            raise ValueError("the article BM25 index is missing")
        _check_rows(articles, ids, manifest.get("articles") or 0)
    except IndexCorrupt:  # a file that could not be read: it names the file
        raise
    except Exception as err:  # faiss, bm25s and sqlite each raise their own types
        raise IndexCorrupt(f"damaged index in {directory}: {err}{REINDEX_ADVICE}") from None
    if len(dense) != manifest.get("passages"):
        raise IndexCorrupt(f"damaged index in {directory}: {len(dense)} vectors, manifest says "
                           f"{manifest.get('passages')}{REINDEX_ADVICE}")
    return Snapshot(directory.name, manifest, LocalDense(dense, ids), LocalLexical(lexical, ids),
                    LocalMetadata(metadata, ids), LocalArticles(articles, ids))


def _check_rows(articles: ArticleEvidence, ids: RowIds, article_count: int) -> None:
    """ValueError when the per-row arrays hold values no reindex writes (bytes overwritten
    in place keep a file's size, so the length checks pass): an article number out of range
    made every question fail, and a reindex finding nothing changed kept the damage."""
    numbers = articles.row_articles
    if len(numbers) and (int(numbers.min()) < 0 or int(numbers.max()) >= article_count):
        raise ValueError(f"{ROW_ARTICLES_FILE} names articles outside 0..{article_count - 1}")
    if not ids.distinct_and_valid():
        raise ValueError(f"{PASSAGE_IDS_FILE} holds negative or repeated passage ids")


def write_generation(index_dir: Path, manifest: dict, vectors: np.ndarray,
                     articles: list[dict], passages: list[dict]) -> Path:
    """Write a complete generation and make it current; returns its directory.

    Call it holding the writer lock (index/store/writer_lock.py). A write that fails (read-only
    folder, full disk) removes what it wrote and raises IndexNotWritable: CURRENT still names
    the previous generation.
    """
    index_dir = Path(index_dir)
    name = f"gen-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    staging = index_dir / f".tmp-{name}"
    final = index_dir / name
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
        _write_stores(staging, manifest, vectors, articles, passages)
        os.rename(staging, final)
        _point_at(index_dir, name)
    except (OSError, sqlite3.Error, RuntimeError) as err:  # RuntimeError: faiss's write errors
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(final, ignore_errors=True)
        raise not_writable(index_dir, err) from None
    try:
        _fsync_file(index_dir)  # makes the rename durable; the new generation serves either way
    except OSError as err:
        log.warning("could not flush %s to disk: %s", index_dir, err)
    return final


def _write_stores(staging: Path, manifest: dict, vectors: np.ndarray,
                  articles: list[dict], passages: list[dict]) -> None:
    """Every file of a generation, flushed to disk, inside `staging`."""
    manifest = {**manifest, "dense": DenseStore.write(staging, vectors)}
    if passages:  # an empty corpus gets no lexical/ (bm25s cannot index nothing)
        LexicalIndex.build([p["text"] for p in passages]).save(staging / "lexical")
    MetadataStore.write(staging / "metadata.sqlite", articles, passages)
    number = {a["id"]: i for i, a in enumerate(articles)}
    ArticleEvidence.write(staging, np.array([number[p["article_id"]] for p in passages]),
                          [f"{a['title']}\n{a['body']}" for a in articles])
    RowIds.write(staging, [p["id"] for p in passages])
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    _fsync_tree(staging)


def check_space(index_dir: Path, passages: int, dimension: int, text_bytes: int) -> None:
    """Refuse before embedding when the disk clearly cannot hold the new generation."""
    needed = passages * dimension * 4 + 3 * text_bytes + (1 << 20)  # vectors, texts x3, slack
    free = shutil.disk_usage(index_dir).free
    if free < needed:
        raise IndexNotWritable(f"not enough free space in {index_dir}: about "
                               f"{needed / 1e6:.1f} MB needed, only {free / 1e6:.1f} MB free"
                               + PREVIOUS_STILL_ANSWERS)


def _point_at(index_dir: Path, name: str) -> None:
    """Make generation `name` current: write CURRENT aside, then rename it over the old one."""
    pointer_tmp = index_dir / f".{CURRENT}.{secrets.token_hex(3)}"
    try:
        pointer_tmp.write_text(name + "\n", encoding="utf-8")
        _fsync_file(pointer_tmp)
        os.replace(pointer_tmp, index_dir / CURRENT)
    finally:
        pointer_tmp.unlink(missing_ok=True)


def remove_stale(index_dir: Path, keep: int = 2) -> None:
    """Delete unfinished builds and all but the `keep` newest generations (current included).

    Call it holding the writer lock: the unfinished builds it deletes are then leftovers of a
    killed process, never another reindex's work in progress.
    """
    index_dir = Path(index_dir)
    if not index_dir.is_dir():
        return
    try:
        current = current_generation(index_dir)
    except IndexCorrupt:  # keep everything until a reindex repairs the pointer
        return
    remove_leftovers(index_dir)
    generations = sorted(p for p in index_dir.glob("gen-*") if p.is_dir())
    older = [g for g in generations if g != current]
    for stale in older[:max(0, len(older) - (keep - 1))]:
        _remove_folder(stale)


def remove_leftovers(index_dir: Path) -> None:
    """Delete what killed reindexes left (unfinished builds, pointer files being written).

    Call it holding the writer lock. A reindex does so before it checks for free space too:
    the leftovers of a few killed runs could otherwise fill a small disk for good.
    """
    for leftover in Path(index_dir).glob(".tmp-gen-*"):
        _remove_folder(leftover)
    for leftover in Path(index_dir).glob(f".{CURRENT}.*"):
        leftover.unlink(missing_ok=True)


def _remove_folder(folder: Path) -> None:
    """Delete `folder`, saying so when it cannot be (owned by another user, say): it would
    otherwise take disk space for good without a word."""
    failed: list[str] = []
    if sys.version_info >= (3, 12):
        shutil.rmtree(folder, onexc=lambda _f, path, err: failed.append(f"{path}: {err}"))
    else:
        shutil.rmtree(folder, onerror=lambda _f, path, info: failed.append(f"{path}: {info[1]}"))
    if failed:
        log.warning("could not delete %s (%s)", folder, failed[0])


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for folder, _, names in os.walk(root):
        for name in names:
            _fsync_file(Path(folder) / name)
        _fsync_file(Path(folder))
