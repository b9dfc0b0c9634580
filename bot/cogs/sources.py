"""`/sources`: the indexed articles, a page at a time."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.app import BriefingBot
from bot.cogs.expiring import ExpiringView
from index import ArticleRecord

PER_PAGE = 10
VIEW_TIMEOUT_S = 600


class SourcesView(ExpiringView):
    """Previous/next buttons over a list of articles."""

    def __init__(self, bot: BriefingBot, records: list[ArticleRecord], page: int = 0) -> None:
        super().__init__(bot, "sources", VIEW_TIMEOUT_S)
        self.bot = bot
        self.records = records
        self.page = page
        pages = max(1, -(-len(records) // PER_PAGE))
        self.previous.disabled = page <= 0
        self.next.disabled = page >= pages - 1

    async def _show(self, interaction: discord.Interaction, page: int) -> None:
        view = SourcesView(self.bot, self.records, page)
        await interaction.response.edit_message(
            embed=render.sources_embed(self.records, page, PER_PAGE), view=view)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._show(interaction, self.page - 1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._show(interaction, self.page + 1)


class Sources(commands.Cog):
    """Lists what the bot can answer from."""

    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot

    @app_commands.command(name="sources", description="List the indexed articles")
    async def sources(self, interaction: discord.Interaction) -> None:
        records = await asyncio.to_thread(lambda: self.bot.index.sources(newest_first=True))
        paged = len(records) > PER_PAGE
        await interaction.response.send_message(
            embed=render.sources_embed(records, 0, PER_PAGE),
            view=SourcesView(self.bot, records) if paged else discord.utils.MISSING)


async def setup(bot: BriefingBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Sources(bot))
