"""The export's optional ``actors`` (the vocabulary) and ``merged`` (tombstones)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest

from incidentlog.domain.actors import ActorRole, IncidentActor
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.exchange import export_json, import_json
from incidentlog.exchange.json.check import validate_document
from incidentlog.services import Services
from incidentlog.store.check import check_database
from incidentlog.store.database import Database, open_database

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

FRONT = "Resistance Front"  # not in the vocabulary a new log starts with


@pytest.fixture
def make_services(db_targets: Callable[[str], str]) -> Iterator[Callable[[str], Services]]:
    opened: list[Database] = []

    def make(name: str) -> Services:
        database = open_database(db_targets(name))
        opened.append(database)
        return Services(database, actor="tester")

    yield make
    for database in opened:
        database.close()


def incident(title: str, day: str = "2024-01-20", *actors: IncidentActor) -> Incident:
    return Incident(title=title, occurred=parse_local(day, "Asia/Baghdad"), country="IQ",
                    actors=actors)


def aliases(services: Services, name: str) -> tuple[str, ...]:
    return dict(services.vocabulary.actors())[name]


def test_the_vocabulary_and_its_aliases_travel_through_json(
        make_services: Callable[[str], Services], tmp_path: Path) -> None:
    here = make_services("here")
    here.incidents.create(incident("Drone", "2024-01-20",
                                   IncidentActor(ActorRole.CLAIMANT, FRONT)))
    here.actors.add_alias(FRONT, "RF")
    here.actors.add_alias("Pentagon", "DoD press office")
    out = tmp_path / "out.json"
    export_json(here, out)
    validate_document(out)  # the schema declares them
    document = orjson.loads(out.read_bytes())
    assert {"name": FRONT, "aliases": ["RF"]} in document["actors"]
    assert "merged" not in document  # no merge: the file stays as lean as before

    there = make_services("there")
    there.actors.rename("U.S. forces", "US forces (CENTCOM)")
    there.incidents.create(incident("Other", "2024-01-21",
                                    IncidentActor(ActorRole.CLAIMANT, "Another front")))
    there.actors.add_alias("Another front", "DoD press office")  # taken here by another
    report = import_json(there, out)
    assert report.actors_added >= 2
    assert aliases(there, FRONT) == ("RF",)
    assert "DoD press office" not in aliases(there, "Pentagon")  # what is here stays
    assert any("DoD press office names Another front here" in w for w in report.warnings)
    assert "Actors' names and aliases added" in report.summary()
    assert check_database(there.database) == []
    again = import_json(there, out)
    assert again.actors_added == 0  # nothing new the second time


def test_an_incident_merged_in_the_file_is_merged_where_it_is_imported(
        make_services: Callable[[str], Services], tmp_path: Path) -> None:
    here = make_services("here")
    first = here.incidents.create(incident("Rockets at al-Assad")).record
    second = here.incidents.create(incident("Ballistic missiles hit al-Assad")).record
    third = here.incidents.create(incident("Drone at Erbil", "2024-02-01")).record
    export_json(here, tmp_path / "before.json")
    there = make_services("there")
    import_json(there, tmp_path / "before.json")

    here.merge.merge(second.meta.uid or "", first.meta.uid or "")
    out = tmp_path / "after.json"
    export_json(here, out)
    validate_document(out)
    document = orjson.loads(out.read_bytes())
    assert document["merged"] == [{"uid": first.meta.uid, "merged_into": second.meta.uid}]
    assert first.meta.uid not in {record["uid"] for record in document["incidents"]}

    dry = import_json(there, out, dry_run=True)
    assert dry.tombstones == [f"{first.ref}: would be merged into {second.ref}, as in the file"]
    assert there.incidents.get(first.meta.uid or "").meta.deleted_at is None
    report = import_json(there, out)
    assert report.tombstones == [f"{first.ref}: merged into {second.ref}, as in the file"]
    assert "Merged in the file into another incident: 1" in report.summary()
    merged = there.incidents.get(first.meta.uid or "")
    assert merged.meta.deleted_at is not None
    assert there.incident_query.history(first.meta.uid or "")[-1].action == "merge"
    assert third.meta.uid  # untouched
    assert check_database(there.database) == []
    assert import_json(there, out).tombstones == []  # merged already: its uid resolves


def test_a_tombstone_whose_survivor_is_not_exported_is_left_out_or_reported(
        make_services: Callable[[str], Services], tmp_path: Path) -> None:
    here = make_services("here")
    first = here.incidents.create(incident("Rockets at al-Assad")).record
    second = here.incidents.create(incident("Ballistic missiles hit al-Assad")).record
    there = make_services("there")
    export_json(here, tmp_path / "before.json")
    import_json(there, tmp_path / "before.json")
    here.merge.merge(second.meta.uid or "", first.meta.uid or "")
    there.incidents.delete(second.meta.uid or "")  # the survivor is in the trash there
    report = import_json(there, _written(here, tmp_path / "after.json"))
    assert report.tombstones == [
        f"{first.ref}: merged in the file into {second.meta.uid}, which is not here: "
        "left as it is"]
    assert there.incidents.get(first.meta.uid or "").meta.deleted_at is None


def _written(services: Services, path: Path) -> Path:
    export_json(services, path)
    return path
