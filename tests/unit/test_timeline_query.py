"""The timeline's SQL and its plain-value API: what is in a window, and how dense it is.

Every answer is checked against the same question asked the slow way in
Python (the interval each precision implies, ``Moment.interval``).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_

from incidentlog.domain.enums import TimePrecision
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Incident, Quote
from incidentlog.domain.when import Moment, parse_local
from incidentlog.services import Services
from incidentlog.services.timeline import (
    Density,
    LongGroup,
    TimelineQuery,
    WindowRequest,
    bin_step,
    calendar_edges,
    spread,
    stored_epoch,
)
from incidentlog.store import timeline as st

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

BASE = Incident(title="t", occurred=parse_local("2024-01-20 18:30", "Asia/Baghdad"))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The log built once per module through the services; each test gets a copy."""
    from incidentlog.store.database import open_database

    path = tmp_path_factory.mktemp("timeline") / "log.sqlite3"
    with open_database(path) as database:
        uids = _populate(Services(database, actor="tester"))
    return path, uids


@pytest.fixture
def db_path(tmp_path: Path, template: tuple[Path, dict[str, str]], db_engine: str) -> Path:
    path = tmp_path / "log.sqlite3"
    if db_engine == "sqlite":
        shutil.copyfile(template[0], path)
    return path


@pytest.fixture
def log(services: Services, template: tuple[Path, dict[str, str]],
        db_engine: str) -> dict[str, str]:
    """Incidents of every precision in three countries; title → uid (on a server, made in
    the test's new log: seven saves)."""
    return template[1] if db_engine == "sqlite" else _populate(services)


def _populate(services: Services) -> dict[str, str]:
    rows = [
        replace(BASE, title="minute IQ", country="IQ", event_type="rocket attack",
                place="al-Assad Airbase"),
        replace(BASE, title="same day IQ", occurred=parse_local("2024-01-20", "Asia/Baghdad"),
                country="IQ", event_type="drone attack", place="al-Assad Airbase"),
        replace(BASE, title="hour JO", occurred=parse_local("2024-01-28 05", "Asia/Amman"),
                country="JO", event_type="drone attack", place="Tower 22"),
        replace(BASE, title="week SY", occurred=parse_local("2024-W05", "Asia/Damascus"),
                country="SY", event_type="rocket attack"),
        replace(BASE, title="month SY", occurred=parse_local("2024-08", "Asia/Damascus"),
                country="SY", event_type="rocket attack"),
        replace(BASE, title="year IQ", occurred=parse_local("2024", "Asia/Baghdad"),
                country="IQ", event_type="retaliatory strike"),
        replace(BASE, title="no country", occurred=parse_local("2023-12-31 23:59", "UTC")),
    ]
    return {row.title or "": services.incidents.create(row).record.meta.uid or ""
            for row in rows}


@pytest.fixture
def query(services: Services) -> TimelineQuery:
    return TimelineQuery(services.database)


def overlapping(services: Services, start: datetime, end: datetime,
                flt: IncidentFilter = IncidentFilter()) -> set[str]:
    """The titles of the incidents whose interval overlaps [start, end), in Python."""
    found = set()
    for incident in services.incident_query.page(flt, limit=1000):
        assert incident.occurred is not None
        first, last = incident.occurred.interval()
        if first < end and last > start:
            found.add(incident.title or "")
    return found


@pytest.mark.parametrize(("start", "end"), [
    (utc(2024, 1, 20), utc(2024, 1, 21)),
    (utc(2024, 1, 20, 16), utc(2024, 1, 20, 17)),  # inside one day: the day and the year
    (utc(2024, 1, 27), utc(2024, 2, 3)),
    (utc(2024, 8, 10), utc(2024, 8, 11)),  # the month and the year only
    (utc(2023, 6, 1), utc(2023, 12, 31, 22)),  # the year began in Baghdad at 21:00 UTC
    (utc(2025, 1, 1), utc(2025, 2, 1)),
])
def test_items_are_exactly_what_overlaps_the_window(
        services: Services, query: TimelineQuery, log: dict[str, str],
        start: datetime, end: datetime) -> None:
    items = query.items(IncidentFilter(), start, end)
    assert {item.title for item in items} == overlapping(services, start, end)
    assert [item.start for item in items] == sorted(item.start for item in items)


