"""Times people type, and when a daily digest is due."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.schedules import Schedule, ScheduleStore
from bot.when import duration_text, parse_clock, parse_since
from tests.bot.digest_clock import posted_at

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("1d", NOW - timedelta(days=1)), ("12h", NOW - timedelta(hours=12)),
    ("2w", NOW - timedelta(weeks=2)), ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
    ("2026-11-01T06:00:00+01:00", datetime(2026, 11, 1, 5, tzinfo=UTC)),
    ("10000d", NOW - timedelta(days=10000)),  # a long age is still an age
])
def test_since_forms(text, expected):
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["99999999h", "999999999999d"])
def test_an_age_before_any_date_says_so(text):
    with pytest.raises(ValueError, match="reaches back before any date"):
        parse_since(text, NOW)


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_a_time_whose_offset_leaves_the_calendar_says_so(text):
    with pytest.raises(ValueError, match="outside the dates that can be given"):
        parse_since(text, NOW)


@pytest.mark.parametrize("text", ["yesterday", "7 days", "", "2026-13-01", "-"])
def test_bad_since_is_a_clear_error(text):
    with pytest.raises(ValueError, match="is not a date"):
        parse_since(text, NOW)


@pytest.mark.parametrize(("text", "meant"), [("-1d", "1d"), (" - 12 H", "12H")])
def test_an_age_with_a_minus_says_to_write_it_without(text, meant):
    with pytest.raises(ValueError) as refused:
        parse_since(text, NOW)
    assert str(refused.value).endswith(f"has a minus sign: an age already counts back, so "
                                       f"write {meant}")


def test_clock():
    assert parse_clock("8:05") == "08:05" and parse_clock(" 23:59 ") == "23:59"
    for bad in ("24:00", "8", "08:60", "noon"):
        with pytest.raises(ValueError, match="time of day"):
            parse_clock(bad)


def test_due_once_per_day_after_its_time():
    posted_yesterday = Schedule(1, 2, "08:00", (NOW - timedelta(days=1)).isoformat())
    assert posted_yesterday.due(NOW)
    posted_after_slot = Schedule(1, 2, "08:00", NOW.replace(hour=8, minute=1).isoformat())
    assert not posted_after_slot.due(NOW)
    later_today = Schedule(1, 2, "10:00", NOW.replace(hour=9).isoformat())
    assert not later_today.due(NOW)
    assert later_today.due(NOW.replace(hour=10, minute=0))
    assert posted_yesterday.since(NOW) == NOW - timedelta(days=1)


def test_store_round_trip(tmp_path, state_url):
    store = ScheduleStore(tmp_path / "s.sqlite", database_url=state_url)
    store.set(1, 2, "08:00")
    [schedule] = store.all()
    assert (schedule.guild_id, schedule.channel_id, schedule.at) == (1, 2, "08:00")
    assert not schedule.due(datetime.now(UTC))  # starts at the next slot, not at once
    posted_at(store, 1, NOW)
    assert store.all()[0].last_posted == NOW.isoformat(timespec="seconds")
    before = store.set(1, 3, "18:00")  # another time: the next digest still covers since NOW
    assert (before.channel_id, before.at) == (2, "08:00")
    assert store.all()[0] == Schedule(1, 3, "18:00", NOW.isoformat(timespec="seconds"))
    assert store.remove(1) and not store.remove(1)
    store.close()


def test_a_long_unreadable_time_is_quoted_short():
    with pytest.raises(ValueError) as since:
        parse_since("x" * 3000)
    with pytest.raises(ValueError) as clock:
        parse_clock("9" * 3000)
    assert str(since.value).startswith("'" + "x" * 39 + "…' is not a date")
    assert str(clock.value).startswith("'" + "9" * 39 + "…' is not a time of day")
    assert len(str(since.value)) < 150 and len(str(clock.value)) < 150


@pytest.mark.parametrize(("seconds", "shown"), [
    (5, "5 s"), (0.0833333 * 60, "5 s"), (59, "59 s"), (60, "1 min"), (90, "1.5 min"),
    (1800, "30 min"), (3600, "1 h"), (5400, "1.5 h"), (86400, "24 h"),
    (7 * 86400, "7 days")])
def test_a_poll_interval_reads_in_the_unit_that_suits_it(seconds, shown):
    """Under a minute, an interval read "every 0.0833333 min"."""
    assert duration_text(seconds) == shown
