"""Summaries and digests: `/summary`, `/digest show|schedule|unschedule`, scheduled posts."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import render
from bot.app import BriefingBot, in_guild
from bot.cogs import replies
from bot.cogs.channel_access import require_posting
from bot.cogs.choices import article_choices, resolve_article, unresolved
from bot.cogs.options import declare
from bot.errors import UserError
from bot.question_limit import slow_down
from bot.schedules import Schedule, ScheduleStore
from bot.statedb import StateUnavailable
from bot.when import parse_clock, parse_since
from index import InvalidQuestion, check_question

log = logging.getLogger(__name__)


class Summaries(commands.Cog):
    """Cited extractive summaries of one article, of a topic, or of what is new."""

    digest = app_commands.Group(name="digest", description="What was indexed recently")

    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot
        self.schedules = ScheduleStore(bot.settings.schedules_db,
                                       database_url=bot.settings.database_url)
        self.post_due_digests.change_interval(seconds=bot.settings.digest_check_s)
        # server -> the slot whose digest could not go out (no channel, no access): tried
        # again at the next slot, not at every check; the digest released covers it then
        self.held_back: dict[int, datetime] = {}
        declare(self.summary, "topic", max_value=bot.index.max_question_chars)

    async def cog_load(self) -> None:
        self.post_due_digests.start()

    async def cog_unload(self) -> None:
        self.post_due_digests.cancel()
        self.schedules.close()

    @app_commands.command(name="summary",
                          description="Summarize one article, or brief me on a topic")
    @app_commands.describe(article="The article to summarize",
                           topic="A topic to brief on across all articles",
                           sentences="How many sentences (3-10)")
    async def summary(self, interaction: discord.Interaction, article: str | None = None,
                      topic: str | None = None,
                      sentences: app_commands.Range[int, 3, 10] = 5) -> None:
        """Unknown articles and unusable topics are refused before the defer, privately."""
        if (article is None) == (topic is None):
            raise UserError("Give either an article or a topic.")
        index = self.bot.index
        if article is not None:
            records = await asyncio.to_thread(index.sources)
            typed, article = article, resolve_article(article, records)
            if article is None:
                raise UserError(unresolved(typed, records))
        else:
            if retry := self.bot.questions.retry_after(interaction.user.id):
                raise UserError(slow_down(retry))
            try:
                topic = check_question(topic, index.max_question_chars)
            except InvalidQuestion as err:
                raise UserError(err.about("topic")) from None
        await replies.think(interaction)
        if article is not None:
            result = await self.bot.answer_work(index.summarize, article, sentences)
            title = result.sentences[0].title if result.sentences else article
        else:
            result = await self.bot.answer_work(index.summarize_topic, topic, sentences)
            title = f"Briefing: {topic}"
        if not result.answered or not result.sentences:
            if result.refusal is not None and result.refusal.hits:  # the evidence, hedged
                await replies.answer(interaction, **render.not_covered_message(
                    result.refusal, titled=True))
            else:
                await replies.answer(interaction, content=render.nothing_on_topic(result))
            return
        message: dict[str, object] = {"embed": render.summary_embed(
            result, title, asked=sentences if topic is not None else None)}
        if note := render.read_as_line(result):  # above the briefing, as above an answer
            message["content"] = note
        await replies.answer(interaction, **message)

    @summary.autocomplete("article")
    async def article_choices(self, interaction: discord.Interaction,
                              current: str) -> list[app_commands.Choice[str]]:
        return article_choices(await asyncio.to_thread(self.bot.index.sources), current)

    @digest.command(name="show", description="The stories indexed since a time")
    @app_commands.describe(since="A date (YYYY-MM-DD) or an age such as 1d or 7d; default 1d")
    async def digest_show(self, interaction: discord.Interaction,
                          since: app_commands.Range[str, 1, 100] = "1d") -> None:
        try:
            moment = parse_since(since)
        except ValueError as err:
            raise UserError(str(err)) from None
        await replies.think(interaction)
        digest = await self.bot.answer_work(self.bot.index.digest, moment,
                                            limit=render.DIGEST_STORIES)
        await replies.answer(interaction, embed=render.digest_embed(digest))

    @digest.command(name="schedule", description="Post the digest here every day")
    @app_commands.describe(channel="Where to post", time="Time of day, 24-hour UTC, e.g. 08:00")
    @app_commands.checks.has_permissions(manage_guild=True)
    @in_guild()
    async def digest_schedule(self, interaction: discord.Interaction,
                              channel: discord.TextChannel,
                              time: app_commands.Range[str, 1, 20]) -> None:
        try:
            at = parse_clock(time)
        except ValueError as err:
            raise UserError(str(err)) from None
        require_posting(channel)
        before = await asyncio.to_thread(self.schedules.set, interaction.guild_id, channel.id,
                                         at)
        self.held_back.pop(interaction.guild_id, None)  # a new channel is tried at once
        replaced = ""
        if before is not None and (before.channel_id, before.at) != (channel.id, at):
            replaced = (f" This replaces the digest in <#{before.channel_id}> at {before.at} UTC "
                        "(a server has one); the next covers everything since the last.")
            now = datetime.now(UTC)
            if Schedule(before.guild_id, channel.id, at, before.last_posted).due(now):
                replaced += " As that time has passed since the last digest, one goes out now."
        await interaction.response.send_message(
            f"The digest will be posted in {channel.mention} every day at {at} UTC.{replaced}")

    @digest.command(name="unschedule", description="Stop the daily digest")
    @app_commands.checks.has_permissions(manage_guild=True)
    @in_guild()
    async def digest_unschedule(self, interaction: discord.Interaction) -> None:
        removed = await asyncio.to_thread(self.schedules.remove, interaction.guild_id)
        self.held_back.pop(interaction.guild_id, None)
        await interaction.response.send_message(
            "The daily digest is stopped." if removed else "No daily digest was scheduled.")

    @tasks.loop(seconds=60)
    async def post_due_digests(self) -> None:
        """Post every digest whose time has come; a failure (the schedules' database out of
        reach too) is logged and retried next time."""
        try:
            await self._post_due_digests()
        except StateUnavailable as err:
            log.warning("scheduled digests: %s", err)
        except Exception:
            log.exception("scheduled digests failed")

    async def _post_due_digests(self) -> None:
        """Each due digest is claimed first, so of several processes sharing the schedules
        only the one whose claim won posts it; a sharded process leaves the guilds of other
        shards (their channels are not in its cache) to the process that holds them."""
        now = datetime.now(UTC)
        for schedule in await asyncio.to_thread(self.schedules.all):
            if not schedule.due(now) or not self.bot.holds_guild(schedule.guild_id):
                continue
            slot = schedule.slot(now)
            if self.held_back.get(schedule.guild_id) == slot:
                continue
            channel = self.bot.get_channel(schedule.channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                guild = self.bot.get_guild(schedule.guild_id)
                if guild is None or guild.unavailable:  # not in the cache yet (a reconnect)
                    continue
                log.warning("digest channel %s of server %s is gone; trying again at the next "
                            "slot", schedule.channel_id, schedule.guild_id)
                self.held_back[schedule.guild_id] = slot
                continue
            claimed = await asyncio.to_thread(self.schedules.claim, schedule.guild_id, now)
            if claimed is None:  # another process took it (or it changed meanwhile)
                continue
            try:
                digest = await asyncio.to_thread(self.bot.index.digest, claimed.since(now),
                                                 limit=render.DIGEST_STORIES)
                if not digest.entries:  # a quiet day: no "nothing new" post every day
                    log.info("no new articles for the digest of server %s; not posted",
                             schedule.guild_id)
                    continue
                await channel.send(embed=render.digest_embed(digest))
            except (discord.Forbidden, discord.NotFound) as err:  # not a passing failure
                log.warning("cannot post the digest in channel %s (%s); trying again at the "
                            "next slot", schedule.channel_id, err.text or err.status)
                self.held_back[schedule.guild_id] = slot
                await asyncio.to_thread(self.schedules.release, claimed, now)
            except Exception:
                log.exception("scheduled digest for guild %s failed", schedule.guild_id)
                await asyncio.to_thread(self.schedules.release, claimed, now)

    @post_due_digests.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot: BriefingBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Summaries(bot))
