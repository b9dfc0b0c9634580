"""Questions: `/ask` and mentions, with paging and 👍/👎 feedback."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.app import BriefingBot, error_message
from bot.cogs import replies
from bot.cogs.options import declare
from index import Answer, BriefingError
from index.search import check_question

log = logging.getLogger(__name__)

MAX_RESULTS = 10
VIEW_TIMEOUT_S = 900


def user_hash(user_id: int) -> str:
    """A pseudonym for a voter: enough to spot repeated votes, not to find the person."""
    return hashlib.sha256(f"briefing-feedback:{user_id}".encode()).hexdigest()[:16]


class AnswerView(discord.ui.View):
    """Buttons under an answer: more results, and whether it helped."""

    def __init__(self, cog: Ask, answer: Answer, per_page: int, shown: int) -> None:
        """`shown`: how many results have been asked for so far (the last page's end)."""
        super().__init__(timeout=VIEW_TIMEOUT_S)
        self.cog = cog
        self.answer = answer
        self.per_page = per_page
        self.shown = shown
        if len(answer.hits) < shown or shown >= MAX_RESULTS:  # nothing further to page to
            self.more.disabled = True

    @discord.ui.button(label="More results", style=discord.ButtonStyle.secondary)
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.defer()
        wanted = min(MAX_RESULTS, self.shown + self.per_page)
        answer = await asyncio.to_thread(self.cog.bot.index.ask, self.answer.question, wanted)
        page = answer.hits[self.shown:wanted]
        if not page:
            button.disabled = True
            await interaction.edit_original_response(view=self)
            await interaction.followup.send("No further passages.", ephemeral=True)
            return
        view = AnswerView(self.cog, answer, self.per_page, wanted)
        footer = f"Results {page[0].rank}–{page[-1].rank}"
        await interaction.edit_original_response(
            embed=render.answer_embed(answer, page, footer=footer), view=view)

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary)
    async def helpful(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.cog.vote(interaction, self.answer, 1)

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary)
    async def unhelpful(self, interaction: discord.Interaction,
                        button: discord.ui.Button) -> None:
        await self.cog.vote(interaction, self.answer, -1)

    async def on_error(self, interaction: discord.Interaction, error: Exception,
                       item: discord.ui.Item) -> None:
        message = error_message(error)
        log.error("button %s failed", getattr(item, "label", item), exc_info=error)
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)


class Ask(commands.Cog):
    """`/ask` and "@Briefing <question>"."""

    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot
        per_minute = bot.settings.ask_per_minute
        self._mention_cooldown = (commands.CooldownMapping.from_cooldown(
            per_minute, 60.0, commands.BucketType.user) if per_minute else None)
        top_k = bot.settings.top_k
        declare(self.ask, "question", max_value=bot.index.max_question_chars)
        declare(self.ask, "results", max_value=MAX_RESULTS,
                 description=f"Passages to show (1-{MAX_RESULTS}, default {top_k})")

    async def answer(self, question: str, results: int) -> Answer:
        """Ask the index in a worker thread, so the gateway keeps beating."""
        return await asyncio.to_thread(self.bot.index.ask, question, results)

    def message_for(self, answer: Answer, results: int) -> dict:
        """Keyword arguments for sending an answer (embed and buttons, or the refusal)."""
        if not answer.answered:
            return render.not_covered_message(answer)
        return {"embed": render.answer_embed(answer),
                "view": AnswerView(self, answer, results, results)}

    @app_commands.command(name="ask", description="Ask the indexed articles a question")
    @app_commands.describe(question="What you want to know", results="Passages to show",
                           private="Only you see the answer")
    @app_commands.checks.dynamic_cooldown(lambda i: _cooldown(i))
    async def ask(self, interaction: discord.Interaction,
                  question: app_commands.Range[str, 1, 1000],
                  results: app_commands.Range[int, 1, MAX_RESULTS] | None = None,
                  private: bool = False) -> None:
        """Refusals of the question come before the defer, so they stay private."""
        question = check_question(question, self.bot.index.max_question_chars)
        results = results or self.bot.settings.top_k
        await replies.think(interaction, ephemeral=private)
        answer = await self.answer(question, results)
        await replies.answer(interaction, **self.message_for(answer, results))

    async def cog_app_command_error(self, interaction: discord.Interaction,
                                    error: app_commands.AppCommandError) -> None:
        await replies.end_public_thinking(interaction)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.bot.user is None:
            return
        if self.bot.user not in message.mentions:
            return
        question = re.sub(rf"<@!?{self.bot.user.id}>", " ", message.content).strip()
        if not question:
            await message.reply("Ask me something after the mention, e.g. "
                                f"“@{self.bot.user.name} why did Erdoğan approve Sweden?”",
                                mention_author=False)
            return
        if self._mention_cooldown is not None:
            retry = self._mention_cooldown.update_rate_limit(message)
            if retry:
                await message.reply(f"Slow down a little: try again in {retry:.0f} s.",
                                    mention_author=False)
                return
        results = self.bot.settings.top_k
        try:
            answer = await self.answer(question, results)
        except BriefingError as err:
            await message.reply(str(err), mention_author=False)
            return
        await message.reply(**self.message_for(answer, results), mention_author=False)

    async def vote(self, interaction: discord.Interaction, answer: Answer, vote: int) -> None:
        """Record a 👍/👎 for the passages shown."""
        passages = [f"{h.article}:{h.start}-{h.end}" for h in answer.hits]
        await asyncio.to_thread(self.bot.feedback.record, answer.question, passages,
                                user_hash(interaction.user.id), vote)
        await interaction.response.send_message("Thanks for the feedback.", ephemeral=True)


def _cooldown(interaction: discord.Interaction) -> app_commands.Cooldown | None:
    bot = interaction.client
    per_minute = bot.settings.ask_per_minute if isinstance(bot, BriefingBot) else 0
    return app_commands.Cooldown(per_minute, 60.0) if per_minute else None


async def setup(bot: BriefingBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Ask(bot))
