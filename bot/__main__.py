"""`python -m bot` runs the `briefing` command line."""

from bot.cli import console

console()
