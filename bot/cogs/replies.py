"""Answering a deferred interaction the way Discord really shows it.

After a deferred ("thinking") response, Discord turns the first follow-up into the edit of that
response, and the message keeps the defer's visibility whatever flags the follow-up carries: an
"ephemeral" error after a public defer is seen by the whole channel. Hence:

- the answer replaces the thinking message by editing it, which is also safe to retry (a POST
  follow-up retried after a 5xx that Discord had already acted on is posted twice);
- before an error reply, a public thinking message is first turned into a neutral line, so the
  error handler's ephemeral follow-up is a message of its own that only the user sees;
- once the interaction token has expired (15 minutes), or someone has deleted the response,
  the answer goes to the channel instead, or to its user by direct message when it was private;
- a first response that Discord carried out but answered with a 5xx is retried by discord.py
  and refused as already acknowledged: it took effect, so the command goes on (`first_response`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord

log = logging.getLogger(__name__)

PUBLIC_THINKING = "briefing.public_thinking"  # key in Interaction.extras
PRIVATE = "briefing.private"  # key in Interaction.extras: the response only its user sees
NEUTRAL = "That didn't work out; the reason was sent privately to whoever asked."
EXPIRED_TOKEN_CODES = (50027, 10015)  # Invalid Webhook Token, Unknown Webhook
ALREADY_ACKNOWLEDGED = 40060  # Discord: "Interaction has already been acknowledged"
UNKNOWN_MESSAGE = 10008


@asynccontextmanager
async def first_response(interaction: discord.Interaction,
                         kind: discord.InteractionResponseType) -> AsyncIterator[None]:
    """Around an interaction's first response (of type `kind`): "already acknowledged" means
    an earlier try of this very response took effect (Discord answered it with a 5xx, and
    discord.py retried), so the command goes on as if the response had succeeded."""
    try:
        yield
    except discord.HTTPException as err:
        if err.code != ALREADY_ACKNOWLEDGED or interaction.response.is_done():
            raise
        log.info("interaction %s: the first response took effect before a retry",
                 interaction.id)
        # discord.py's record of the response sent: what is_done() and the error reply read
        interaction.response._response_type = kind


async def think(interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
    """Defer with "thinking…", remembering whether everyone sees it."""
    deferred = discord.InteractionResponseType.deferred_channel_message
    async with first_response(interaction, deferred):
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
    interaction.extras[PUBLIC_THINKING] = not ephemeral
    interaction.extras[PRIVATE] = ephemeral


def token_expired(error: discord.HTTPException) -> bool:
    """Whether Discord refused a webhook call because the interaction token is no longer valid."""
    return error.code in EXPIRED_TOKEN_CODES or error.status == 401


def response_deleted(error: discord.HTTPException) -> bool:
    """Whether Discord refused an edit of the response because someone deleted it (a
    moderator can delete the public "thinking…" or progress message)."""
    return error.code == UNKNOWN_MESSAGE


def question_gone(error: discord.HTTPException) -> bool:
    """Whether Discord refused a reply because the message replied to was deleted."""
    return error.status == 400 and "In message_reference:" in error.text


async def answer(interaction: discord.Interaction, **message: object) -> discord.Message:
    """Show ``message`` in place of the response (thinking or earlier text); once the token
    has expired or the response was deleted, post it in the channel instead, unless it was
    private: then it goes to its user by direct message, never to the channel. Returns the
    message shown."""
    try:
        sent = await interaction.edit_original_response(**message)
    except discord.HTTPException as err:
        channel = interaction.channel
        if not (token_expired(err) or response_deleted(err)):
            raise
        if interaction.extras.get(PRIVATE, False):
            log.info("interaction token expired; sending the private answer by direct message")
            sent = await interaction.user.send(**message)
        elif isinstance(channel, discord.abc.Messageable):
            log.info("interaction token expired or its response was deleted; posting the "
                     "answer in the channel")
            sent = await channel.send(**message)
        else:
            raise
    interaction.extras[PUBLIC_THINKING] = False
    return sent


async def end_public_thinking(interaction: discord.Interaction) -> None:
    """Before an error reply: turn a public thinking message into a neutral line, so the
    error handler's ephemeral follow-up becomes a private message of its own."""
    if not interaction.extras.pop(PUBLIC_THINKING, False):
        return
    try:
        await interaction.edit_original_response(content=NEUTRAL, embed=None, view=None)
    except discord.HTTPException:
        log.warning("could not clear the public thinking message", exc_info=True)
