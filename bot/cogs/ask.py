"""`/ask`, optionally scoped to a source and a time; mentions and follow-ups are in
conversations.py."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.app import BriefingBot
from bot.cogs import replies
from bot.cogs.answers import (
    MAX_RESULTS,
    Question,
    can_hold_threads,
    conversation_of,
    is_conversation_thread,
    message_for,
    open_thread,
    without_markup,
)
from bot.cogs.choices import picked_source, source_choices
from bot.cogs.options import declare
from bot.errors import UserError
from bot.question_limit import slow_down
from bot.when import parse_since
from bot.wording import scope_gone
from index import ArticleNotFound, Scope, Turn, check_question

log = logging.getLogger(__name__)

SOURCE_CHARS = 300  # an article id or outlet; autocomplete values are at most 100


class Ask(commands.Cog):
    """`/ask`: a question answered with cited passages, the start of a conversation."""

    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot
        top_k = bot.settings.top_k
        declare(self.ask, "question", max_value=bot.index.max_question_chars)
        declare(self.ask, "results", max_value=MAX_RESULTS,
                description=f"Passages to show (1-{MAX_RESULTS}, default {top_k})")

    @app_commands.command(name="ask", description="Ask the indexed articles a question")
    @app_commands.describe(question="What you want to know", results="Passages to show",
                           private="Only you see the answer",
                           source="Only from this article or outlet (e.g. reuters.com)",
                           since="Only from articles since a date (YYYY-MM-DD) or an age "
                           "such as 1d or 7d")
    async def ask(self, interaction: discord.Interaction,
                  question: app_commands.Range[str, 1, 1000],
                  results: app_commands.Range[int, 1, MAX_RESULTS] | None = None,
                  private: bool = False,
                  source: app_commands.Range[str, 1, SOURCE_CHARS] | None = None,
                  since: app_commands.Range[str, 1, 100] | None = None) -> None:
        """Refusals of the question and its scope come before the defer, so they stay
        private; everything else comes after it (the defer is the first thing awaited for a
        plain question). A public answer starts a conversation: replies to it and a thread on
        it are follow-ups; in an auto-thread channel the thread is opened at once. Asked in a
        conversation thread or a DM, it is that conversation's follow-up (a private one is
        read in its context but not added to it, nor one whose DM was started over with
        "/new" while it was being answered)."""
        if retry := self.bot.questions.retry_after(interaction.user.id):
            raise UserError(slow_down(retry))
        text = check_question(without_markup(question), self.bot.index.max_question_chars)
        scope = await self.scope_of(source, since)
        results = results or self.bot.settings.top_k
        channel = interaction.channel
        threadable = not private and can_hold_threads(channel)
        await replies.think(interaction, ephemeral=private)
        autothread = threadable and (await self.bot.answer_work(
            self.bot.channel_modes.get, channel.id)).autothread
        # a DM is one conversation, as a conversation thread is (the mentions there share it)
        in_conversation = isinstance(channel, discord.DMChannel) or (
            isinstance(channel, discord.Thread)
            and await is_conversation_thread(self.bot, channel))
        earlier = (await conversation_of(self.bot, channel.id, channel.id) if in_conversation
                   else None)
        asked = (Question(text, earlier.turns, scope or earlier.scope) if earlier
                 else Question(text, scope=scope))
        try:
            answer, standalone, further = await self.bot.answer_work(asked.ask, self.bot.index,
                                                                     results)
        except ArticleNotFound as err:
            if earlier is None or scope or not earlier.scope:
                raise
            raise UserError(scope_gone(str(err))) from None  # the conversation's are removed
        reply = message_for(self.bot, asked, answer, results, further=further,
                            threadable=threadable and not autothread, titled_refusal=True)
        if private:
            await replies.answer(interaction, **reply)
            return
        async with self.bot.posting(channel.id):
            sent = await replies.answer(interaction, **reply)
            turn = Turn.of(answer, standalone)
            if in_conversation:
                if not self.bot.started_over.after(channel.id, interaction.id):
                    await asyncio.to_thread(self.bot.conversations.add, channel.id, turn,
                                            asked.scope)
            else:
                await asyncio.to_thread(self.bot.conversations.put, sent.id, [turn], scope)
        if autothread:
            try:
                await open_thread(self.bot, sent, text, interaction.user, ours_if_there=True)
            except discord.HTTPException:
                log.warning("could not open a thread on the answer in %s", channel.id,
                            exc_info=True)

    async def scope_of(self, source: str | None, since: str | None) -> Scope | None:
        """The articles a question may be answered from; raises UserError (a private
        refusal) for a time that can't be read or a scope that holds no article."""
        moment: datetime | None = None
        if since is not None:
            try:
                moment = parse_since(since)
            except ValueError as err:
                raise UserError(str(err)) from None
        if source is not None:
            source = await asyncio.to_thread(self.source_named, source)
        scope = Scope(source, moment)
        if not scope:
            return None
        try:
            await asyncio.to_thread(self.bot.index.check_scope, scope)
        except ArticleNotFound as err:
            raise UserError(str(err)) from None
        return scope

    def source_named(self, typed: str) -> str:
        """The article id or outlet that `typed` (or the choice picked) names; refused in the
        index's words, as `briefing ask --source` refuses it. Reads the index: off the loop."""
        index = self.bot.index
        try:
            return index.source_named(picked_source(typed, index.sources(), index.outlets()))
        except ArticleNotFound as err:
            raise UserError(render.inert(str(err))) from None

    @ask.autocomplete("source")
    async def source_options(self, interaction: discord.Interaction,
                             current: str) -> list[app_commands.Choice[str]]:
        index = self.bot.index
        records, outlets = await asyncio.to_thread(lambda: (index.sources(), index.outlets()))
        return source_choices(records, outlets, current)


async def setup(bot: BriefingBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Ask(bot))