def test_an_item_carries_its_interval_and_what_the_tooltip_needs(
        query: TimelineQuery, log: dict[str, str]) -> None:
    (item,) = [i for i in query.items(IncidentFilter(), utc(2024, 1, 20), utc(2024, 1, 21))
               if i.title == "minute IQ"]
    assert item.start == utc(2024, 1, 20, 15, 30).timestamp()
    assert item.end - item.start == 60
    assert item.is_point and item.precision == "minute" and item.tz == "Asia/Baghdad"
    assert item.moment.display() == "20 Jan 2024 18:30 Baghdad"
    assert (item.country, item.place, item.event_type) == ("IQ", "al-Assad Airbase",
                                                           "rocket attack")
    (day,) = [i for i in query.items(IncidentFilter(), utc(2024, 1, 20), utc(2024, 1, 21))
              if i.title == "same day IQ"]
    assert (day.start, day.end) == (utc(2024, 1, 19, 21).timestamp(),
                                    utc(2024, 1, 20, 21).timestamp())
    assert not day.is_point


def test_items_follow_the_filter_and_the_limit(query: TimelineQuery,
                                               log: dict[str, str]) -> None:
    window = (utc(2023, 1, 1), utc(2025, 1, 1))
    only_sy = query.items(IncidentFilter(countries=("SY",)), *window)
    assert {i.title for i in only_sy} == {"week SY", "month SY"}
    text = query.items(IncidentFilter(text="same"), *window)
    assert [i.title for i in text] == ["same day IQ"]
    assert len(query.items(IncidentFilter(), *window, limit=3)) == 3
    assert {i.title for i in query.items(IncidentFilter(), *window,
                                         precisions=("month", "year"))} == {"month SY",
                                                                            "year IQ"}


def test_deleted_incidents_leave_the_timeline(services: Services, query: TimelineQuery,
                                              log: dict[str, str]) -> None:
    services.incidents.delete(log["minute IQ"])
    window = (utc(2024, 1, 20), utc(2024, 1, 21))
    assert "minute IQ" not in {i.title for i in query.items(IncidentFilter(), *window)}
    trash = query.items(IncidentFilter(deleted=True), *window)
    assert [i.title for i in trash] == ["minute IQ"]


def test_count_stops_at_the_cap(query: TimelineQuery, log: dict[str, str]) -> None:
    window = (utc(2023, 1, 1), utc(2025, 1, 1))
    assert query.count(IncidentFilter(), *window) == 7
    assert query.count(IncidentFilter(), *window, cap=3) == 3
    assert query.count(IncidentFilter(countries=("SY",)), *window) == 2
    assert query.count(IncidentFilter(since=utc(2024, 6, 1)), *window) == 1  # month SY


@settings(max_examples=60, deadline=None)
@given(
    when=st_.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2027, 12, 31)),
    precision=st_.sampled_from(list(TimePrecision)),
    tz=st_.sampled_from(["UTC", "Asia/Baghdad", "Pacific/Kiritimati", "Pacific/Pago_Pago",
                         "America/St_Johns", "Asia/Kathmandu", "Europe/Paris"]),
    offset_hours=st_.integers(min_value=-9000, max_value=9000),
    span_hours=st_.integers(min_value=1, max_value=2000),
)
def test_start_ranges_hold_the_start_of_every_overlapping_interval(
        when: datetime, precision: TimePrecision, tz: str, offset_hours: int,
        span_hours: int) -> None:
    """The candidate ranges never miss an interval: the premise of reading only them."""
    moment = Moment.from_local(when, precision, tz)
    first, last = moment.interval()
    start = first + timedelta(hours=offset_hours)
    end = start + timedelta(hours=span_hours)
    if not (first < end and last > start):
        return
    ranges = st.start_ranges(start, end, (precision.value,))
    assert any(lo <= first < hi for lo, hi in ranges), (first, ranges)
    assert all(lo < hi for lo, hi in ranges)
    assert all(a[1] < b[0] for a, b in pairwise(ranges))  # merged


def test_bins_in_a_time_zone_start_at_its_midnights() -> None:
    edges = calendar_edges(utc(2024, 3, 28), utc(2024, 4, 2), ("day", 1), "Europe/Paris")
    assert edges[0] == utc(2024, 3, 27, 23)  # midnight in Paris, winter time
    assert utc(2024, 3, 31, 22) in edges  # after the change to summer time: 23 h day
    assert edges[-1] >= utc(2024, 4, 2)
    weeks = calendar_edges(utc(2024, 1, 3), utc(2024, 2, 1), ("week", 1), "UTC")
    assert all(edge.weekday() == 0 for edge in weeks)
    months = calendar_edges(utc(2024, 1, 15), utc(2024, 5, 1), ("month", 3), "UTC")
    assert months == (utc(2024, 1, 1), utc(2024, 4, 1), utc(2024, 7, 1))
    # A bin is the same whatever the window: panning never shifts it.
    shifted = calendar_edges(utc(2024, 3, 29, 13), utc(2024, 4, 2), ("day", 2), "UTC")
    wider = calendar_edges(utc(2024, 3, 20), utc(2024, 4, 2), ("day", 2), "UTC")
    assert set(shifted) <= set(wider)
    assert bin_step(86_400 / 40) == ("day", 1)  # 40 px a day
    assert bin_step(7 * 86_400 / 4) == ("week", 1)  # a week in 4 px
    assert bin_step(365 * 86_400 / 2) == ("year", 1)


