"""`/help`: the commands the member may use where they ask, each with what it does.

The list is read from the commands the bot registered, so it cannot drift from them; a
command is listed when its member would pass the checks it runs (Manage Server, a server
rather than a DM, BRIEFING_ADMIN_GUILD_IDS) and has the permissions it asks of members."""

from __future__ import annotations

from collections.abc import Iterator

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.app import BriefingBot


def slash_commands(tree: app_commands.CommandTree) -> Iterator[app_commands.Command]:
    """Every slash command and subcommand registered in `tree`, in registration order."""
    for command in tree.get_commands(type=discord.AppCommandType.chat_input):
        if isinstance(command, app_commands.Group):
            yield from (c for c in command.walk_commands()
                        if isinstance(c, app_commands.Command))
        elif isinstance(command, app_commands.Command):
            yield command


async def usable(command: app_commands.Command, interaction: discord.Interaction) -> bool:
    """Whether the member of `interaction` may run `command` where they are."""
    chain = [c for c in (command, command.parent, command.root_parent) if c is not None]
    if interaction.guild_id is None:
        if any(c.guild_only for c in chain):
            return False
    else:
        needed = next((c.default_permissions for c in chain if c.default_permissions), None)
        if needed is not None and not needed <= interaction.permissions:
            return False
    for check in command.checks:
        try:
            if not await discord.utils.maybe_coroutine(check, interaction):
                return False
        except app_commands.CheckFailure:
            return False
    return True


class Help(commands.Cog):
    """`/help`."""

    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="The commands you can use here")
    async def help(self, interaction: discord.Interaction) -> None:
        lines = [f"`/{c.qualified_name}` — {c.description}"
                 for c in slash_commands(self.bot.tree) if await usable(c, interaction)]
        name = self.bot.user.name if self.bot.user else "Briefing"
        intro = (f"Ask with `/ask`, by mentioning @{name} with a question, or in a direct "
                 "message to me; a reply to an answer, or a message in its thread, follows up.")
        if interaction.guild_id is not None and not interaction.permissions.manage_guild:
            lines.append("Server admins have more commands.")
        embed = discord.Embed(title="Commands", colour=render.COLOUR, description=(
            render.whole_lines([intro, "", *lines], render.DESCRIPTION_LIMIT)))
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: BriefingBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Help(bot))
