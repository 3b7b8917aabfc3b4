"""The actors' vocabulary edited: rename, aliases, merge two actors, and their undo."""

from __future__ import annotations

import pytest

from incidentlog.domain.actors import ActorRole, IncidentActor
from incidentlog.domain.enums import Attribution
from incidentlog.domain.errors import NotFoundError, ValidationError
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.services import Services
from incidentlog.store.check import check_database

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

IRI = "Resistance Front"  # not in the vocabulary a new log starts with


def incident(title: str, *actors: IncidentActor) -> Incident:
    return Incident(title=title, occurred=parse_local("2024-01-20", "Asia/Baghdad"),
                    country="IQ", actors=actors)


def entry(services: Services, name: str) -> tuple[str, tuple[str, ...], int]:
    found = [e for e in services.actors.entries() if e.name == name]
    assert found, name
    return found[0].name, found[0].aliases, found[0].incidents + found[0].attributions


def test_a_rename_reaches_every_incident_is_audited_and_undone(services: Services) -> None:
    first = services.incidents.create(incident(
        "a", IncidentActor(ActorRole.CLAIMANT, "Brigade 9"))).record
    second = services.incidents.create(incident(
        "b", IncidentActor(ActorRole.TARGET, "U.S. forces"),
        IncidentActor(ActorRole.PERPETRATOR, "Militia X", Attribution.ATTRIBUTED,
                      "Brigade 9"))).record
    services.incidents.create(incident("c", IncidentActor(ActorRole.TARGET, "U.S. forces")))
    assert entry(services, "Brigade 9")[2] == 2

    outcome = services.actors.rename("brigade 9", "Ninth Brigade")
    assert outcome.changes.incidents == {first.meta.uid, second.meta.uid}
    renamed = services.incidents.get(first.meta.uid)  # type: ignore[arg-type]
    assert renamed.actors[0].actor == "Ninth Brigade"
    assert renamed.perpetrator == "Ninth Brigade"
    assert renamed.meta.version == first.meta.version + 1
    other = services.incidents.get(second.meta.uid)  # type: ignore[arg-type]
    assert other.actors[1].attributed_by == "Ninth Brigade"
    changes = services.incident_query.history(first.meta.uid)[-1].changes  # type: ignore[arg-type]
    assert changes["perpetrator"] == ["Brigade 9", "Ninth Brigade"]
    assert check_database(services.database) == []

    services.actors.undo_rename(outcome.record)
    assert services.incidents.get(first.meta.uid).perpetrator == "Brigade 9"  # type: ignore[arg-type]
    assert check_database(services.database) == []


def test_a_name_or_alias_used_by_another_actor_or_empty_is_refused(services: Services) -> None:
    services.incidents.create(incident("a", IncidentActor(ActorRole.CLAIMANT, IRI),
                                       IncidentActor(ActorRole.TARGET, "U.S. forces")))
    services.actors.add_alias(IRI, "RF")
    with pytest.raises(ValidationError, match="already names Resistance Front"):
        services.actors.add_alias("U.S. forces", "rf")
    with pytest.raises(ValidationError, match="already names Resistance Front"):
        services.actors.rename("U.S. forces", "RF")
    with pytest.raises(ValidationError, match="is already an alias of Resistance Front"):
        services.actors.add_alias(IRI, "Rf")
    with pytest.raises(ValidationError, match="must not be empty"):
        services.actors.rename(IRI, "   ")
    with pytest.raises(ValidationError, match="must not be empty"):
        services.actors.add_alias(IRI, "")
    with pytest.raises(NotFoundError):
        services.actors.rename("nobody", "somebody")
    with pytest.raises(ValidationError, match="not an alias"):
        services.actors.remove_alias(IRI)
    assert entry(services, IRI)[1] == ("RF",)
    assert services.actors.remove_alias("rf").record == IRI
    assert entry(services, IRI)[1] == ()
    assert check_database(services.database) == []


def test_a_rename_to_its_own_alias_swaps_them(services: Services) -> None:
    services.incidents.create(incident("a", IncidentActor(ActorRole.CLAIMANT, IRI)))
    services.actors.add_alias(IRI, "RF")
    outcome = services.actors.rename(IRI, "RF")
    assert entry(services, "RF")[1] == ()
    services.actors.undo_rename(outcome.record)
    assert entry(services, IRI)[1] == ("RF",)


