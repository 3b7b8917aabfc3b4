from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidentlog.domain.enums import TimePrecision
from incidentlog.domain.when import Moment, from_utc_text, parse_local, to_utc_text, zone


def test_the_seed_example_is_1530_utc_minute_baghdad_approximate() -> None:
    moment = parse_local("~2024-01-20 18:30", "Asia/Baghdad")
    assert moment.utc == datetime(2024, 1, 20, 15, 30, tzinfo=UTC)
    assert moment.precision is TimePrecision.MINUTE
    assert moment.tz == "Asia/Baghdad"
    assert moment.approximate
    assert moment.display() == "20 Jan 2024 ~18:30 Baghdad"
    assert moment.local_text() == "2024-01-20T18:30+03:00"


@pytest.mark.parametrize(
    ("text", "precision", "start", "end"),
    [
        ("2024-01-20 18:30", TimePrecision.MINUTE, "2024-01-20T15:30:00Z", "2024-01-20T15:31:00Z"),
        ("2024-01-20 18", TimePrecision.HOUR, "2024-01-20T15:00:00Z", "2024-01-20T16:00:00Z"),
        ("2024-01-20", TimePrecision.DAY, "2024-01-19T21:00:00Z", "2024-01-20T21:00:00Z"),
        ("2024-W03", TimePrecision.WEEK, "2024-01-14T21:00:00Z", "2024-01-21T21:00:00Z"),
        ("2024-02", TimePrecision.MONTH, "2024-01-31T21:00:00Z", "2024-02-29T21:00:00Z"),
        ("2024", TimePrecision.YEAR, "2023-12-31T21:00:00Z", "2024-12-31T21:00:00Z"),
    ],
)
def test_precision_implies_a_local_interval(text: str, precision: TimePrecision, start: str,
                                            end: str) -> None:
    moment = parse_local(text, "Asia/Baghdad")
    assert moment.precision is precision
    assert [to_utc_text(x) for x in moment.interval()] == [start, end]


def test_a_day_across_a_dst_change_is_23_hours() -> None:
    moment = parse_local("2024-03-31", "Europe/Paris")
    start, end = moment.interval()
    assert (end - start).total_seconds() == 23 * 3600


def test_a_wall_time_in_the_spring_gap_maps_to_a_real_instant() -> None:
    moment = parse_local("2024-03-31 02:30", "Europe/Paris")
    assert to_utc_text(moment.utc) == "2024-03-31T01:30:00Z"


@pytest.mark.parametrize("bad", ["", "20/01/2024", "2024-13-01", "2024-02-30", "tomorrow",
                                 "2024-01-20T25:00"])
def test_bad_dates_say_what_to_write(bad: str) -> None:
    with pytest.raises(ValueError, match="not a"):
        parse_local(bad)


@pytest.mark.parametrize("bad", ["Mars/Olympus", "", " Asia/Baghdad", "../etc/passwd"])
def test_unknown_zones_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="IANA"):
        zone(bad)


def test_utc_text_round_trip_and_naive_refused() -> None:
    assert to_utc_text(from_utc_text("2024-01-20T18:30:00+03:00")) == "2024-01-20T15:30:00Z"
    with pytest.raises(ValueError):
        from_utc_text("2024-01-20T18:30:00")
    with pytest.raises(ValueError):
        Moment(datetime(2024, 1, 1))  # naive


@given(
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1)),
    st.sampled_from(list(TimePrecision)),
    st.sampled_from(["UTC", "Asia/Baghdad", "Asia/Tehran", "America/New_York", "Asia/Kolkata"]),
)
def test_moment_lies_inside_its_interval_and_normalizes_idempotently(
    wall: datetime, precision: TimePrecision, tz: str
) -> None:
    moment = Moment.from_local(wall, precision, tz)
    start, end = moment.interval()
    assert start <= moment.utc < end
    assert moment.normalized() == moment
    assert Moment.from_stored(moment.utc_text, precision.value, tz) == moment
