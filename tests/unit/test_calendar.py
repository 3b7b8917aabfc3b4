from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice, pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidentlog.domain import calendar
from incidentlog.domain.calendar import Step, advance, finest_step, floor, span, steps, to_utc
from incidentlog.domain.enums import TimePrecision
from incidentlog.domain.when import Moment

#: Steps as the callers use them: precisions, density bins, axis ticks.
STEPS = [
    ("minute", 1), ("minute", 5), ("minute", 15), ("minute", 30), ("hour", 1), ("hour", 3),
    ("hour", 6), ("hour", 12), ("day", 1), ("day", 2), ("week", 1), ("week", 2), ("month", 1),
    ("month", 3), ("month", 6), ("quarter", 1), ("year", 1), ("year", 2), ("year", 5),
    ("decade", 1), ("year", 25), ("year", 50), ("century", 1),
]
#: Zones with daylight saving at 02:00 (New York, Paris), at midnight (Tehran, Havana,
#: São Paulo), at 00:01 so that autumn goes back into the previous day (St John's, until
#: 2011), by half an hour (Lord Howe), and Baghdad (summer time until 2007, 03:00/04:00).
ZONES = ["UTC", "America/New_York", "Europe/Paris", "Asia/Baghdad", "Asia/Tehran",
         "America/Havana", "America/Sao_Paulo", "America/St_Johns", "Australia/Lord_Howe",
         "Asia/Kolkata"]

walls = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1))
instants = st.datetimes(min_value=datetime(1975, 1, 1), max_value=datetime(2035, 1, 1),
                        timezones=st.just(UTC))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type,misc]


def local(instant: datetime, tz: str) -> datetime:
    return instant.astimezone(calendar.zone(tz)).replace(tzinfo=None)


# --- wall times -----------------------------------------------------------------------


@given(walls, st.sampled_from(STEPS))
def test_floor_is_idempotent_and_the_step_contains_the_wall_time(
        wall: datetime, step: tuple[str, int]) -> None:
    first = floor(wall, *step)
    assert floor(first, *step) == first
    assert first <= wall < advance(first, *step)
    assert floor(advance(first, *step), *step) == advance(first, *step)  # steps tile


@given(walls, walls, st.sampled_from(STEPS))
def test_advance_and_floor_are_monotonic(a: datetime, b: datetime,
                                         step: tuple[str, int]) -> None:
    low, high = min(a, b), max(a, b)
    assert floor(low, *step) <= floor(high, *step)
    assert advance(low, *step) <= advance(high, *step)


def test_month_ends_and_leap_years() -> None:
    assert advance(datetime(2024, 1, 31), "month") == datetime(2024, 2, 29)
    assert advance(datetime(2023, 1, 31), "month") == datetime(2023, 2, 28)
    assert advance(datetime(2024, 2, 29), "year") == datetime(2025, 2, 28)
    assert advance(datetime(2023, 11, 30), "quarter") == datetime(2024, 2, 29)
    assert advance(datetime(2100, 1, 31), "month") == datetime(2100, 2, 28)  # not a leap year
    assert advance(datetime(2000, 1, 31), "month") == datetime(2000, 2, 29)  # a leap year
    assert floor(datetime(2024, 2, 29, 23, 59), "month") == datetime(2024, 2, 1)
    assert floor(datetime(2024, 12, 31, 23, 59), "quarter") == datetime(2024, 10, 1)
    assert floor(datetime(2024, 5, 5), "decade") == datetime(2020, 1, 1)
    assert floor(datetime(2024, 5, 5), "week") == datetime(2024, 4, 29)  # a Monday
    start, end = span(utc(2024, 2, 10), "month", 1, "UTC")
    assert end - start == timedelta(days=29)
    start, end = span(utc(2100, 2, 10), "month", 1, "UTC")
    assert end - start == timedelta(days=28)
    start, end = span(utc(2024, 7, 1), "year", 1, "UTC")
    assert end - start == timedelta(days=366)


def test_steps_are_anchored_so_that_a_window_never_shifts_them() -> None:
    # Two-day and two-week steps count from Monday 3 January 2000, whatever the window.
    assert floor(datetime(2000, 1, 4, 12), "day", 2) == datetime(2000, 1, 3)
    assert floor(datetime(2000, 1, 16), "week", 2) == datetime(2000, 1, 3)
    assert floor(datetime(2000, 1, 17), "week", 2) == datetime(2000, 1, 17)
    assert floor(datetime(2024, 8, 9, 13, 47), "minute", 15) == datetime(2024, 8, 9, 13, 45)
    assert floor(datetime(2024, 8, 9, 13, 47), "hour", 6) == datetime(2024, 8, 9, 12)


@pytest.mark.parametrize(("unit", "n"), [("fortnight", 1), ("day", 0), ("minute", 7),
                                         ("hour", 5)])
def test_steps_that_do_not_tile_are_refused(unit: str, n: int) -> None:
    with pytest.raises(ValueError):
        floor(datetime(2024, 1, 1), unit, n)


def test_the_finest_step_wide_enough() -> None:
    table = (Step("day"), Step("week"), Step("month", 3))
    assert finest_step(table, 86_400 / 40, 3.0) == ("day", 1)
    assert finest_step(table, 7 * 86_400 / 4, 3.0) == Step("week")
    assert finest_step(table, 7 * 86_400 / 2, 3.0) == Step("month", 3)
    assert finest_step(table, 1e9, 3.0) == table[-1]
    assert Step("quarter").seconds == Step("month", 3).seconds


# --- in a time zone --------------------------------------------------------------------


