"""`briefing reindex`, `briefing add` and `briefing remove`: the corpus folder and the index
built from it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.building import reindex_with_progress
from bot.engine import open_index
from bot.feeds.store import mark_removed
from bot.settings import Settings
from bot.terminal import shown
from bot.wording import counted
from index import ArticleNotFound, BriefingError, BriefingIndex, check_corpus_folder


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    """Index the corpus folder (only what changed); say so when it is not the folder the
    index was built from."""
    index = open_index(settings)
    corpus = args.corpus or settings.corpus_dir
    if args.corpus is not None:
        # A database reindexes what it stores without a folder, but a folder named on
        # purpose and missing is a typo, not a request to import nothing.
        check_corpus_folder(args.corpus)
    warn_if_another_folder(index, corpus)
    index.readmit(args.readmit)
    reindex_and_say(index, corpus, allow_empty=args.allow_empty)
    return 0


def warn_if_another_folder(index: BriefingIndex, corpus: Path) -> None:
    """Say on stderr when `corpus` is not the folder the index was built from: reindexing
    it replaces the index's articles with that folder's."""
    built_from = index.corpus_folder()
    if built_from is not None:  # a local index: a missing folder is the one thing to say
        check_corpus_folder(corpus)
    if built_from is not None and built_from != corpus.resolve():
        print(f"briefing: the index was built from {built_from}; it will now hold the articles "
              f"of {corpus} instead", file=sys.stderr)


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    """`briefing add URL|FILE`: what `/add` does, in its words: fetch the page (within the
    same guard) or read the file (as an upload is checked), save it into the corpus (over the
    article the link gave before), reindex."""
    import asyncio

    from bot.adding import earlier_file, fetch_link, read_file, save_incoming
    from bot.fetch import FetchError, FetchPolicy

    if "://" in args.article:
        policy = FetchPolicy(max_bytes=settings.fetch_max_bytes,
                             timeout_s=settings.fetch_timeout_s,
                             allow_loopback=settings.fetch_allow_loopback)
        try:
            page = asyncio.run(fetch_link(args.article, policy))
        except FetchError as err:
            raise BriefingError(str(err)) from None
    else:
        page = read_file(Path(args.article), settings.attachment_max_bytes)
    index = open_index(settings)
    corpus = settings.corpus_dir
    warn_if_another_folder(index, corpus)
    earlier = earlier_file(index, corpus, page.source) if page.source else None
    added = save_incoming(index, corpus, page, earlier)
    print(f"{added.done} “{shown(added.article.title)}” "
          f"({counted(len(added.article.paragraphs), 'paragraph')}).")
    reindex_and_say(index, corpus)
    return 0


def reindex_and_say(index: BriefingIndex, corpus: Path, allow_empty: bool = False) -> None:
    """Reindex `corpus` with a progress bar, then say on stdout what changed (`allow_empty`:
    see `BriefingIndex.reindex`)."""
    report = reindex_with_progress(index, corpus, sys.stdout, allow_empty)
    if not report.passages:
        print(f"No articles are indexed yet: {corpus} has no readable .md, .txt or .html file.")


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    """One line per article (removed; not found or not removed, with why, on stderr), then
    the reindex that leaves the removed ones out; exit status 1 unless every id was removed.
    Feeds are told, so that one re-publishing a removed article does not bring it back."""
    index = open_index(settings)
    built_from = index.corpus_folder()
    corpus = args.corpus or built_from or settings.corpus_dir
    if built_from is not None and not built_from.is_dir():
        # Removing from nowhere would say "removed" and remove nothing.
        print(f"briefing: the index was built from {shown(str(built_from))}, which is no "
              "longer there: reindex the folder the articles are in now (`briefing reindex "
              "--corpus FOLDER`), then remove", file=sys.stderr)
        return 2
    if built_from is not None and built_from != corpus.resolve():
        # Removing here would reindex from this folder: every article of the other would go.
        print(f"briefing: the index was built from {shown(str(built_from))}, not "
              f"{shown(str(corpus.resolve()))}: remove articles there (--corpus), or reindex "
              f"that folder first", file=sys.stderr)
        return 2
    ids, unnamed = [], {}
    for name in args.articles:
        try:
            ids.append(index.article_named(name) if index.build_needed() is None else name)
        except ArticleNotFound as err:  # perhaps a file not indexed yet: tried as an id
            ids.append(name)
            unnamed[name] = str(err)
    outcomes = index.remove_articles(corpus, ids)
    for outcome in outcomes:
        name = shown(outcome.article)
        if outcome.removed:
            print(f"removed {name}")
        elif outcome.error:
            print(f"briefing: could not remove {name!r}: {shown(outcome.error)}",
                  file=sys.stderr)
        else:
            reason = unnamed.get(outcome.article,
                                 f"no indexed article has that id or title: {name!r}")
            print(f"briefing: {reason} (see `briefing sources`)", file=sys.stderr)
    removed = [o.article for o in outcomes if o.removed]
    remembered = forget_in_feeds(settings, removed)
    if removed:  # asked for: removing the last articles empties the index
        reindex_and_say(index, corpus, allow_empty=True)
    return 0 if remembered and len(removed) == len(outcomes) else 1


def forget_in_feeds(settings: Settings, article_ids: list[str]) -> bool:
    """Tell the feed store these articles were removed; False (said on stderr) when it
    cannot be reached: the removal stands, but a feed may write one of them back."""
    try:
        mark_removed(settings.feeds_db, settings.database_url, article_ids)
    except BriefingError as err:
        print(f"briefing: the feed store was not told of the removal (a feed re-publishing "
              f"the article may bring it back): {err}", file=sys.stderr)
        return False
    return True
