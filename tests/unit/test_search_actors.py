"""The search knows actors: every name and alias of an incident's actors, and of whoever
attributes it, finds the incident (store/actor_text.py, migration 0012)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import insert, inspect, make_url, select, update

from incidentlog.domain.actors import ActorRole, IncidentActor
from incidentlog.domain.enums import Attribution
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.exchange import export_json, import_json
from incidentlog.services import Services
from incidentlog.store.actors import add_alias
from incidentlog.store.check import check_database
from incidentlog.store.database import Database, _alembic_config, open_database
from incidentlog.store.lineage import fingerprint
from incidentlog.store.schema import actor_alias_table, actor_table

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

IRI = "Islamic Resistance in Iraq"
MILITIAS = "Iranian-backed militias"  # an alias of "Iranian-backed militants"


@pytest.fixture
def make_services(db_targets: Callable[[str], str]) -> Iterator[Callable[[str], Services]]:
    opened: list[Database] = []

    def make(name: str = "x") -> Services:
        database = open_database(db_targets(name))
        opened.append(database)
        return Services(database, actor="tester")

    yield make
    for database in opened:
        database.close()


def assad(**fields: object) -> Incident:
    """The seed's al-Assad incident: claimed by the IRI, attributed by the Pentagon."""
    actors = (
        IncidentActor(ActorRole.CLAIMANT, "IRI"),
        IncidentActor(ActorRole.PERPETRATOR, MILITIAS, Attribution.ATTRIBUTED, "Pentagon"),
        IncidentActor(ActorRole.TARGET, "U.S. forces"),
    )
    return Incident(title="Drone attack on al-Asad Airbase",
                    occurred=parse_local("2024-01-20", "Asia/Baghdad"), country="IQ",
                    actors=actors, **fields)  # type: ignore[arg-type]


def other() -> Incident:
    return Incident(title="Rocket fire near Erbil", country="IQ",
                    occurred=parse_local("2024-01-21", "Asia/Baghdad"))


def found(services: Services, typed: str, *, trash: bool = False) -> set[str]:
    """The titles the search box finds for ``typed`` (in the trash if told), asked the
    three ways the table asks (the count, the first page, every id), which must agree."""
    query, flt = services.incident_query, IncidentFilter(text=typed, deleted=trash)
    titles = {i.title for i in query.page(flt, limit=50)}  # type: ignore[misc]
    assert query.count(flt) == len(titles) == len(query.ids(flt)), typed
    assert {i.title for i in query.by_ids(list(query.ids(flt))).values()} == titles
    return titles


def test_every_name_and_alias_of_an_actor_finds_the_incident(
    make_services: Callable[[str], Services], tmp_path: Path,
) -> None:
    services = make_services("x")
    title = services.incidents.create(assad()).record.title
    services.incidents.create(other())
    # who attributes it, an alias typed for the claimant, the claimant's name, an alias of
    # the vocabulary's name, the name itself, a prefix being typed, a word of another field
    # one of its aliases, the claimant's Arabic name
    for typed in ("Pentagon", "IRI", "islamic resistance", MILITIAS, "militants", "Penta",
                  "pentagon asad", "U.S. forces", "Defense", "المقاومة الإسلامية"):
        assert found(services, typed) == {title}, typed
    assert found(services, "Pentagon Erbil") == set()
    assert found(services, "Erbil") == {"Rocket fire near Erbil"}
    # and in a log the incident is imported into
    export_json(services, tmp_path / "log.json")
    elsewhere = make_services("y")
    import_json(elsewhere, tmp_path / "log.json")
    assert found(elsewhere, "Pentagon") == found(elsewhere, "IRI") == {title}
    assert check_database(services.database) == []
    assert check_database(elsewhere.database) == []


