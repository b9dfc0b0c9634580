"""Whether the bot may post in a channel a command names for it (a digest's, a feed's, an
auto-thread channel): checked when the command runs, so that a missing permission is said to
the admin at once rather than found in the log at the first post."""

from __future__ import annotations

import discord

from bot.errors import UserError
from bot.wording import in_words

# Permission flags (discord.Permissions attribute names) and the names Discord shows for them.
_SHOWN = {"view_channel": "View Channel", "send_messages": "Send Messages",
          "embed_links": "Embed Links", "create_public_threads": "Create Public Threads",
          "send_messages_in_threads": "Send Messages in Threads"}
POSTING = ("send_messages", "embed_links")
THREADS = ("create_public_threads", "send_messages_in_threads")


def missing(permissions: discord.Permissions, needed: tuple[str, ...]) -> list[str]:
    """The names of the `needed` permissions that `permissions` lacks, as Discord shows them.
    Without View Channel every other is withheld too, so only View Channel is named."""
    if not permissions.view_channel:
        return [_SHOWN["view_channel"]]
    return [_SHOWN[name] for name in needed if not getattr(permissions, name)]


def require_posting(channel: discord.abc.GuildChannel | discord.Thread, *,
                    threads: bool = False) -> None:
    """Refuse (UserError, one line naming what is lacking) a channel the bot may not post
    answers in: Send Messages (Send Messages in Threads in a thread) and Embed Links, and
    with `threads` also Create Public Threads and Send Messages in Threads."""
    needed = POSTING + (THREADS if threads else ())
    if isinstance(channel, discord.Thread):  # there, Send Messages in Threads is what counts
        needed = tuple(dict.fromkeys(
            "send_messages_in_threads" if name == "send_messages" else name for name in needed))
    lacking = missing(channel.permissions_for(channel.guild.me), needed)
    if lacking:
        names = in_words(lacking)
        plural = "s" if len(lacking) > 1 else ""
        raise UserError(f"I can't post in {channel.mention}: a server admin needs to give me "
                        f"the {names} permission{plural} there.")
