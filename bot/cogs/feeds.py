"""Following feeds: `/feed add|list|remove|pause` and the poll loop that posts new items."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import replace

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import render
from bot.app import BriefingBot, in_guild
from bot.cogs.channel_access import require_posting
from bot.cogs.choices import AUTOCOMPLETE_CHOICES, CHOICE_VALUE_LIMIT, choice_value
from bot.errors import UserError
from bot.feeds.check import NotAFeed, check_feed
from bot.feeds.listing import feed_parts
from bot.feeds.options import poll_options
from bot.feeds.poll import NewArticle, Poller, PollReport
from bot.feeds.post import backlog_text, post_text
from bot.feeds.store import Feed, FeedStore
from bot.feeds.urls import find_feed, normalise_feed_url
from bot.when import duration_text
from index import BriefingError

log = logging.getLogger(__name__)

MAX_POSTS_PER_POLL = 20  # a feed that floods is summarised by /digest, not posted item by item
MAX_UNPOSTED = 200  # new articles kept for posting after a failed reindex (the newest)
CHECK_TIMEOUT_S = 2.0  # for the check that a new feed's URL serves a feed
URL_SHOWN = 300  # characters of a feed's URL shown in replies and /feed list


class Feeds(commands.Cog):
    """RSS/Atom feeds polled on their own schedule; new items indexed (and posted if asked)."""

    feed = app_commands.Group(name="feed", description="Follow RSS and Atom news feeds",
                              guild_only=True,
                              default_permissions=discord.Permissions(manage_guild=True))

    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot
        self.store = FeedStore(bot.settings.feeds_db, database_url=bot.settings.database_url)
        self.poller = Poller(self.store, bot.settings.corpus_dir, poll_options(bot.settings),
                             holds=bot.holds_guild)
        self.polling = asyncio.Lock()
        self.unseen: set[int] = set()  # feed channels Discord says this bot cannot see
        # Saved by a pass whose reindex failed: indexed and posted after the next one that works
        self.unposted: list[NewArticle] = []
        self.poll_due_feeds.change_interval(seconds=bot.settings.feed_check_s)

    async def cog_load(self) -> None:
        self.poll_due_feeds.start()

    async def cog_unload(self) -> None:
        self.poll_due_feeds.cancel()
        async with self.polling:  # a pass in flight finishes its writes first
            await asyncio.to_thread(self.store.close)

    async def poll_once(self, due_only: bool = True) -> PollReport:
        """One pass; new articles are indexed in one reindex (questions keep being answered
        from the current index meanwhile), then posted where their feed asks. When that
        reindex fails, the next pass that polls a feed reindexes again, changed or not, and
        posts what the failed one left unposted."""
        async with self.polling:
            await self._place_channel_feeds()
            report = await self.poller.poll(due_only=due_only)
            retry = bool(self.unposted) and report.feeds > 0
            if not report.changed and not retry:
                return report
            new = report.new + self.unposted  # newest first, as a pass lists them
            outcome = await self.bot.reindexing.run_or_explain()
            if isinstance(outcome, str):
                self.unposted = new[:MAX_UNPOSTED]
                log.warning("feed poll: %s (%d new articles wait for the next pass)",
                            outcome, len(self.unposted))
                return report
            self.unposted = []
            log.info("feed poll: %d new, %d updated, %d duplicates, %d waiting for their page,"
                     " %d with too little text, %d filtered out, %d errors", len(report.new),
                     report.updated, report.duplicates, report.later, report.too_short,
                     report.filtered, len(report.errors))
            await self._post([a for a in new if a.post and a.channel_id])
            return report

    async def _place_channel_feeds(self) -> None:
        """Give each feed added from the command line with a channel the server of that
        channel, so that the process whose shard holds the server polls and posts it (as a
        scheduled digest is). Done by the process that holds feeds without a server (shard
        0), which polls them meanwhile; a channel it cannot see stays with it."""
        if not self.bot.holds_guild(None):
            return
        for feed in await asyncio.to_thread(self.store.all):
            if feed.guild_id is not None or feed.channel_id is None \
                    or feed.channel_id in self.unseen:
                continue
            guild_id = await self._guild_of(feed.channel_id)
            if guild_id is not None:
                await asyncio.to_thread(self.store.set_guild, feed.url, feed.channel_id,
                                        guild_id)
                log.info("feed %s posts in a channel of server %s", feed.url, guild_id)

    async def _guild_of(self, channel_id: int) -> int | None:
        """The server of a channel: from this process's cache, else asked of Discord (a
        channel of another shard's server); None when unknown for now."""
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except (discord.NotFound, discord.Forbidden):
                log.warning("feed channel %s cannot be seen by the bot", channel_id)
                self.unseen.add(channel_id)
                return None
            except discord.HTTPException as err:  # asked again on the next pass
                log.warning("cannot look up feed channel %s: %s", channel_id, err)
                return None
        guild = getattr(channel, "guild", None)
        return guild.id if guild is not None else None

    async def _post(self, articles: list[NewArticle]) -> None:
        """The newest new items (up to MAX_POSTS_PER_POLL), oldest first so that the channel
        reads in time order; what a feed held when it was added is one line, not a flood."""
        backlog = Counter((a.feed, a.channel_id) for a in articles if a.first_pass)
        for (feed, channel_id), count in backlog.items():
            await self._send(channel_id, backlog_text(feed, count))
        fresh = [a for a in articles if not a.backlog][:MAX_POSTS_PER_POLL]
        for article in reversed(fresh):  # the poll lists them newest first
            try:
                summary = await asyncio.to_thread(self.bot.index.summarize, article.article, 1)
                sentence = summary.sentences[0] if summary.sentences else None
            except BriefingError as err:
                log.warning("no key sentence for %s: %s", article.article, err)
                sentence = None
            await self._send(article.channel_id,
                             post_text(article.title, article.source, sentence))

    async def _send(self, channel_id: int | None, text: str) -> None:
        channel = self.bot.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("feed channel %s is gone", channel_id)
            return
        try:
            await channel.send(text)
        except discord.HTTPException:
            log.warning("could not post in feed channel %s", channel_id, exc_info=True)

    @tasks.loop(seconds=60)
    async def poll_due_feeds(self) -> None:
        """Poll the feeds whose time has come; a failure is logged and the loop goes on."""
        try:
            await self.poll_once(due_only=True)
        except Exception:
            log.exception("feed poll failed")

    @poll_due_feeds.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    @feed.command(name="add", description="Follow a feed: its new items are indexed")
    @app_commands.describe(url="The feed's http(s) URL (RSS or Atom)",
                           channel="Where to post its new items",
                           include="Only items with one of these words (comma-separated)",
                           exclude="Skip items with any of these words (comma-separated)",
                           post="Post new items in the channel (default: yes if a channel "
                                "is given)",
                           every="Minutes between polls")
    @app_commands.checks.has_permissions(manage_guild=True)
    @in_guild()
    async def feed_add(self, interaction: discord.Interaction, url: str,
                       channel: discord.TextChannel | None = None, include: str = "",
                       exclude: str = "", post: bool | None = None,
                       every: app_commands.Range[int, 1, 10080] | None = None) -> None:
        try:
            url = normalise_feed_url(url)
        except BriefingError as err:
            raise UserError(str(err)) from None
        post = channel is not None if post is None else post
        if post:
            require_posting(channel or interaction.channel)
        known = find_feed(await asyncio.to_thread(self.store.all), url)
        url = known.url if known is not None else url  # a feed stored in an older spelling
        if known is None:
            await self._check_feed(url)
        target = channel.id if channel is not None else (
            interaction.channel_id if post else None)
        interval = every * 60.0 if every is not None else self.bot.settings.feed_interval_s
        added = await asyncio.to_thread(self.store.add, Feed(
            url, interaction.guild_id, target, include.strip(), exclude.strip(), post, False,
            interval))
        if added is None:
            raise UserError("Another server already follows that feed: its new items are "
                            "indexed (and answer questions here) without following it again.")
        where = f"; new items are posted in <#{target}>" if post and target else ""
        await interaction.response.send_message(
            f"{'Following' if added == 'added' else 'Updated'} {shown(url)} (every "
            f"{duration_text(interval)}{where}).")

    async def _check_feed(self, url: str) -> None:
        """Refuse (UserError) a URL that serves a web page or another document, not a feed;
        a feed slower than CHECK_TIMEOUT_S is left to its first poll (the reply is due in 3 s)."""
        policy = self.poller.options.feed_policy
        quick = replace(policy, timeout_s=min(policy.timeout_s, CHECK_TIMEOUT_S))
        try:
            await check_feed(url, quick)
        except NotAFeed as err:
            raise UserError(err.refusal(shown)) from None

    @feed.command(name="list", description="The feeds this server follows")
    @app_commands.checks.has_permissions(manage_guild=True)
    @in_guild()
    async def feed_list(self, interaction: discord.Interaction) -> None:
        feeds = await asyncio.to_thread(self.store.all, interaction.guild_id)
        if not feeds:
            await interaction.response.send_message("No feeds are followed.", ephemeral=True)
            return
        lines = [_feed_line(f) for f in feeds]
        more = "\n…and {} more (`briefing feed list` shows all)"
        # room for the count line at its longest (every feed but one left out)
        text = render.whole_lines(lines, render.CONTENT_LIMIT - len(more.format(len(lines))))
        if (kept := text.count("\n") + 1) < len(lines):
            text += more.format(len(lines) - kept)
        await interaction.response.send_message(text, ephemeral=True)

    @feed.command(name="remove", description="Stop following a feed (its articles stay)")
    @app_commands.describe(url="The feed's URL")
    @app_commands.checks.has_permissions(manage_guild=True)
    @in_guild()
    async def feed_remove(self, interaction: discord.Interaction, url: str) -> None:
        feed = await self._own_feed(interaction, url)
        await asyncio.to_thread(self.store.remove, feed.url)
        await interaction.response.send_message(
            f"Stopped following {shown(feed.url)}.")

    @feed.command(name="pause", description="Pause (or resume) polling a feed")
    @app_commands.describe(url="The feed's URL", paused="True pauses, false resumes")
    @app_commands.checks.has_permissions(manage_guild=True)
    @in_guild()
    async def feed_pause(self, interaction: discord.Interaction, url: str,
                         paused: bool = True) -> None:
        feed = await self._own_feed(interaction, url)
        await asyncio.to_thread(self.store.set_paused, feed.url, paused)
        await interaction.response.send_message(
            f"{'Paused' if paused else 'Resumed'} {shown(feed.url)}.")

    @feed_remove.autocomplete("url")
    @feed_pause.autocomplete("url")
    async def url_choices(self, interaction: discord.Interaction,
                          current: str) -> list[app_commands.Choice[str]]:
        feeds = await asyncio.to_thread(self.store.all, interaction.guild_id)
        return [app_commands.Choice(name=render.clip(f.url, CHOICE_VALUE_LIMIT),
                                    value=choice_value(f.url))
                for f in feeds if current.casefold() in f.url.casefold()][:AUTOCOMPLETE_CHOICES]

    async def _own_feed(self, interaction: discord.Interaction, url: str) -> Feed:
        """The feed of this server (or of the command line) that `url` names: picked from
        the list (a long URL's choice value), or typed in any spelling of its URL."""
        feeds = await asyncio.to_thread(self.store.all, interaction.guild_id)
        feed = next((f for f in feeds if choice_value(f.url) == url.strip()), None)
        feed = feed or find_feed(feeds, url)
        if feed is None:
            raise UserError("This server does not follow that feed; see /feed list.")
        return feed


def _feed_line(feed: Feed) -> str:
    """One feed in /feed list: its parts, inert, its channel mentioned."""
    return " · ".join(feed_parts(feed, shown, "<#{}>".format))


def shown(text: str) -> str:
    """A feed's URL (or its words, or its last error) as replies show it: inert, and clipped
    when very long."""
    return render.inert(render.clip(text, URL_SHOWN))


async def setup(bot: BriefingBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Feeds(bot))
