"""Timeline lanes by actor: an incident in the lane of each of its actors, on both engines.

The counts, the lanes, the long intervals and the items are checked against
the same question asked in Python over the incidents' actors.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from incidentlog.domain.actors import ActorRole, IncidentActor
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.services import Services
from incidentlog.services.timeline import TimelineQuery, WindowRequest, calendar_edges
from incidentlog.store.timeline_sql import GROUP_COLUMNS

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

BASE = Incident(title="t", occurred=parse_local("2024-01-20 18:30", "Asia/Baghdad"))
IRI, MILITIAS, US = "Islamic Resistance in Iraq", "Iranian-backed militants", "U.S. forces"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def actor(role: ActorRole, name: str | None) -> IncidentActor:
    return IncidentActor(role, name)


@pytest.fixture
def log(services: Services) -> dict[str, str]:
    """Title → uid: two actors, one actor in two roles, none, an unnamed one, a
    month-long incident, and a deleted one."""
    rows = [
        replace(BASE, title="claimed and attributed", actors=(
            actor(ActorRole.CLAIMANT, IRI), actor(ActorRole.PERPETRATOR, MILITIAS))),
        replace(BASE, title="one actor twice", occurred=parse_local("2024-01-22", "UTC"),
                actors=(actor(ActorRole.PERPETRATOR, IRI), actor(ActorRole.CLAIMANT, IRI))),
        replace(BASE, title="no actor", occurred=parse_local("2024-01-25 09:00", "UTC")),
        replace(BASE, title="unnamed claimant", occurred=parse_local("2024-01-26 09:00", "UTC"),
                actors=(actor(ActorRole.CLAIMANT, None),)),
        replace(BASE, title="month long", occurred=parse_local("2024-02", "UTC"),
                actors=(actor(ActorRole.PERPETRATOR, MILITIAS), actor(ActorRole.TARGET, US))),
        replace(BASE, title="deleted", occurred=parse_local("2024-01-23 10:00", "UTC"),
                actors=(actor(ActorRole.PERPETRATOR, IRI), actor(ActorRole.TARGET, US))),
    ]
    uids = {row.title or "": services.incidents.create(row).record.meta.uid or ""
            for row in rows}
    services.incidents.delete(uids["deleted"])
    return uids


@pytest.fixture
def query(services: Services) -> TimelineQuery:
    return TimelineQuery(services.database)


def expected_lanes(services: Services, role: ActorRole | None) -> dict[str | None, set[str]]:
    """Lane → titles, from the live incidents' actors in Python."""
    lanes: dict[str | None, set[str]] = {}
    for incident in services.incident_query.page(IncidentFilter(), limit=100):
        names = {a.actor for a in incident.actors
                 if a.actor is not None and (role is None or a.role is role)}
        for name in names or {None}:
            lanes.setdefault(name, set()).add(incident.title or "")
    return lanes


@pytest.mark.parametrize("role", [None, ActorRole.CLAIMANT, ActorRole.PERPETRATOR,
                                  ActorRole.TARGET])
def test_lanes_and_counts_follow_every_actor_of_an_incident(
        services: Services, query: TimelineQuery, log: dict[str, str],
        role: ActorRole | None) -> None:
    column = "actors" if role is None else f"actors:{role.value}"
    assert column in GROUP_COLUMNS
    expected = expected_lanes(services, role)
    values = query.values(IncidentFilter(), column)
    assert values == [*sorted(v for v in expected if v is not None), None]
    edges = calendar_edges(utc(2024, 1, 1), utc(2024, 3, 1), ("day", 1), "UTC")
    density = query.density(IncidentFilter(), edges[0], edges[-1], edges, lane=column)
    # Counted where they start: the month-long incident on 1 February.
    assert {value: round(sum(series)) for value, series in density.counts.items()
            if sum(series)} == {value: len(titles) for value, titles in expected.items()}


def test_an_incident_is_in_both_lanes_and_once_per_actor(
        query: TimelineQuery, log: dict[str, str]) -> None:
    edges = calendar_edges(utc(2024, 1, 1), utc(2024, 3, 1), ("day", 1), "UTC")
    density = query.density(IncidentFilter(), edges[0], edges[-1], edges, lane="actors")
    day = edges.index(utc(2024, 1, 20))
    # 20 January (Baghdad 18:30 is 15:30 UTC): one incident, claimant and perpetrator.
    assert density.counts[IRI][day] == 1 and density.counts[MILITIAS][day] == 1
    # IRI perpetrator and claimant of the same incident: counted once; the deleted one not.
    assert sum(density.counts[IRI]) == 2
    assert sum(density.counts[US]) == 1  # the month-long one; the deleted one is in the trash
    assert sum(density.counts[None]) == 2  # no actor, an unnamed claimant only


def test_long_intervals_by_actor(query: TimelineQuery, log: dict[str, str]) -> None:
    groups = query.long_intervals(IncidentFilter(), "actors", start=utc(2024, 1, 1),
                                  end=utc(2024, 12, 31))
    month = sorted((g.value, g.count) for g in groups if g.precision == "month")
    assert month == [(MILITIAS, 1), (US, 1)]
    groups = query.long_intervals(IncidentFilter(), "actors:claimant", start=utc(2024, 1, 1),
                                  end=utc(2024, 12, 31))
    assert [(g.value, g.count) for g in groups if g.precision == "month"] == [(None, 1)]


def test_items_carry_their_actors_for_the_lanes(query: TimelineQuery,
                                                log: dict[str, str]) -> None:
    edges = calendar_edges(utc(2024, 1, 1), utc(2024, 3, 1), ("day", 1), "UTC")
    request = WindowRequest(IncidentFilter(), edges[0], edges[-1], edges, "actors",
                            quotes=False)
    data = query.window(request)
    assert data.items is not None
    lanes = {item.title: item.lane_values("actors") for item in data.items}
    assert lanes == {
        "claimed and attributed": (IRI, MILITIAS),
        "one actor twice": (IRI,),
        "no actor": (None,),
        "unnamed claimant": (None,),
        "month long": (MILITIAS, US),
    }
    claimed = next(item for item in data.items if item.title == "claimed and attributed")
    assert claimed.lane_values("actors:claimant") == (IRI,)
    assert claimed.lane_values("actors:target") == (None,)
    assert claimed.lane_values("country") == (None,)


def test_filters_apply_to_actor_lanes(query: TimelineQuery, log: dict[str, str]) -> None:
    flt = IncidentFilter(actors=(US,))
    assert query.values(flt, "actors") == [MILITIAS, US]
    trash = IncidentFilter(deleted=True)
    assert query.values(trash, "actors") == [IRI, US]
    edges = calendar_edges(utc(2024, 1, 1), utc(2024, 3, 1), ("day", 1), "UTC")
    density = query.density(trash, edges[0], edges[-1], edges, lane="actors:target")
    assert {v: sum(s) for v, s in density.counts.items() if sum(s)} == {US: 1}
