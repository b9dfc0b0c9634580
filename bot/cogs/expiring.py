"""Buttons that outlive their view.

A view's buttons stop working when it times out or the bot restarts: discord.py drops the click
and Discord shows the user "This interaction failed". Views built on `ExpiringView` mark their
buttons' custom ids; a click on one whose view is gone takes the dead buttons off the message
and tells whoever clicked, privately, what to do instead.
"""

from __future__ import annotations

import logging
import secrets
import time

import discord
from discord.ext import commands

from bot.app import BriefingBot

log = logging.getLogger(__name__)

PREFIX = "briefing:expiring:"
EXPIRED = {
    "answer": "These buttons have expired ({minutes} after their last use, or at a restart "
              "of the bot): ask the question again for more results or to vote.",
    "sources": "These buttons have expired ({minutes} after their last use, or at a restart "
               "of the bot): run /sources again to page through the articles.",
}
UNSENT_S = 60.0  # a view not listening this long after it was made was never sent


class ExpiringView(discord.ui.View):
    """A view whose buttons say they have expired when clicked after it has gone.

    `kind` picks the line in EXPIRED. Buttons given a fixed custom id (one with ":", like a
    persistent button's) are left as they are."""

    def __init__(self, bot: BriefingBot, kind: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        token = secrets.token_hex(8)
        for number, item in enumerate(self.children):
            if isinstance(item, discord.ui.Button) and ":" not in (item.custom_id or ":"):
                item.custom_id = f"{PREFIX}{kind}:{round(timeout)}:{token}:{number}"
        # not isinstance: load_extension imports this module afresh, so the cog's class is
        # another object than the one a view module imported
        cog = bot.get_cog(ExpiredButtons.__cog_name__)
        if cog is not None:
            cog.track(token, self)


class ExpiredButtons(commands.Cog):
    """Answers clicks on the buttons of views that have timed out or belong to an earlier
    run of the bot."""

    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot
        self.live: dict[str, tuple[discord.ui.View, float]] = {}  # token -> view, made at

    def track(self, token: str, view: discord.ui.View) -> None:
        """Remember a view by its token, forgetting those that have finished and those that
        were never sent (the message carrying them failed)."""
        now = time.monotonic()
        for stale in [t for t, (v, made) in self.live.items() if v.is_finished()
                      or (not v.is_dispatching() and now - made > UNSENT_S)]:
            del self.live[stale]
        self.live[token] = (view, now)

    def expired(self, custom_id: str) -> str | None:
        """The line to show for a click on `custom_id`, or None if its view is alive (or the
        button is not one of ours)."""
        if not custom_id.startswith(PREFIX):
            return None
        kind, timeout, token, _ = (custom_id[len(PREFIX):].split(":") + ["", "", "", ""])[:4]
        view, _ = self.live.get(token, (None, 0.0))
        if view is not None and not view.is_finished():
            return None
        minutes = max(1, round(int(timeout) / 60)) if timeout.isdigit() else 15
        return EXPIRED.get(kind, EXPIRED["answer"]).format(
            minutes=f"{minutes} minute{'' if minutes == 1 else 's'}")

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.component:
            return
        line = self.expired(str((interaction.data or {}).get("custom_id", "")))
        if line is None or interaction.response.is_done():
            return
        message = interaction.message
        try:
            if message is None:
                await interaction.response.send_message(line, ephemeral=True)
                return
            kept = without_expired(message)
            await interaction.response.edit_message(view=kept)
            if kept is not None:
                kept.stop()  # listened to no more: a button kept is served by its own view
            await interaction.followup.send(line, ephemeral=True)
        except (discord.HTTPException, discord.InteractionResponded):
            # InteractionResponded: the view timed out while its own callback was answering
            log.warning("could not answer a click on an expired button", exc_info=True)


def without_expired(message: discord.Message) -> discord.ui.View | None:
    """The message's components without the expired ones, as a view (to stop once sent)."""
    view = discord.ui.View.from_message(message, timeout=None)
    for item in list(view.children):
        if str(getattr(item, "custom_id", "") or "").startswith(PREFIX):
            view.remove_item(item)
    return view if view.children else None


async def setup(bot: BriefingBot) -> None:
    """Extension entry point."""
    await bot.add_cog(ExpiredButtons(bot))
