"""`briefing feed add|list|remove|pause|resume|poll`: following feeds from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

from bot.cli.exits import UsageError
from bot.feeds.listing import feed_parts
from bot.feeds.store import Feed, FeedStore
from bot.feeds.urls import find_feed, normalise_feed_url
from bot.settings import Settings
from bot.when import duration_text
from bot.wording import counted
from index import BriefingError

FOLLOWED_URL = "the feed's URL, as `briefing feed list` shows it (any spelling of it)"


def add_feed_parser(sub: argparse._SubParsersAction) -> None:
    """Register `feed` and its subcommands on the `briefing` parser."""
    feed = sub.add_parser("feed", help="follow RSS/Atom feeds: add, list, remove, pause, "
                          "resume, poll")
    commands = feed.add_subparsers(dest="feed_command", required=True, metavar="ACTION")

    p = commands.add_parser("add", help="follow a feed (or change the options given: the "
                            "others keep their values)")
    p.add_argument("url", metavar="URL", help="the feed's http(s) URL")
    p.add_argument("--channel", type=int, metavar="ID",
                   help="Discord channel id to post its new items to (the bot process "
                        "holding that channel's server polls the feed)")
    p.add_argument("--include", metavar="WORDS",
                   help="take only items whose title or text has one of these words "
                        '(comma-separated; "" clears the list)')
    p.add_argument("--exclude", metavar="WORDS",
                   help="skip items whose title or text has one of these words "
                        '(comma-separated; "" clears the list)')
    p.add_argument("--every", type=float, metavar="MINUTES",
                   help="minutes between polls, 1/60 (a second) to 10080 (7 days); 0.5 is 30 "
                        "seconds (default: BRIEFING_FEED_INTERVAL_S, in seconds)")
    p.set_defaults(run=cmd_feed_add)

    p = commands.add_parser("list", help="the followed feeds")
    p.add_argument("--json", action="store_true", help="a JSON array, one object per feed")
    p.set_defaults(run=cmd_feed_list)

    p = commands.add_parser("remove", help="stop following a feed (its articles stay)")
    p.add_argument("url", metavar="URL", help=FOLLOWED_URL)
    p.set_defaults(run=cmd_feed_remove)

    for action, paused, words in (("pause", True, "stop polling a feed for now (it stays "
                                   "followed, its articles stay)"),
                                  ("resume", False, "poll a paused feed again")):
        p = commands.add_parser(action, help=words)
        p.add_argument("url", metavar="URL", help=FOLLOWED_URL)
        p.set_defaults(run=cmd_feed_pause, paused=paused)

    p = commands.add_parser("poll", help="one pass over all feeds, index what is new, exit "
                            "(status 1 if a feed could not be read)")
    p.add_argument("--json", action="store_true",
                   help='print {"feeds", "new", "updated", "duplicates", "later", "too_short", '
                        '"filtered", "errors"}')
    p.set_defaults(run=cmd_feed_poll)


def cmd_feed_add(args: argparse.Namespace, settings: Settings) -> int:
    """`briefing feed add`: follow a feed, or change the options given of one followed."""
    url = normalise_feed_url(args.url)
    if args.channel is not None and not 0 < args.channel < 2**63:  # a snowflake's range
        raise UsageError("--channel must be a Discord channel id (a positive number)")
    if args.every is not None and not 1 / 60 <= args.every <= 7 * 24 * 60:
        raise UsageError("--every must be between 1 second and 7 days (in minutes)")
    store = FeedStore(settings.feeds_db, database_url=settings.database_url)
    try:
        known = find_feed(store.all(), url)
        url = known.url if known is not None else url  # a feed stored in an older spelling
        if known is None:
            _check_feed(url, settings)
        feed = _options(args, known, settings.feed_interval_s, url)
        added = store.add(feed)
    finally:
        store.close()
    # In the words of /feed add: the interval the feed now has, and where it posts.
    where = (f"; new items are posted in channel {feed.channel_id}"
             if feed.post and feed.channel_id else "")
    print(f"{'Following' if added == 'added' else 'Updated'} {url} "
          f"(every {duration_text(feed.interval_s)}{where}).")
    return 0


def _check_feed(url: str, settings: Settings) -> None:
    """Refuse (BriefingError) a URL that serves a web page or another document, not a feed."""
    from bot.feeds.check import NotAFeed, check_feed
    from bot.feeds.options import poll_options

    try:
        asyncio.run(check_feed(url, poll_options(settings).feed_policy))
    except NotAFeed as err:
        raise BriefingError(err.refusal()) from None


def _options(args: argparse.Namespace, known: Feed | None, interval_s: float, url: str) -> Feed:
    """The feed as `feed add` leaves it: the options given, and for a feed already followed
    its own values of the others (an update of --every wiped its channel and filters)."""
    channel = args.channel if args.channel is not None or known is None else known.channel_id
    post = args.channel is not None or (known is not None and known.post and channel is not None)
    include = args.include if args.include is not None else (known.include if known else "")
    exclude = args.exclude if args.exclude is not None else (known.exclude if known else "")
    interval = (args.every * 60 if args.every is not None
                else known.interval_s if known else interval_s)
    return Feed(url, None, channel, include.strip(), exclude.strip(), post, False, interval)


def cmd_feed_list(args: argparse.Namespace, settings: Settings) -> int:
    """`briefing feed list`: the followed feeds, as lines or a JSON array."""
    store = FeedStore(settings.feeds_db, database_url=settings.database_url)
    try:
        feeds = store.all()
    finally:
        store.close()
    if args.json:
        print(json.dumps([f.as_json() for f in feeds], ensure_ascii=False))
        return 0
    if not feeds:
        print("No feeds are followed.")
    for f in feeds:
        print("  ".join(feed_parts(f)))
    return 0


def cmd_feed_remove(args: argparse.Namespace, settings: Settings) -> int:
    """`briefing feed remove`: stop following a feed; its articles stay."""
    store = FeedStore(settings.feeds_db, database_url=settings.database_url)
    try:
        feed = find_feed(store.all(), args.url)
        removed = feed is not None and store.remove(feed.url)
    finally:
        store.close()
    if not removed:
        raise BriefingError(f"not following {args.url.strip()}")
    print(f"Stopped following {feed.url}")
    return 0


def cmd_feed_pause(args: argparse.Namespace, settings: Settings) -> int:
    """`briefing feed pause|resume`: stop polling a feed for now, or poll it again."""
    store = FeedStore(settings.feeds_db, database_url=settings.database_url)
    try:
        feed = find_feed(store.all(), args.url)
        if feed is not None:
            store.set_paused(feed.url, args.paused)
    finally:
        store.close()
    if feed is None:
        raise BriefingError(f"not following {args.url.strip()}")
    print(f"{'Paused' if args.paused else 'Resumed'} {feed.url}")
    return 0


def cmd_feed_poll(args: argparse.Namespace, settings: Settings) -> int:
    """`briefing feed poll`: one pass over every feed, then one reindex of what is new;
    status 1 when a feed could not be read."""
    from bot.cli.building import reindex_with_progress
    from bot.engine import open_index
    from bot.feeds.options import poll_options
    from bot.feeds.poll import Poller

    if not getattr(args, "verbose", False):
        # each feed's error is printed below (or in the JSON): its log line (for the bot, with
        # when the feed is tried next) would say it a second time on stderr
        logging.getLogger("bot.feeds.poll").setLevel(logging.ERROR)
    store = FeedStore(settings.feeds_db, database_url=settings.database_url)
    try:
        report = asyncio.run(Poller(store, settings.corpus_dir, poll_options(settings)).poll())
    finally:
        store.close()
    if report.changed:
        reindex_with_progress(open_index(settings), settings.corpus_dir, sys.stderr)
    failed = 1 if report.errors else 0  # a feed that could not be read: a script sees it
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
        return failed
    print(f"{counted(report.feeds, 'feed')} polled: {len(report.new)} new, "
          f"{report.updated} updated, {counted(report.duplicates, 'duplicate')}"
          + (f", {report.later} waiting for their page" if report.later else "")
          + (f", {report.too_short} with too little text" if report.too_short else "")
          + (f", {report.filtered} filtered out" if report.filtered else ""))
    for article in report.new:
        print(f"  new: {article.title} ({article.source or article.article})")
    for url, error in report.errors:
        print(f"  {url}: {error}")
    return failed