def test_merging_two_actors_moves_every_incident_and_is_undone(services: Services) -> None:
    both = services.incidents.create(incident(
        "both", IncidentActor(ActorRole.CLAIMANT, "RF cell"),
        IncidentActor(ActorRole.CLAIMANT, IRI))).record
    only = services.incidents.create(incident(
        "only", IncidentActor(ActorRole.PERPETRATOR, "RF cell", Attribution.SUSPECTED))).record
    services.actors.add_alias("RF cell", "RFc")
    services.actors.add_alias(IRI, "RF")

    outcome = services.actors.merge("RF cell", IRI)
    assert outcome.changes.incidents == {both.meta.uid, only.meta.uid}
    merged = services.incidents.get(both.meta.uid)  # type: ignore[arg-type]
    assert merged.actors == (IncidentActor(ActorRole.CLAIMANT, IRI, Attribution.CLAIMED),)
    assert services.incidents.get(only.meta.uid).perpetrator == IRI  # type: ignore[arg-type]
    assert [e.name for e in services.actors.entries() if e.name == "RF cell"] == []
    assert entry(services, IRI) == (IRI, ("RF", "RF cell", "RFc"), 2)
    assert check_database(services.database) == []
    with pytest.raises(ValidationError, match="into itself"):
        services.actors.merge(IRI, IRI)

    services.actors.unmerge(outcome.record)
    assert services.incidents.get(both.meta.uid).actors == both.actors  # type: ignore[arg-type]
    assert services.incidents.get(only.meta.uid).perpetrator == "RF cell"  # type: ignore[arg-type]
    assert entry(services, "RF cell") == ("RF cell", ("RFc",), 2)
    assert entry(services, IRI) == (IRI, ("RF",), 1)
    assert check_database(services.database) == []


def test_a_rename_and_a_merge_read_the_incidents_in_batches(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """An actor of a large log is named by a sixth of it: the incidents are read a batch
    at a time, and a rename leaves their actor rows as they are (the ids stay)."""
    from sqlalchemy import event

    from incidentlog.services import actors as actor_service
    from incidentlog.store import records as store_records

    monkeypatch.setattr(actor_service, "REWRITE_BATCH", 2)
    loaded: list[int] = []
    load = store_records.load_incidents
    monkeypatch.setattr(store_records, "load_incidents",
                        lambda connection, ids: (loaded.append(len(ids)), load(connection, ids))[1])
    made = [services.incidents.create(incident(
        f"attack {number}", IncidentActor(ActorRole.CLAIMANT, "Brigade 9"))).record
        for number in range(5)]
    statements: list[str] = []
    event.listen(services.database.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_rest: statements.append(statement))
    loaded.clear()
    outcome = services.actors.rename("Brigade 9", "Ninth Brigade")
    assert loaded == [2, 2, 1]
    assert not [s for s in statements if s.startswith(("INSERT INTO incident_actor",
                                                       "DELETE FROM incident_actor"))]
    assert outcome.changes.incidents == {i.meta.uid for i in made}
    assert {services.incidents.get(i.meta.uid or "").perpetrator for i in made} == {
        "Ninth Brigade"}
    assert check_database(services.database) == []

    loaded.clear()
    merged = services.actors.merge("Ninth Brigade", "U.S. forces")
    assert loaded == [2, 2, 1]
    assert set(merged.record.before) == {i.meta.uid for i in made}
    assert {services.incidents.get(i.meta.uid or "").perpetrator for i in made} == {
        "U.S. forces"}
    services.actors.unmerge(merged.record)
    assert {services.incidents.get(i.meta.uid or "").perpetrator for i in made} == {
        "Ninth Brigade"}
    assert check_database(services.database) == []


def test_a_rename_says_how_far_it_is(services: Services,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from incidentlog.services import actors as actor_service

    monkeypatch.setattr(actor_service, "REWRITE_BATCH", 2)
    for number in range(5):
        services.incidents.create(incident(
            f"attack {number}", IncidentActor(ActorRole.CLAIMANT, "Brigade 9")))
    seen: list[tuple[int, int]] = []
    services.actors.rename("Brigade 9", "Ninth Brigade",
                           progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 5), (2, 5), (4, 5)]