def test_density_counts_where_intervals_start_per_lane(
        query: TimelineQuery, log: dict[str, str]) -> None:
    edges = calendar_edges(utc(2023, 12, 1), utc(2025, 1, 1), ("month", 1), "UTC")
    flat = query.density(IncidentFilter(), edges[0], edges[-1], edges)
    assert sum(flat.totals()) == 7
    january = edges.index(utc(2024, 1, 1))
    december = edges.index(utc(2023, 12, 1))
    # The year in Baghdad and the minute of 31 Dec start in December (UTC).
    assert flat.counts[None][december] == 2
    assert flat.counts[None][january] == 4
    lanes = query.density(IncidentFilter(), edges[0], edges[-1], edges, lane="country")
    assert set(lanes.counts) == {"IQ", "JO", "SY", None}
    assert sum(lanes.counts["IQ"]) == 3 and sum(lanes.counts[None]) == 1
    only_iq = query.density(IncidentFilter(countries=("IQ",)), edges[0], edges[-1], edges)
    assert sum(only_iq.totals()) == 3


def test_density_without_a_covering_index_gives_the_same_counts(
        query: TimelineQuery, log: dict[str, str]) -> None:
    """Lanes by place have no (place, occurred_at) index: one scan, same answer."""
    edges = calendar_edges(utc(2023, 12, 1), utc(2025, 1, 1), ("month", 1), "UTC")
    assert st.covering_index(IncidentFilter(), "place") is None
    by_place = query.density(IncidentFilter(), edges[0], edges[-1], edges, lane="place")
    assert sum(by_place.counts["al-Assad Airbase"]) == 2
    assert sum(by_place.counts["Tower 22"]) == 1
    assert sum(by_place.counts[None]) == 4
    # A filter on the perpetrator also needs the table: the scan path, still right.
    scan = query.density(IncidentFilter(perpetrators=("nobody",)), edges[0], edges[-1], edges)
    assert sum(scan.totals()) == 0


def test_covering_index_choice() -> None:
    assert st.covering_index(IncidentFilter(), None) == "ix_incident_occurred"
    assert st.covering_index(IncidentFilter(countries=("IQ",)), None) == "ix_incident_country"
    assert st.covering_index(IncidentFilter(countries=("IQ",)), "country") == \
        "ix_incident_country"
    assert st.covering_index(IncidentFilter(countries=("IQ",)), "event_type") is None
    assert st.covering_index(IncidentFilter(statuses=()), "status") == "ix_incident_status"
    assert st.covering_index(IncidentFilter(deleted=True), None) is None


@pytest.mark.file_only  # SQLite's plan; the server's planner chooses for itself
def test_the_counts_read_the_index_not_the_table(services: Services) -> None:
    """The plan behind the zoomed-out speed: a covering range count per bin."""
    from sqlalchemy import text

    from incidentlog.store.database import Database

    database: Database = services.database
    with database.read() as connection:
        sql = ("SELECT count(*) FROM incident INDEXED BY ix_incident_country "
               "WHERE incident.deleted_at IS NULL AND country IS 'IQ' "
               "AND occurred_at >= '2024' AND occurred_at < '2025'")
        plan = " ".join(str(row[-1]) for row in
                        connection.execute(text("EXPLAIN QUERY PLAN " + sql)))
    assert "ix_incident_country" in plan and "country=?" in plan and "occurred_at>?" in plan


def test_long_intervals_are_spread_over_the_bins_they_cover(
        query: TimelineQuery, log: dict[str, str]) -> None:
    groups = query.long_intervals(IncidentFilter())
    assert sorted(g.precision for g in groups) == ["month", "week", "year"]
    edges = calendar_edges(utc(2023, 12, 1), utc(2025, 2, 1), ("month", 1), "UTC")
    raw = query.density(IncidentFilter(), edges[0], edges[-1], edges)
    smooth = spread(raw, groups)
    assert smooth.spread and not raw.spread
    assert sum(smooth.totals()) == pytest.approx(7)
    # The year of Baghdad: a twelfth (or so) in each month of 2024, not all in December.
    year = next(g for g in groups if g.precision == "year")
    month = next(g for g in groups if g.precision == "month")
    june, july = edges.index(utc(2024, 6, 1)), edges.index(utc(2024, 7, 1))
    assert smooth.counts[None][june] == pytest.approx(30 * 86_400 / (year.end - year.start))
    # July: its share of the year, and the 3 h of August in Damascus that are July in UTC.
    assert smooth.counts[None][july] == pytest.approx(
        31 * 86_400 / (year.end - year.start) + 3 * 3600 / (month.end - month.start))
    assert spread(smooth, groups) is smooth  # never twice


