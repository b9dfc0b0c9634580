"""Reading the times people type: `7d`, `12h`, `2023-11-01`, ISO times, and `08:00` (UTC);
writing a duration as people read it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

_AGE = re.compile(r"\s*(\d{1,18})\s*([dhw])\s*", re.IGNORECASE)
_MINUS_AGE = re.compile(r"\s*-\s*(\d{1,18}\s*[dhw])\s*", re.IGNORECASE)  # "-3d": "3d" meant
_CLOCK = re.compile(r"\s*([01]?\d|2[0-3]):([0-5]\d)\s*")
UNITS = {"d": "days", "h": "hours", "w": "weeks"}
SHOWN_CHARS = 40  # of a text that cannot be read, quoted back in the message


def _shown(text: str) -> str:
    """`text` quoted for a message, cut to SHOWN_CHARS: the reply must stay short."""
    text = text.strip()
    return repr(text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…")


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """An age (`7d`, `12h`, `2w`), a date (midnight UTC) or an ISO time, as a datetime in UTC.

    Raises ValueError with a message fit to show the user.
    """
    now = now or datetime.now(UTC)
    age = _AGE.fullmatch(text)
    if age:
        try:
            return now - timedelta(**{UNITS[age.group(2).lower()]: int(age.group(1))})
        except OverflowError:  # before year 1
            raise ValueError(f"{_shown(text)} reaches back before any date") from None
    cleaned = text.strip()
    if minus := _MINUS_AGE.fullmatch(text):
        raise ValueError(f"{_shown(text)} has a minus sign: an age already counts back, so "
                         f"write {''.join(minus.group(1).split())}")
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cleaned):
            return datetime.combine(date.fromisoformat(cleaned), time.min, tzinfo=UTC)
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(f"{_shown(text)} is not a date (YYYY-MM-DD), an ISO time or an age such "
                         "as 1d or 7d") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # an offset that moves it past year 1 or 9999
        raise ValueError(f"{_shown(cleaned)} is outside the dates that can be given") from None


def parse_clock(text: str) -> str:
    """`8:00` or `08:00` as "08:00" (24-hour, UTC); raises ValueError otherwise."""
    match = _CLOCK.fullmatch(text)
    if not match:
        raise ValueError(f"{_shown(text)} is not a time of day such as 08:00 (24-hour, UTC)")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def duration_text(seconds: float) -> str:
    """A duration in the unit that suits it: "5 s", "1.5 min", "30 min", "1.5 h", up to
    "48 h", then "7 days" (a poll interval under a minute read "0.0833333 min")."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{round(whole / 60, 1):g} min"
    if whole <= 48 * 3600:
        return f"{round(whole / 3600, 1):g} h"
    return f"{round(whole / 86400, 1):g} days"