@given(instants, st.sampled_from(STEPS), st.sampled_from(ZONES))
def test_a_step_contains_its_instant_and_the_steps_tile_the_time_line(
        instant: datetime, step: tuple[str, int], tz: str) -> None:
    start, end = span(instant, *step, tz)
    assert start <= instant < end
    assert span(start, *step, tz) == (start, end)  # flooring twice changes nothing
    assert span(end - timedelta(microseconds=1), *step, tz)[1] == end
    assert span(end, *step, tz)[0] == end  # the next step begins where this one ends
    # The clock shows the step's own floored wall time all through it.
    first = floor(local(instant, tz), *step)
    assert floor(local(start, tz), *step) == first
    assert floor(local(end - timedelta(microseconds=1), tz), *step) == first


@given(instants, instants, st.sampled_from(STEPS), st.sampled_from(ZONES))
def test_step_starts_are_monotonic(a: datetime, b: datetime, step: tuple[str, int],
                                   tz: str) -> None:
    low, high = min(a, b), max(a, b)
    assert span(low, *step, tz)[0] <= span(high, *step, tz)[0]


def test_new_york_days_of_23_and_25_hours_and_the_repeated_hour() -> None:
    ny = "America/New_York"
    start, end = span(utc(2024, 3, 10, 12), "day", 1, ny)
    assert (start, end - start) == (utc(2024, 3, 10, 5), timedelta(hours=23))
    start, end = span(utc(2024, 11, 3, 12), "day", 1, ny)
    assert (start, end - start) == (utc(2024, 11, 3, 4), timedelta(hours=25))
    # 01:00–02:00 happens twice on 3 November: the hour step lasts until the clock reads 2.
    first, second = utc(2024, 11, 3, 5, 30), utc(2024, 11, 3, 6, 30)
    assert local(first, ny) == local(second, ny) == datetime(2024, 11, 3, 1, 30)
    assert span(first, "hour", 1, ny) == span(second, "hour", 1, ny) == (
        utc(2024, 11, 3, 5), utc(2024, 11, 3, 7))
    # ... but each minute of it is passed twice, a minute each time.
    assert span(second, "minute", 1, ny) == (second, second + timedelta(minutes=1))
    assert span(utc(2024, 11, 3, 5, 59, 30), "minute", 1, ny)[1] == utc(2024, 11, 3, 6)
    # In spring 02:00 does not exist: hour ticks go 01:00, 03:00 (not twice at 03:00).
    ticks = list(islice(steps(utc(2024, 3, 10, 6), "hour", 1, ny), 3))
    assert [(wall.hour, instant) for wall, instant in ticks] == [
        (1, utc(2024, 3, 10, 6)), (3, utc(2024, 3, 10, 7)), (4, utc(2024, 3, 10, 8))]


def test_baghdad_summer_time_and_a_skipped_midnight_in_tehran() -> None:
    # Baghdad moved its clocks from 03:00 to 04:00 on 1 April 2006, back on 1 October.
    start, end = span(utc(2006, 4, 1, 12), "day", 1, "Asia/Baghdad")
    assert (start, end - start) == (utc(2006, 3, 31, 21), timedelta(hours=23))
    start, end = span(utc(2006, 10, 1, 12), "day", 1, "Asia/Baghdad")
    assert end - start == timedelta(hours=25)
    assert span(utc(2006, 4, 1, 0, 30), "hour", 1, "Asia/Baghdad") == (
        utc(2006, 4, 1, 0), utc(2006, 4, 1, 1))  # 04:00 summer time follows 02:59
    # Tehran went from 00:00 to 01:00 on 21 March 2020: that day begins at 01:00.
    start, end = span(utc(2020, 3, 21, 12), "day", 1, "Asia/Tehran")
    assert local(start, "Asia/Tehran") == datetime(2020, 3, 21, 1)
    assert end - start == timedelta(hours=23)
    assert to_utc(datetime(2020, 3, 21), "Asia/Tehran") == start


def test_an_autumn_change_at_0001_going_back_into_the_previous_day() -> None:
    # St John's, 7 November 2010: 00:01 summer time became 23:01 of the 6th again.
    tz = "America/St_Johns"
    back = utc(2010, 11, 7, 2, 31)  # the change
    before, after = back - timedelta(seconds=30), back + timedelta(seconds=30)
    assert local(before, tz).day == 7 and local(after, tz).day == 6
    assert span(before, "day", 1, tz) == (utc(2010, 11, 7, 2, 30), back)
    start, end = span(after, "day", 1, tz)
    assert start == back and local(end, tz) == datetime(2010, 11, 7)
    assert end - start == timedelta(minutes=59)  # 23:01 to midnight, the second time


def test_a_moment_in_the_repeated_hour_lies_inside_its_interval() -> None:
    # 01:30 the second time (standard time) on 3 November 2024 in New York.
    moment = Moment(utc(2024, 11, 3, 6, 30), TimePrecision.MINUTE, "America/New_York")
    assert moment.interval() == (utc(2024, 11, 3, 6, 30), utc(2024, 11, 3, 6, 31))
    assert moment.normalized() == moment


@given(instants, st.sampled_from(STEPS), st.sampled_from(ZONES))
def test_steps_follow_each_other_without_gap_or_repeat(instant: datetime, step: tuple[str, int],
                                                        tz: str) -> None:
    found = list(islice(steps(instant, *step, tz), 12))
    assert found[0][1] <= instant
    for (wall, begin), (_, following) in pairwise(found):
        assert begin < following
        assert span(begin, *step, tz) == (begin, following)
        assert wall == floor(local(begin, tz), *step)
