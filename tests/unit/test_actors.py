"""Actors: roles, the vocabulary with aliases, migration 0008, audit, fingerprint and JSON."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from sqlalchemy import inspect, make_url

from incidentlog.domain.actors import ActorRole, IncidentActor, legacy_actors
from incidentlog.domain.enums import Attribution
from incidentlog.domain.errors import ConflictError
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.exchange import export_csv, export_json, import_json
from incidentlog.exchange.briefing import export_html
from incidentlog.exchange.tabular import builtin_mapping, import_table
from incidentlog.exchange.tabular.acled import export_acled
from incidentlog.exchange.tabular.builtin import ACLED_COLUMNS
from incidentlog.services import Services
from incidentlog.store.actors import actor_vocabulary, add_alias
from incidentlog.store.check import check_database
from incidentlog.store.database import Database, _alembic_config, open_database
from incidentlog.store.lineage import fingerprint

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

IRI = "Islamic Resistance in Iraq"
MILITANTS = "Iranian-backed militants"  # the vocabulary's name
MILITIAS = "Iranian-backed militias"  # one of its aliases
SOURCE_UID = "0b9c2a4e-5f59-4a8e-9d3a-2f3c4d5e6f70"


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


def incident(title: str, **fields: object) -> Incident:
    return Incident(title=title, occurred=parse_local("2024-01-20", "Asia/Baghdad"),
                    country="IQ", **fields)  # type: ignore[arg-type]


def assad_actors() -> tuple[IncidentActor, ...]:
    return (
        IncidentActor(ActorRole.CLAIMANT, "IRI"),
        IncidentActor(ActorRole.PERPETRATOR, MILITIAS, Attribution.ATTRIBUTED, "Pentagon",
                      SOURCE_UID),
        IncidentActor(ActorRole.TARGET, "U.S. forces"),
    )


def test_actors_are_saved_under_the_vocabularys_names_and_derive_the_perpetrator(
    make_services: Callable[[str], Services],
) -> None:
    services = make_services("x")
    stored = services.incidents.create(incident("al-Assad", actors=assad_actors())).record
    assert [(a.role, a.actor) for a in stored.actors] == [
        (ActorRole.CLAIMANT, IRI), (ActorRole.PERPETRATOR, MILITANTS),
        (ActorRole.TARGET, "U.S. forces")]
    assert stored.actors[1].attributed_by == "Pentagon"
    assert stored.actors[1].source_uid == SOURCE_UID
    assert (stored.perpetrator, stored.attribution) == (IRI, Attribution.CLAIMED)
    assert services.incidents.get(stored.meta.uid).actors == stored.actors  # type: ignore[arg-type]
    with services.database.read() as connection:
        names = dict(actor_vocabulary(connection))
    assert "IRI" in names[IRI]


def test_an_alias_added_finds_the_actor_and_a_new_name_grows_the_vocabulary(
    make_services: Callable[[str], Services],
) -> None:
    services = make_services("x")
    with services.database.write() as connection:
        assert add_alias(connection, "Harakat al-Nujaba", "HaN")
        assert not add_alias(connection, "Kata'ib Hezbollah", "han")  # names another one
    outcome = services.incidents.create(incident("x", actors=(
        IncidentActor(ActorRole.PERPETRATOR, "han"),
        IncidentActor(ActorRole.VICTIM, "A brand new group"),
    )))
    assert outcome.changes.vocabulary  # the completers read the actors again
    stored = outcome.record
    assert [a.actor for a in stored.actors] == ["Harakat al-Nujaba", "A brand new group"]
    with services.database.read() as connection:
        assert "A brand new group" in dict(actor_vocabulary(connection))


def test_an_edit_of_the_actors_is_audited_replayed_and_optimistically_locked(
    make_services: Callable[[str], Services],
) -> None:
    services = make_services("x")
    first = services.incidents.create(incident("al-Assad", perpetrator="Kata'ib Hezbollah",
                                               attribution=Attribution.SUSPECTED)).record
    assert first.actors == legacy_actors("Kata'ib Hezbollah", Attribution.SUSPECTED)
    edited = services.incidents.update(replace(first, actors=assad_actors())).record
    changes = services.incident_query.history(first.meta.uid)[-1].changes  # type: ignore[arg-type]
    assert changes["actors"][0] is None
    assert changes["actors"][1][0] == {"role": "claimant", "actor": IRI,
                                       "attribution": "claimed"}
    assert changes["perpetrator"] == ["Kata'ib Hezbollah", IRI]
    with pytest.raises(ConflictError):
        services.incidents.update(replace(first, actors=()))  # a stale version
    back = services.incidents.update(replace(edited, actors=edited.actors[:1])).record
    assert [a.actor for a in back.actors] == [IRI]
    assert check_database(services.database) == []


def test_a_filter_finds_an_actor_by_name_or_alias_in_any_role_or_one(
    make_services: Callable[[str], Services],
) -> None:
    services = make_services("x")
    assad = services.incidents.create(incident("al-Assad", actors=assad_actors())).record
    services.incidents.create(incident("other", perpetrator="Kata'ib Hezbollah"))
    query = services.incident_query

    def titles(flt: IncidentFilter) -> set[str]:
        return {i.title for i in query.page(flt, limit=10)}  # type: ignore[misc]

    assert titles(IncidentFilter(actors=("iri",))) == {assad.title}
    assert titles(IncidentFilter(actors=("Pentagon",))) == set()  # attributes, takes no part
    assert titles(IncidentFilter(actors=(MILITIAS,), actor_role=ActorRole.CLAIMANT)) == set()
    assert titles(IncidentFilter(actors=(MILITIAS,), actor_role=ActorRole.PERPETRATOR)) == {
        assad.title}


# --- migration 0008 ------------------------------------------------------------------------

LEGACY = [
    ("attributed", "Kata'ib Hezbollah", Attribution.ATTRIBUTED),
    ("claimed", IRI, Attribution.CLAIMED),
    ("suspected", "Harakat al-Nujaba", Attribution.SUSPECTED),
    ("named only", "Some group", Attribution.UNKNOWN),
    ("claimed by nobody named", None, Attribution.CLAIMED),
    ("nobody", None, Attribution.UNKNOWN),
]


def _migrate(target: str, request: pytest.FixtureRequest, revision: str, up: bool) -> None:
    """Migrate the log ``target`` as its owner would (on a server, the administrator: the
    tests' login is a lead, who may not alter tables), granting the roles again after."""
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


def test_migration_0008_turns_perpetrators_and_attributions_into_actors_without_loss(
    make_services: Callable[[str], Services], db_targets: Callable[[str], str],
    request: pytest.FixtureRequest,
) -> None:
    """A log of revision 0007 holding perpetrators and attributions (one in the trash):
    after 0008 each has the actors that say the same, the columns read back unchanged,
    the fingerprints are the same, and the audit log's replay finds nothing."""
    services = make_services("x")
    uids = {title: services.incidents.create(
        incident(title, perpetrator=name, attribution=how)).record.meta.uid
        for title, name, how in LEGACY}
    services.incidents.delete(uids["suspected"])  # type: ignore[arg-type]
    before = {title: services.incidents.get(uid) for title, uid in uids.items()}  # type: ignore[arg-type]
    prints = {title: fingerprint(record) for title, record in before.items()}
    _migrate(db_targets("x"), request, "0007", up=False)
    with services.database.read() as connection:
        tables = set(inspect(connection).get_table_names())
        assert "incident_actor" not in tables and "actor" not in tables
    _migrate(db_targets("x"), request, "head", up=True)
    after = {title: services.incidents.get(uid) for title, uid in uids.items()}  # type: ignore[arg-type]
    expected = {
        "attributed": (IncidentActor(ActorRole.PERPETRATOR, "Kata'ib Hezbollah",
                                     Attribution.ATTRIBUTED),),
        "claimed": (IncidentActor(ActorRole.CLAIMANT, IRI, Attribution.CLAIMED),),
        "suspected": (IncidentActor(ActorRole.PERPETRATOR, "Harakat al-Nujaba",
                                    Attribution.SUSPECTED),),
        "named only": (IncidentActor(ActorRole.PERPETRATOR, "Some group"),),
        "claimed by nobody named": (IncidentActor(ActorRole.CLAIMANT, None,
                                                  Attribution.CLAIMED),),
        "nobody": (),
    }
    for title, record in after.items():
        assert record.actors == expected[title], title
        assert (record.perpetrator, record.attribution) == (
            before[title].perpetrator, before[title].attribution), title
        assert fingerprint(record) == prints[title], title
    with services.database.read() as connection:
        assert "Some group" in dict(actor_vocabulary(connection))
    assert check_database(services.database) == []
    # and it is edited as any other incident afterwards
    edited = services.incidents.update(replace(after["claimed"], actors=assad_actors())).record
    assert edited.actors[1].attributed_by == "Pentagon"
    assert check_database(services.database) == []


# --- JSON ----------------------------------------------------------------------------------


def test_actors_round_trip_through_json(make_services: Callable[[str], Services],
                                        tmp_path: Path) -> None:
    services = make_services("x")
    stored = services.incidents.create(incident("al-Assad", actors=assad_actors())).record
    export_json(services, tmp_path / "out.json")
    record = orjson.loads((tmp_path / "out.json").read_bytes())["incidents"][0]
    assert record["actors"][1] == {"role": "perpetrator", "actor": MILITANTS,
                                   "attribution": "attributed", "attributed_by": "Pentagon",
                                   "source": SOURCE_UID}
    other = make_services("y")
    import_json(other, tmp_path / "out.json")
    assert other.incidents.get(stored.meta.uid).actors == stored.actors  # type: ignore[arg-type]
    assert check_database(other.database) == []
    # an edit here travels back as an update of the actors
    edited = other.incidents.update(replace(other.incidents.get(stored.meta.uid),  # type: ignore[arg-type]
                                            actors=stored.actors[:1])).record
    export_json(other, tmp_path / "back.json")
    report = import_json(services, tmp_path / "back.json")
    assert report.incidents.updated == 1
    assert services.incidents.get(stored.meta.uid).actors == edited.actors  # type: ignore[arg-type]
    assert check_database(services.database) == []


def test_a_file_of_the_former_layout_imports_into_actors(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    services = make_services("x")
    stored = services.incidents.create(
        incident("al-Assad", perpetrator=IRI, attribution=Attribution.CLAIMED)).record
    export_json(services, tmp_path / "out.json")
    document = orjson.loads((tmp_path / "out.json").read_bytes())
    for record in document["incidents"]:
        del record["actors"]  # what today's incidentlog writes
    (tmp_path / "old.json").write_bytes(orjson.dumps(document))
    other = make_services("y")
    import_json(other, tmp_path / "old.json")
    assert other.incidents.get(stored.meta.uid).actors == (  # type: ignore[arg-type]
        IncidentActor(ActorRole.CLAIMANT, IRI, Attribution.CLAIMED),)
    assert check_database(other.database) == []
    # the same file again changes nothing: the fingerprints agree
    assert import_json(other, tmp_path / "old.json").incidents.updated == 0


# --- CSV and ACLED -------------------------------------------------------------------------


def test_the_csv_export_has_a_readable_actors_column(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    services = make_services("x")
    services.incidents.create(incident("al-Assad", actors=assad_actors()))
    export_csv(services, tmp_path / "csv")
    with (tmp_path / "csv" / "incidents.csv").open(encoding="utf-8-sig", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["Actors"] == (f"claimant: {IRI}; perpetrator: {MILITANTS} (attributed by "
                             "Pentagon); target: U.S. forces")
    assert row["Perpetrator"] == IRI and row["Attribution"] == "claimed"


def test_acleds_associated_actors_come_in_as_actors_and_go_out_again(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    services = make_services("x")
    path = tmp_path / "acled.csv"
    row = dict.fromkeys(ACLED_COLUMNS, "")
    row.update({"event_id_cnty": "IRQ91001", "event_date": "2024-01-20", "year": "2024",
                "time_precision": "1", "event_type": "Explosions/Remote violence",
                "sub_event_type": "Shelling/artillery/missile attack",
                "actor1": IRI, "assoc_actor_1": "Kata'ib Hezbollah; Harakat al-Nujaba",
                "actor2": "Military Forces of the United States (2021-)",
                "assoc_actor_2": "Civilians (Iraq)", "country": "Iraq",
                "location": "Al Asad Airbase", "latitude": "33.7856", "longitude": "42.4412",
                "geo_precision": "1", "fatalities": "0"})
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ACLED_COLUMNS)
        writer.writeheader()
        writer.writerow(row)
    mapping = builtin_mapping("acled")
    assert mapping is not None
    import_table(services, path, mapping)
    [stored] = services.incident_query.page()
    assert [(a.role, a.actor, a.attribution) for a in stored.actors] == [
        (ActorRole.PERPETRATOR, IRI, Attribution.ATTRIBUTED),
        (ActorRole.PERPETRATOR, "Kata'ib Hezbollah", Attribution.ATTRIBUTED),
        (ActorRole.PERPETRATOR, "Harakat al-Nujaba", Attribution.ATTRIBUTED),
        (ActorRole.TARGET, "Military Forces of the United States (2021-)", Attribution.UNKNOWN),
        (ActorRole.TARGET, "Civilians (Iraq)", Attribution.UNKNOWN),
    ]
    export_acled(services, tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as handle:
        [out] = list(csv.DictReader(handle))
    for column in ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2"):
        assert out[column] == row[column], column


def test_the_briefing_names_the_actors_beyond_the_perpetrator(
    make_services: Callable[[str], Services], tmp_path: Path
) -> None:
    services = make_services("x")
    services.incidents.create(incident("al-Assad", actors=assad_actors()))
    services.incidents.create(incident("plain", perpetrator="Kata'ib Hezbollah"))
    export_html(services, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "attributed by Pentagon" in page and "target: U.S. forces" in page
    assert page.count("Actors") == 1  # the plain one says no more than its perpetrator


def test_the_cli_exports_the_incidents_of_an_actor_in_a_role(
    make_services: Callable[[str], Services], db_targets: Callable[[str], str],
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    from incidentlog import cli

    services = make_services("x")
    services.incidents.create(incident("al-Assad", actors=assad_actors()))
    services.incidents.create(incident("other", perpetrator="Kata'ib Hezbollah"))

    def titles(*options: str) -> set[str]:
        out = tmp_path / "out.json"
        assert cli.main(["export", "--db", db_targets("x"), "--format", "json", "--out",
                         str(out), *options]) == 0
        return {i["title"] for i in orjson.loads(out.read_bytes())["incidents"]}

    assert titles("--actor", "iri") == {"al-Assad"}
    assert titles("--actor", "U.S. forces", "--actor-role", "perpetrator") == set()
    assert titles("--actor", "U.S. forces", "--actor-role", "target") == {"al-Assad"}
    assert titles("--actor", "IRI", "--actor", "kata'ib hezbollah") == {"al-Assad", "other"}
    capsys.readouterr()


def test_a_save_that_keeps_the_actors_does_not_read_the_vocabulary(
    db_targets: Callable[[str], str],
) -> None:
    """Resolving names reads every actor and alias: a save of the other fields needs none
    of it (docs/performance.md, "save")."""
    from sqlalchemy import event

    with open_database(db_targets("x")) as database:
        services = Services(database, actor="tester")
        stored = services.incidents.create(incident("al-Assad", actors=assad_actors())).record
        statements: list[str] = []
        event.listen(database.engine, "before_cursor_execute",
                     lambda _c, _cur, statement, *_rest: statements.append(statement))
        services.incidents.update(replace(stored, title="Rocket attack on al-Assad"))
        assert not [s for s in statements if "FROM actor_alias" in s]
        statements.clear()
        edited = services.incidents.get(stored.meta.uid or "")
        actors = (*edited.actors, IncidentActor(ActorRole.TARGET, "Iraqi security forces"))
        saved = services.incidents.update(replace(edited, actors=actors)).record
        assert [s for s in statements if "FROM actor_alias" in s]  # new actors: resolved
        assert saved.actors[-1].actor == "Iraqi Security Forces"  # the vocabulary's name
