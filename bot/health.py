"""Liveness for container health checks: the bot touches a file while connected.

`python -m bot.health` exits 0 when that file was touched within the last 90 seconds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

STALE_AFTER_S = 90.0
TOUCH_EVERY_S = 30.0


def touch(path: Path) -> None:
    """Record that the bot is connected and serving now."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def is_fresh(path: Path, now: float | None = None) -> bool:
    """True when `path` was touched within STALE_AFTER_S seconds."""
    try:
        modified = path.stat().st_mtime
    except FileNotFoundError:
        return False
    return (now or time.time()) - modified <= STALE_AFTER_S


def main() -> int:
    """Exit status for HEALTHCHECK: 0 healthy, 1 not. The file is the bot's own setting,
    read as the bot reads it (the environment, then .env)."""
    from bot.settings import SettingsError, load_settings

    try:
        path = load_settings().health_file
    except SettingsError as err:
        print(f"unhealthy: {err}", file=sys.stderr)
        return 1
    if path is None:
        print("BRIEFING_HEALTH_FILE is not set", file=sys.stderr)
        return 1
    healthy = is_fresh(path)
    print("healthy" if healthy else f"unhealthy: {path} is missing or stale")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
