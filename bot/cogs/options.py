"""Command options whose declared limits follow the settings rather than the source code."""

from __future__ import annotations

import dataclasses

from discord import app_commands


def declare(command: app_commands.Command, name: str, **changes: object) -> None:
    """Change what this cog's copy of ``command`` declares to Discord for parameter ``name``
    (``min_value``/``max_value`` are lengths for a string, ``description``, ...).

    Call it in the cog's ``__init__``, before the tree syncs. discord.py shares parameter
    objects between copies of a command, so the parameter is replaced, not changed in place.
    """
    params = command._params  # no public setter; the dict itself belongs to this copy
    params[name] = dataclasses.replace(params[name], **changes)
