"""One pass over the feeds: download, parse, filter, de-duplicate and save new articles.

Indexing is left to the caller (one reindex per pass). Every feed is handled on its own: an
error ends that feed's turn with one line in the report and touches no other feed. Only the
downloads run on the event loop: every call to the feed store (a database, perhaps across a
network), parsing and article writing run in worker threads, as the bot's other blocking work.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp.abc import AbstractResolver

from bot.feeds import dedupe
from bot.feeds.articles import PageFetch, article_path, fetch_page, item_text, write_article
from bot.feeds.download import download
from bot.feeds.parse import FeedError, FeedItem, parse_feed
from bot.feeds.store import ARTICLE, DUPLICATE, REMOVED, SKIPPED, Feed, FeedStore, ItemRow
from bot.fetch import FetchPolicy, clean_url

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 24 * 3600.0
PAGE_FETCHES = 4  # item pages fetched at once
PASS_WAIT_S = 1.0  # how often a forced pass asks again while another process polls
PAGE_TRIES = 4  # passes that wait for an item's page when its server fails (429, 5xx, timeout)


@dataclass(frozen=True)
class PollOptions:
    """Limits of a pass: the feed and page fetch policies, item age and count caps."""

    feed_policy: FetchPolicy
    page_policy: FetchPolicy
    max_items: int = 50  # new items taken from one feed in one pass
    max_age_days: float = 14.0


@dataclass(frozen=True)
class NewArticle:
    """An article a pass added, with where its feed posts."""

    feed: str
    article: str
    title: str
    source: str
    channel_id: int | None
    post: bool
    backlog: bool = False  # in the feed when it was followed: indexed, not posted one by one
    first_pass: bool = False  # taken by the feed's first pass (announced in one line)


@dataclass
class PollReport:
    """What a pass did."""

    feeds: int = 0
    new: list[NewArticle] = field(default_factory=list)
    duplicates: int = 0
    updated: int = 0
    later: int = 0  # items left for a later pass: their page's server did not answer
    too_short: int = 0  # new items with too little text, on their page or in the feed
    filtered: int = 0  # new items the feed's include/exclude words turned away
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the corpus changed, so a reindex is due."""
        return bool(self.new or self.updated)

    def as_json(self) -> dict[str, object]:
        """The `briefing feed poll --json` object."""
        return {"feeds": self.feeds, "new": len(self.new), "updated": self.updated,
                "duplicates": self.duplicates, "later": self.later,
                "too_short": self.too_short, "filtered": self.filtered,
                "errors": [{"feed": url, "error": error} for url, error in self.errors]}


def next_poll_delay(interval_s: float, failures: int, retry_after_s: float | None = None,
                    rng: random.Random | None = None) -> float:
    """Seconds until a feed's next poll: its interval (±10 %) after a success, else an
    exponential backoff with full jitter in its upper half, at least any Retry-After (up to
    MAX_BACKOFF_S: a server asking for a year, or for "9" * 400 seconds, is asked again
    tomorrow)."""
    rng = rng or random.Random()
    if failures <= 0:
        return interval_s * rng.uniform(0.9, 1.1)
    ceiling = min(MAX_BACKOFF_S, interval_s * 2 ** failures)
    delay = ceiling * rng.uniform(0.5, 1.0)
    return max(delay, min(retry_after_s or 0.0, MAX_BACKOFF_S))


def words_match(words: str, text: str) -> bool:
    """True when any of the comma- or space-separated `words` occurs in `text` as a word
    (case-insensitive; a quoted or comma-separated entry may be a phrase)."""
    entries = [w.strip().strip('"').lower() for w in re.split(r",|\s+(?=(?:[^\"]*\"[^\"]*\")*"
                                                             r"[^\"]*$)", words)]
    folded = " ".join(text.lower().split())
    return any(re.search(rf"(?<!\w){re.escape(e)}(?!\w)", folded) for e in entries if e)


