"""The one query API of the views and exports: filter, sort, count, page — all in SQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from incidentlog.domain.enums import Status
from incidentlog.domain.query import INCIDENT_SORT_COLUMNS, IncidentFilter, Sort, TextFilter
from incidentlog.domain.records import Count, Incident, Quote, Source
from incidentlog.domain.when import parse_local
from incidentlog.services import Services

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

BASE = Incident(title="t", occurred=parse_local("2024-01-20 18:30", "Asia/Baghdad"))


@pytest.fixture
def log(services: Services) -> dict[str, str]:
    """A small log whose answers are known; returns title → uid."""
    rows = [
        replace(BASE, title="Rockets hit al-Assad Airbase", country="IQ",
                event_type="rocket attack", perpetrator="Kata'ib Hezbollah",
                summary="هجوم صاروخي على قاعدة عين الأسد", tags=("escalation",),
                injured=Count.at_least(5)),
        replace(BASE, title="Drone attack on Tower 22",
                occurred=parse_local("2024-01-28", "Asia/Amman"), country="JO",
                event_type="drone attack", killed=Count.exact(3)),
        replace(BASE, title="Failed rocket strike in Syria",
                occurred=parse_local("2024-08", "Asia/Damascus"), country="SY",
                event_type="rocket attack", summary="The rockets fell short"),
        replace(BASE, title="US retaliatory strikes", occurred=parse_local("2024", "UTC"),
                country="IQ", event_type="retaliatory strike", perpetrator="U.S. forces"),
        replace(BASE, title="Attack on Erbil", occurred=parse_local("2024-08-05", "Asia/Baghdad"),
                country="IQ", event_type="rocket attack", tags=("escalation", "us forces")),
    ]
    found = {}
    for row in rows:
        stored = services.incidents.create(row).record
        found[stored.title or ""] = stored.meta.uid or ""
    services.incidents.set_status(found["Attack on Erbil"], Status.IN_REVIEW)
    return found


def titles(services: Services, flt: IncidentFilter, sort: Sort = Sort()) -> list[str]:
    ids = services.incident_query.ids(flt, sort)
    found = services.incident_query.by_ids(list(ids))
    assert services.incident_query.count(flt) == len(ids)
    return [found[i].title or "" for i in ids]


def test_no_filter_lists_the_live_log_by_date(services: Services, log: dict[str, str]) -> None:
    assert titles(services, IncidentFilter()) == [
        "US retaliatory strikes", "Rockets hit al-Assad Airbase", "Drone attack on Tower 22",
        "Failed rocket strike in Syria", "Attack on Erbil"]


def test_full_text_words_prefixes_and_arabic(services: Services, log: dict[str, str]) -> None:
    # The event type is indexed too: "rocket attack" finds Erbil.
    rocket_rows = ["Rockets hit al-Assad Airbase", "Failed rocket strike in Syria",
                   "Attack on Erbil"]
    assert titles(services, IncidentFilter(text="rocket")) == rocket_rows
    assert titles(services, IncidentFilter(text="rock")) == rocket_rows
    assert titles(services, IncidentFilter(text="Tower")) == ["Drone attack on Tower 22"]
    assert titles(services, IncidentFilter(text="rockets fell")) == [
        "Failed rocket strike in Syria"]
    assert titles(services, IncidentFilter(text="قاعدة")) == ["Rockets hit al-Assad Airbase"]
    assert titles(services, IncidentFilter(text='"unbalanced AND (quote*')) == []
    assert titles(services, IncidentFilter(text="  ")) == titles(services, IncidentFilter())


def test_full_text_index_follows_updates_and_deletes(services: Services,
                                                     log: dict[str, str]) -> None:
    uid = log["Drone attack on Tower 22"]
    stored = services.incidents.get(uid)
    services.incidents.update(replace(stored, summary="one-way attack drone from Iraq"))
    assert titles(services, IncidentFilter(text="one-way")) == ["Drone attack on Tower 22"]
    services.incidents.delete(uid)
    assert titles(services, IncidentFilter(text="one-way")) == []
    assert titles(services, IncidentFilter(text="one-way", deleted=True)) == [
        "Drone attack on Tower 22"]


def day(text: str) -> datetime:
    return parse_local(text, "UTC").utc


def test_date_range_matches_the_interval_a_precision_implies(services: Services,
                                                             log: dict[str, str]) -> None:
    # 5 August: the August-precision strike and the 2024-precision strikes overlap it too.
    assert titles(services, IncidentFilter(since=day("2024-08-05"), until=day("2024-08-06"))) == [
        "US retaliatory strikes", "Failed rocket strike in Syria", "Attack on Erbil"]
    # Up to 20 January (UTC): the day-precision Tower 22 attack (28 Jan) is out.
    assert titles(services, IncidentFilter(until=day("2024-01-21"))) == [
        "US retaliatory strikes", "Rockets hit al-Assad Airbase"]
    assert titles(services, IncidentFilter(since=day("2025-01-01"))) == []


def test_field_filters(services: Services, log: dict[str, str]) -> None:
    assert titles(services, IncidentFilter(countries=("JO", "SY"))) == [
        "Drone attack on Tower 22", "Failed rocket strike in Syria"]
    assert titles(services, IncidentFilter(event_types=("drone attack",))) == [
        "Drone attack on Tower 22"]
    assert titles(services, IncidentFilter(statuses=(Status.IN_REVIEW,))) == ["Attack on Erbil"]
    assert titles(services, IncidentFilter(tags=("escalation",))) == [
        "Rockets hit al-Assad Airbase", "Attack on Erbil"]
    assert titles(services, IncidentFilter(perpetrators=("U.S. forces",))) == [
        "US retaliatory strikes"]
    assert titles(services, IncidentFilter(uids=(log["Attack on Erbil"],))) == ["Attack on Erbil"]
    combined = IncidentFilter(text="rocket", countries=("IQ",), until=day("2024-02-01"))
    assert titles(services, combined) == ["Rockets hit al-Assad Airbase"]


def test_sort_by_any_column_both_ways(services: Services, log: dict[str, str]) -> None:
    assert titles(services, IncidentFilter(), Sort("title")) == sorted(log)
    assert titles(services, IncidentFilter(), Sort("title", descending=True)) == sorted(
        log, reverse=True)
    by_country = titles(services, IncidentFilter(), Sort("country"))
    assert by_country[0] == "Rockets hit al-Assad Airbase" and by_country[-1] == (
        "Failed rocket strike in Syria")
    for column in INCIDENT_SORT_COLUMNS:  # every column the table offers sorts in SQL
        assert len(titles(services, IncidentFilter(), Sort(column))) == 5
    with pytest.raises(ValueError, match="cannot sort"):
        titles(services, IncidentFilter(), Sort("summary; DROP TABLE incident"))


@pytest.mark.parametrize("column", ["occurred_at", "title", "perpetrator", "killed", "injured"])
@pytest.mark.parametrize("descending", [False, True])
def test_keyset_pages_walk_the_same_order(services: Services, log: dict[str, str], column: str,
                                          descending: bool) -> None:
    sort = Sort(column, descending)
    expected = list(services.incident_query.ids(IncidentFilter(), sort))
    walked: list[int] = []
    after = None
    while True:
        page = services.incident_query.page(IncidentFilter(), sort, limit=2, after=after)
        if not page:
            break
        walked.extend(i.meta.id or 0 for i in page)
        after = services.incident_query.key_of(page[-1], sort)
    assert walked == expected


def test_distinct_values_for_filter_choices(services: Services, log: dict[str, str]) -> None:
    assert services.incident_query.distinct("country") == ["IQ", "JO", "SY"]
    assert services.incident_query.distinct("event_type")[0] == "rocket attack"


def test_sources_and_quotes_search_and_scope(services: Services, log: dict[str, str]) -> None:
    uid = log["Rockets hit al-Assad Airbase"]
    post = services.sources.create(Source(title="CENTCOM post", handle="@CENTCOM",
                                          url="https://x.com/CENTCOM/status/1")).record
    services.sources.create(Source(title="Reuters: US base attacked in Iraq",
                                   url="https://www.reuters.com/world/x", outlet="Reuters"))
    services.incidents.link_source(uid, post.meta.uid or "")
    assert [s.title for s in services.source_query.list(TextFilter(text="reuters"))] == [
        "Reuters: US base attacked in Iraq"]
    assert [s.title for s in services.source_query.list(TextFilter(incident_uid=uid))] == [
        "CENTCOM post"]
    assert services.source_query.list(TextFilter(text="100%_")) == []
    services.quotes.create(Quote(text="We received updates on threats", speaker="Joe Biden",
                                 said=parse_local("2024-04", "UTC")))
    services.quotes.create(Quote(text="Multiple ballistic missiles", speaker="CENTCOM",
                                 incident_uid=uid))
    assert [q.speaker for q in services.quote_query.list(TextFilter(text="biden"))] == [
        "Joe Biden"]
    assert [q.speaker for q in services.quote_query.list(TextFilter(incident_uid=uid))] == [
        "CENTCOM"]


def test_the_query_api_does_not_load_the_table(services: Services, log: dict[str, str]) -> None:
    ids = services.incident_query.ids()
    assert ids.typecode == "q" and ids.itemsize == 8  # compact: 8 MB for a million rows
    page = services.incident_query.by_ids(list(ids[:2]))
    assert set(page) == set(ids[:2])


def test_occurred_instants_are_utc(services: Services, log: dict[str, str]) -> None:
    stored = services.incidents.get(log["Rockets hit al-Assad Airbase"])
    assert stored.occurred is not None
    assert stored.occurred.utc == datetime(2024, 1, 20, 15, 30, tzinfo=UTC)


def test_a_long_id_list_is_read_in_chunks_and_streamed_by_a_server(
        services: Services, log: dict[str, str]) -> None:
    from sqlalchemy import text

    from incidentlog.store import queries as q

    database = services.database
    with database.read() as connection:
        chunks = q.incident_ids(connection, IncidentFilter(), Sort(), database.backend, chunk=2)
        first = next(chunks)
        # On a server the answer stays there, read a chunk at a time: the client never
        # holds a million rows at once.
        if connection.dialect.name == "postgresql":
            open_cursors = connection.execute(text("SELECT name FROM pg_cursors")).scalars()
            assert "incidentlog_ids" in list(open_cursors)
        rest = [i for chunk in chunks for i in chunk]
    assert len(first) == 2
    assert list(first) + rest == list(services.incident_query.ids(IncidentFilter(), Sort()))


@pytest.mark.parametrize("column", ["occurred_at", "title", "perpetrator", "killed", "country"])
@pytest.mark.parametrize("descending", [False, True])
def test_a_rows_place_is_its_index_in_the_id_list(services: Services, log: dict[str, str],
                                                  column: str, descending: bool) -> None:
    sort = Sort(column, descending)
    query = services.incident_query
    for flt in (IncidentFilter(), IncidentFilter(countries=("IQ",)), IncidentFilter(text="rocket")):
        ids = list(query.ids(flt, sort))
        found, matches, total = query.places(flt, sort, [*log.values(), "no-such-uid"])
        assert "no-such-uid" not in found and (matches, total) == (len(ids), 5)
        for uid in log.values():
            row_id, place = found[uid]
            assert place == (ids.index(row_id) if row_id in ids else None), (flt, uid)