def test_a_rename_an_alias_or_an_edit_of_the_actors_reaches_the_search_unaudited(
    make_services: Callable[[str], Services],
) -> None:
    """The database keeps the actors' text, whoever writes the vocabulary; the incident
    itself is not changed by that (same version, fingerprint, audit log)."""
    services = make_services("x")
    created = services.incidents.create(assad()).record
    with services.database.write() as connection:
        connection.execute(update(actor_table).where(actor_table.c.name == "Pentagon")
                           .values(name="Department of War"))
    assert found(services, "Pentagon") == set()
    assert found(services, "war") == {created.title}
    renamed = services.incidents.get(created.meta.uid)  # its actors say the new name
    assert renamed is not None and renamed.actors[1].attributed_by == "Department of War"
    with services.database.write() as connection:
        assert add_alias(connection, "Department of War", "OSD")
    assert found(services, "osd") == {created.title}
    with services.database.write() as connection:
        connection.execute(update(actor_alias_table).where(actor_alias_table.c.alias == "OSD")
                           .values(alias="Pentagon"))
    assert found(services, "osd") == set()
    assert found(services, "Pentagon") == {created.title}
    with services.database.write() as connection:
        connection.execute(actor_alias_table.delete().where(
            actor_alias_table.c.alias == "Pentagon"))
        connection.execute(insert(actor_alias_table).values(
            alias="Pentagon", actor_id=select(actor_table.c.id).where(
                actor_table.c.name == "U.S. forces").scalar_subquery()))
    assert found(services, "Pentagon") == {created.title}  # now an alias of the target
    stored = services.incidents.get(created.meta.uid)
    assert stored is not None
    assert stored.meta.version == created.meta.version
    assert fingerprint(stored) == fingerprint(renamed)  # aliases are not the record's
    assert [e.action for e in services.incident_query.history(created.meta.uid)] == ["create"]
    # an edit of the actors: the target and the attribution gone
    edited = services.incidents.update(replace(stored, actors=stored.actors[:1])).record
    assert found(services, "Pentagon") == found(services, "war") == set()
    assert found(services, "IRI") == {edited.title}
    services.incidents.update(replace(edited, actors=(), perpetrator=None,
                                      attribution=Attribution.UNKNOWN))
    assert found(services, "IRI") == found(services, "islamic") == set()
    assert check_database(services.database) == []


def test_migration_0012_gives_a_log_of_the_former_format_its_actors_in_the_search(
    make_services: Callable[[str], Services], db_targets: Callable[[str], str],
    request: pytest.FixtureRequest,
) -> None:
    """A log of revision 0011 with the incident (one more in the trash): after 0012 the
    search finds both by their actors, fingerprints and replay unchanged, and back."""
    services = make_services("x")
    created = services.incidents.create(assad()).record
    trashed = services.incidents.create(replace(assad(), title="In the trash")).record
    services.incidents.delete(trashed.meta.uid)  # type: ignore[arg-type]
    services.incidents.create(other())
    prints = {created.title: fingerprint(created)}
    _migrate(db_targets("x"), request, "0011", up=False)
    with services.database.read() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("incident")}
        assert "actor_text" not in columns and "search_document" not in columns
    _migrate(db_targets("x"), request, "head", up=True)
    assert found(services, "Pentagon") == found(services, "IRI") == {created.title}
    assert found(services, "Pentagon", trash=True) == {trashed.title}
    assert found(services, "Erbil") == {"Rocket fire near Erbil"}
    stored = services.incidents.get(created.meta.uid)
    assert stored is not None and fingerprint(stored) == prints[created.title]
    assert check_database(services.database) == []
    # and kept from then on
    with services.database.write() as connection:
        assert add_alias(connection, "Pentagon", "OSD")
    assert found(services, "OSD") == {created.title}
    assert found(services, "OSD", trash=True) == {trashed.title}


def _migrate(target: str, request: pytest.FixtureRequest, revision: str, up: bool) -> None:
    """Migrate the log ``target`` as its owner would (on a server, the administrator),
    granting the roles again after (as tests/unit/test_actors.py does)."""
    from alembic import command

    from incidentlog.store.server import grant_roles

    url = make_url(target) if "://" in target else None
    if url is not None:
        target = request.getfixturevalue("pg_server").url(url.database)
    database = open_database(target)
    try:
        with database.write() as connection:
            config = _alembic_config()
            config.attributes["connection"] = connection
            (command.upgrade if up else command.downgrade)(config, revision)
            if url is not None:
                grant_roles(connection)
    finally:
        database.close()
