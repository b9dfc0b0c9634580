"""`/stories [since]`: the indexed articles grouped by the event they report."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.app import BriefingBot
from bot.cogs import replies
from bot.errors import UserError
from bot.when import parse_since


class Stories(commands.Cog):
    """Which outlets reported which event."""

    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot

    @app_commands.command(name="stories",
                          description="The indexed articles grouped by the event they report")
    @app_commands.describe(since="A date (YYYY-MM-DD) or an age such as 1d or 7d; default: all")
    async def stories(self, interaction: discord.Interaction,
                      since: app_commands.Range[str, 1, 100] | None = None) -> None:
        """A bad time is refused privately before the defer."""
        try:
            day = parse_since(since).date() if since is not None else None
        except ValueError as err:
            raise UserError(str(err)) from None
        await replies.think(interaction)
        found = await self.bot.answer_work(self.bot.index.stories, day)
        label = day.isoformat() if day else ""
        await replies.answer(interaction, embed=render.stories_embed(found, label))


async def setup(bot: BriefingBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Stories(bot))
