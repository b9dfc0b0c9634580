"""Errors whose message is meant for the Discord user as it stands."""


class UserError(Exception):
    """A refusal or failure to explain to the user in one short line (no traceback)."""