class Poller:
    """Polls the feeds of a store into a corpus folder.

    `holds(guild_id)` says whether this process runs the shard of a feed's guild (None: a
    feed without one, shard 0); a sharded bot polls, and so posts, only the feeds it holds
    and leaves the others to their own process. Default: every feed. (A feed added from the
    command line with a channel gets that channel's guild from the bot: bot/cogs/feeds.py.)"""

    def __init__(self, store: FeedStore, corpus_dir: Path, options: PollOptions,
                 resolver: AbstractResolver | None = None,
                 holds: Callable[[int | None], bool] | None = None) -> None:
        self.store = store
        self.corpus_dir = Path(corpus_dir)
        self.options = options
        self.resolver = resolver
        self.holds = holds or (lambda guild_id: True)

    async def poll(self, due_only: bool = False, now: float | None = None) -> PollReport:
        """One pass over the active feeds (only those due when `due_only`).

        Processes that share the feeds' database take turns: a pass of due feeds is skipped
        while another process polls (that one takes what is due), any other pass waits."""
        while not await asyncio.to_thread(self.store.begin_pass):
            if due_only:
                log.info("another process is polling the feeds; skipping this pass")
                return PollReport()
            await asyncio.sleep(PASS_WAIT_S)
        try:
            return await self._poll(due_only, time.time() if now is None else now)
        finally:
            await asyncio.to_thread(self.store.end_pass)

    async def _poll(self, due_only: bool, now: float) -> PollReport:
        feeds = [f for f in await asyncio.to_thread(self.store.all)
                 if not f.paused and self.holds(f.guild_id)
                 and (not due_only or f.next_poll <= now)]
        report = PollReport(feeds=len(feeds))
        if not feeds:
            return report
        near = await asyncio.to_thread(self._near_duplicates)
        for feed in feeds:
            try:
                await self._poll_feed(feed, report, near, now)
            except FeedError as err:
                await asyncio.to_thread(self._failed, feed, str(err), now,
                                        getattr(err, "retry_after_s", None))
                report.errors.append((feed.url, str(err)))
            except Exception as err:  # a bug must not stop the other feeds
                log.exception("polling %s failed", feed.url)
                message = f"unexpected error ({type(err).__name__})"
                await asyncio.to_thread(self._failed, feed, message, now, None)
                report.errors.append((feed.url, message))
        return report

    def _near_duplicates(self) -> dedupe.NearDuplicates:
        near = dedupe.NearDuplicates()
        for article, data in self.store.signatures():
            near.add(article, dedupe.from_bytes(data))
        return near

    def _failed(self, feed: Feed, error: str, now: float, retry_after: float | None) -> None:
        delay = next_poll_delay(feed.interval_s, feed.failures + 1, retry_after)
        log.warning("feed %s: %s (next try in %.0f s)", feed.url, error, delay)
        self.store.polled(feed.url, next_poll=now + delay, error=error)

    async def _poll_feed(self, feed: Feed, report: PollReport,
                         near: dedupe.NearDuplicates, now: float) -> None:
        response = await download(feed.url, self.options.feed_policy, feed.etag,
                                  feed.last_modified, self.resolver)
        done = now + next_poll_delay(feed.interval_s, 0)
        if response.status == 304:
            await asyncio.to_thread(self.store.polled, feed.url, next_poll=done)
            return
        moment = datetime.fromtimestamp(now, UTC)
        parsed = await asyncio.to_thread(parse_feed, response.body or b"", response.url, moment,
                                         response.content_type)
        items = await asyncio.to_thread(self._candidates, feed, parsed.items, moment)
        # What the feed held when it was followed: taken by its first poll that succeeded.
        # (A feed polled fine but empty or all old has nothing to hold back later.)
        first = (feed.last_polled == "" or feed.failures > 0) and \
            not await asyncio.to_thread(self.store.has_items, feed.url)
        pages = await self._fetch_pages([clean_url(item.link) for item in items])
        waiting = report.later
        for item, page in zip(items, pages, strict=True):
            # Items the first pass left past its cap are backlog all the same when a later
            # pass takes them: dated well before the feed was followed (by more than an
            # interval: a new item may be dated a little before it shows in the feed).
            backlog = first or _before(item, feed.added_at, max(feed.interval_s, 3600.0))
            await asyncio.to_thread(self._take, feed, item, page, moment, report, near,
                                    backlog, first)
        # An item left for later is read again next pass, even if the feed has not changed.
        etag, modified = ("", "") if report.later > waiting else \
            (response.etag, response.last_modified)
        await asyncio.to_thread(self.store.polled, feed.url, next_poll=done, etag=etag,
                                last_modified=modified)

    def _candidates(self, feed: Feed, items: tuple[FeedItem, ...], moment: datetime
                    ) -> list[FeedItem]:
        """Items not seen yet (or changed since), young enough, newest first, capped."""
        cutoff = moment - timedelta(days=self.options.max_age_days)
        chosen = []
        for item in items:
            if item.published is not None and item.published < cutoff:
                continue
            if not (item.guid or item.link or item.text):
                continue
            known = self.store.find_item(_guid(feed, item), clean_url(item.link),
                                         feed.url)
            if known is not None and known.fingerprint == _fingerprint(item):
                continue
            chosen.append(item)
        chosen.sort(key=lambda item: item.published or moment, reverse=True)
        return chosen[:self.options.max_items]

    async def _fetch_pages(self, urls: list[str]) -> list[PageFetch]:
        gate = asyncio.Semaphore(PAGE_FETCHES)

        async def one(url: str) -> PageFetch:
            async with gate:
                return await fetch_page(url, self.options.page_policy, self.resolver)

        return list(await asyncio.gather(*(one(url) for url in urls)))

    def _take(self, feed: Feed, item: FeedItem, fetched: PageFetch,
              moment: datetime, report: PollReport, near: dedupe.NearDuplicates,
              backlog: bool = False, first_pass: bool = False) -> None:
        """Save one item as a new article, replace its earlier version, or record it as a
        duplicate or as skipped (in a worker thread: it reads and writes the store and the
        corpus folder; items are taken one at a time). An item whose article was removed
        (`FeedStore.mark_removed`) is never written again, even when re-published.

        When the page's server fails for now (429, 5xx, timeout), the item waits for the next
        pass, up to PAGE_TRIES passes, rather than being saved from the feed's teaser or
        skipped for good; after that a new item takes the feed's text, and an article already
        saved is kept rather than replaced by the teaser."""
        guid, url, fingerprint = _guid(feed, item), clean_url(item.link), \
            _fingerprint(item)
        known = self.store.find_item(guid, url, feed.url)
        if known is not None and known.fingerprint == fingerprint:
            return
        if known is not None and known.kind == REMOVED:  # an admin removed it: it stays out
            self.store.update_item(known.id, fingerprint, item.title, None)
            return
        held = None if known is not None else self.store.find_item(guid, url)
        if held is not None and held.kind == REMOVED:  # another feed's item, since removed
            self.store.add_item(feed.url, guid, url, held.article, item.title, fingerprint,
                                REMOVED, None)
            return
        if held is not None and held.kind != SKIPPED:  # another feed's item
            self.store.add_item(feed.url, guid, url, held.article, item.title, fingerprint,
                                DUPLICATE, None)
            report.duplicates += 1
            return
        waited = _passes_waited(known)
        # an item the feed held when it was followed stays backlog while it waits
        backlog = backlog or (waited > 0 and known is not None
                              and known.fingerprint.split(":", 1)[0].endswith("b"))
        if fetched.later and waited < PAGE_TRIES and (known is None
                                                      or known.kind in (SKIPPED, ARTICLE)):
            log.info("feed %s: the page of %r did not answer; trying again next pass",
                     feed.url, item.title or url)
            waiting = f"later{waited + 1}{'b' if backlog else ''}:{fingerprint}"
            if known is None:
                self.store.add_item(feed.url, guid, url, "", item.title, waiting, SKIPPED,
                                    None)
            else:
                self.store.update_item(known.id, waiting, known.title, None)
            report.later += 1
            return
        text = item_text(item, url, fetched.page, moment)
        if known is not None and known.kind != SKIPPED:
            if text is not None and known.kind == ARTICLE and not fetched.later:  # replace it
                minhash = dedupe.signature(text.body)
                write_article(self.corpus_dir / f"{known.article}.md", text)
                near.add(known.article, minhash)
                report.updated += 1
                self.store.update_item(known.id, fingerprint, text.title,
                                       dedupe.to_bytes(minhash))
            else:
                self.store.update_item(known.id, fingerprint, item.title, None)
            return
        if text is None or not self._passes_filters(feed, text.title, text.body):
            if text is None:
                log.info("feed %s: item %r has too little text", feed.url, item.title or url)
                report.too_short += 1
            else:
                report.filtered += 1
            if known is not None:
                self.store.update_item(known.id, fingerprint, item.title, None)
            else:
                self.store.add_item(feed.url, guid, url, "", item.title, fingerprint,
                                    SKIPPED, None)
            return
        minhash = dedupe.signature(text.body)
        same = near.match(minhash)
        if same is not None:
            self.store.add_item(feed.url, guid, url, same, text.title, fingerprint,
                                DUPLICATE, None)
            report.duplicates += 1
            return
        article, path = article_path(self.corpus_dir, text.title, guid or url or fingerprint)
        write_article(path, text)
        near.add(article, minhash)
        self.store.add_item(feed.url, guid, url, article, text.title, fingerprint, ARTICLE,
                            dedupe.to_bytes(minhash))
        report.new.append(NewArticle(feed.url, article, text.title, url, feed.channel_id,
                                     feed.post, backlog, first_pass))

    @staticmethod
    def _passes_filters(feed: Feed, title: str, body: str) -> bool:
        text = f"{title}\n{body}"
        if feed.include and not words_match(feed.include, text):
            return False
        return not (feed.exclude and words_match(feed.exclude, text))