def test_spread_keeps_counts_of_values_it_does_not_show() -> None:
    density = Density((0.0, 10.0, 20.0), {"a": (1.0, 0.0)}, "c")
    result = spread(density, [LongGroup(0.0, 20.0, "month", "a", 1),
                              LongGroup(0.0, 20.0, "month", "b", 5)])
    assert result.counts == {"a": (0.5, 0.5)}


def test_window_draws_items_or_density(query: TimelineQuery, log: dict[str, str]) -> None:
    start, end = utc(2023, 12, 1), utc(2025, 1, 1)
    edges = calendar_edges(start, end, ("month", 1), "UTC")
    few = query.window(WindowRequest(IncidentFilter(), start, end, edges))
    assert few.mode == "items" and len(few.items or ()) == 7 and few.density is None
    many = query.window(WindowRequest(IncidentFilter(), start, end, edges, limit=3))
    assert many.mode == "density" and many.items is None
    assert many.density is not None and sum(many.density.totals()) == 7
    groups = query.long_intervals(IncidentFilter())
    smooth = query.window(WindowRequest(IncidentFilter(), start, end, edges, limit=3), groups)
    assert smooth.density is not None and smooth.density.spread
    # Month and year incidents become a band when too many cover the window.
    import incidentlog.services.timeline as module

    limit = module.LONG_ITEM_LIMIT
    module.LONG_ITEM_LIMIT = 1
    try:
        banded = query.window(WindowRequest(IncidentFilter(), utc(2024, 8, 10),
                                            utc(2024, 8, 11), edges), groups)
    finally:
        module.LONG_ITEM_LIMIT = limit
    assert banded.items == ()
    assert sorted(g.precision for g in banded.long_bands) == ["month", "year"]


def test_quotes_in_a_window_follow_their_incident_through_the_filter(
        services: Services, query: TimelineQuery, log: dict[str, str]) -> None:
    said = parse_local("2024-01-20 20:00", "Asia/Baghdad")
    linked = services.quotes.create(Quote(text="we will respond", speaker="A", said=said,
                                          incident_uid=log["minute IQ"])).record
    free = services.quotes.create(Quote(text="calm", speaker="B",
                                        said=parse_local("2024-01-20", "UTC"))).record
    services.quotes.create(Quote(text="undated", speaker="C"))
    window = (utc(2024, 1, 20), utc(2024, 1, 21))
    quotes = query.quotes(IncidentFilter(), *window)
    assert [q.uid for q in quotes] == [free.meta.uid, linked.meta.uid]
    assert quotes[1].incident_uid == log["minute IQ"]
    assert quotes[1].start == utc(2024, 1, 20, 17).timestamp()
    assert quotes[0].end - quotes[0].start == 86_400  # a day-precision quote covers its day
    only_jo = query.quotes(IncidentFilter(countries=("JO",)), *window)
    assert [q.uid for q in only_jo] == [free.meta.uid]  # the unlinked one stays
    edges = calendar_edges(*window, ("day", 1), "UTC")
    assert sum(query.quote_density(window[0], window[1], edges)) == 2


def test_overview_extent_and_values(query: TimelineQuery, log: dict[str, str]) -> None:
    overview = query.overview(IncidentFilter(), ("country", "place"))
    assert overview.first == utc(2023, 12, 31, 21)  # the year in Baghdad
    assert overview.values["country"] == ("IQ", "JO", "SY", None)
    assert overview.values["place"] == ("Tower 22", "al-Assad Airbase", None)
    extent = query.extent(IncidentFilter())
    assert extent == (utc(2023, 12, 31, 21), utc(2024, 12, 31, 21))
    assert query.overview(IncidentFilter(countries=("XX",))).empty
    assert query.extent(IncidentFilter(countries=("XX",))) is None
    assert query.values(IncidentFilter(countries=("SY",)), "event_type") == ["rocket attack"]


def test_stored_times_are_read_fast_and_right() -> None:
    for text in ("2024-01-20T15:30:00Z", "1969-12-31T23:59:59Z", "2038-01-19T03:14:08Z"):
        assert stored_epoch(text) == st.parse_utc(text).timestamp()


def test_long_intervals_stop_when_cancelled(query: TimelineQuery, log: dict[str, str]) -> None:
    assert query.long_intervals(IncidentFilter(), cancelled=lambda: True) == []
