"""`python -m bot` runs the `briefing` command line."""

import sys

from bot.cli import main

sys.exit(main())