def _guid(feed: Feed, item: FeedItem) -> str:
    """An item's guid, qualified by its feed unless it is a URL (URLs are global)."""
    if not item.guid:
        return ""
    return item.guid if item.guid.startswith(("http://", "https://")) else \
        f"{feed.url} {item.guid}"


def _before(item: FeedItem, moment: str, margin_s: float) -> bool:
    """Whether the item says it was published more than `margin_s` before `moment` (an ISO
    time; "" is never)."""
    if item.published is None or not moment:
        return False
    try:
        when = datetime.fromisoformat(moment)
    except ValueError:
        return False
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return item.published < when - timedelta(seconds=margin_s)


def _passes_waited(known: ItemRow | None) -> int:
    """How many passes an item has waited for its page (its fingerprint reads "laterN:...",
    or "laterNb:..." for an item of the feed's backlog)."""
    if known is None or not known.fingerprint.startswith("later"):
        return 0
    return int(known.fingerprint[5:].split(":", 1)[0].removesuffix("b"))


def _fingerprint(item: FeedItem) -> str:
    """What changes when an item is re-published with new content (the date as stated: a
    future date clamped to the time of each poll made the item new at every poll)."""
    published = item.stated.isoformat() if item.stated else ""
    return hashlib.sha256(f"{item.title}\0{item.text}\0{published}".encode()).hexdigest()[:16]
