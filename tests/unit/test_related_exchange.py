"""Related incidents through JSON: export, import into another log, links to incidents that
are only in the log, and links to unknown incidents (reported, not fatal)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator

from incidentlog.domain.links import LinkKind
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.exchange import export_json, export_schema, import_json
from incidentlog.services import Services
from incidentlog.store.check import check_database
from incidentlog.store.database import Database, open_database

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

BASE = Incident(title="Drone attack on Tower 22", occurred=parse_local("2024-01-28", "Asia/Amman"),
                country="JO")


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


def fill(services: Services) -> tuple[str, str, str]:
    def add(title: str, day: str) -> str:
        incident = replace(BASE, title=title, occurred=parse_local(day, "Asia/Baghdad"))
        return services.incidents.create(incident).record.meta.uid or ""
    attack = add("Drone attack on Tower 22", "2024-01-28")
    strikes = add("US strikes in Iraq and Syria", "2024-02-02")
    campaign = add("Campaign against US forces", "2024-01-01")
    services.links.link(strikes, attack, LinkKind.RETALIATION_FOR, "as the Pentagon said")
    services.links.link(attack, campaign, LinkKind.PART_OF)
    return attack, strikes, campaign


def relations(services: Services) -> set[tuple[str, str, str, str | None]]:
    uids = [i.uid for i in services.incident_query.page(IncidentFilter(), limit=100)]
    return {(r.link.from_uid, r.link.kind.value, r.link.to_uid, r.link.note)
            for uid in uids for r in services.links.related(uid) if r.outgoing}


def test_related_links_round_trip_through_json(
        make_services: Callable[[str], Services], tmp_path: Path) -> None:
    ours = make_services("ours")
    attack, strikes, campaign = fill(ours)
    export_json(ours, tmp_path / "out.json")
    document = orjson.loads((tmp_path / "out.json").read_bytes())
    assert list(Draft202012Validator(export_schema()).iter_errors(document)) == []
    by_uid = {i["uid"]: i for i in document["incidents"]}
    assert by_uid[strikes]["links"] == [
        {"kind": "retaliation_for", "incident": attack, "note": "as the Pentagon said"}]
    assert by_uid[campaign]["links"] == []
    theirs = make_services("theirs")
    report = import_json(theirs, tmp_path / "out.json")
    assert report.related_added == 2 and report.warnings == []
    assert relations(theirs) == relations(ours) == {
        (strikes, "retaliation_for", attack, "as the Pentagon said"),
        (attack, "part_of", campaign, None)}
    # Importing again adds nothing, and the log checks clean (audit replay included).
    again = import_json(theirs, tmp_path / "out.json")
    assert again.related_added == 0 and not again.changed
    assert check_database(theirs.database) == []
    export_json(theirs, tmp_path / "back.json")
    back = orjson.loads((tmp_path / "back.json").read_bytes())
    assert [i["links"] for i in back["incidents"]] == [i["links"] for i in document["incidents"]]


def test_links_resolve_in_the_log_and_unknown_ones_are_reported(
        make_services: Callable[[str], Services], tmp_path: Path) -> None:
    ours = make_services("ours")
    attack, strikes, _ = fill(ours)
    export_json(ours, tmp_path / "all.json")
    document = orjson.loads((tmp_path / "all.json").read_bytes())
    theirs = make_services("theirs")
    import_json(theirs, tmp_path / "all.json")
    # A file with only the strikes, linked to the attack (here already) and to an unknown one.
    unknown = str(uuid.uuid4())
    [record] = [i for i in document["incidents"] if i["uid"] == strikes]
    record["links"] = [{"kind": "follow_up_of", "incident": attack, "note": None},
                       {"kind": "same_as", "incident": unknown}]
    document["incidents"] = [record]
    (tmp_path / "one.json").write_bytes(orjson.dumps(document))
    report = import_json(theirs, tmp_path / "one.json")
    assert report.related_added == 1
    [warning] = report.warnings
    assert unknown in warning and "neither in the file nor here" in warning
    assert (strikes, "follow_up_of", attack, None) in relations(theirs)
    assert check_database(theirs.database) == []


def test_files_without_links_still_import(
        make_services: Callable[[str], Services], tmp_path: Path) -> None:
    ours = make_services("ours")
    fill(ours)
    export_json(ours, tmp_path / "out.json")
    document = orjson.loads((tmp_path / "out.json").read_bytes())
    for record in document["incidents"]:
        del record["links"]  # as today's files are written
    (tmp_path / "old.json").write_bytes(orjson.dumps(document))
    theirs = make_services("theirs")
    report = import_json(theirs, tmp_path / "old.json")
    assert report.incidents.added == 3 and report.related_added == 0
    assert relations(theirs) == set()


def test_csv_has_a_readable_related_column_both_ways(
        make_services: Callable[[str], Services], tmp_path: Path) -> None:
    import csv

    from incidentlog.exchange import export_csv

    ours = make_services("ours")
    attack, strikes, campaign = fill(ours)
    ours.links.link(strikes, campaign, LinkKind.PART_OF)
    refs = {uid: ours.incidents.get(uid).ref for uid in (attack, strikes, campaign)}
    export_csv(ours, tmp_path / "out")
    with (tmp_path / "out" / "incidents.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["UID"]: row for row in csv.DictReader(handle)}
    assert rows[strikes]["Related"] == (
        f"retaliation for {refs[attack]}; part of {refs[campaign]}")
    assert rows[attack]["Related"] == f"part of {refs[campaign]}; answered by {refs[strikes]}"
    assert rows[campaign]["Related"] == f"includes {refs[attack]}; includes {refs[strikes]}"


def test_timelinejs_slides_say_the_related_incidents(
        make_services: Callable[[str], Services], tmp_path: Path) -> None:
    from incidentlog.exchange.briefing import export_timelinejs

    ours = make_services("ours")
    attack, strikes, campaign = fill(ours)
    refs = {uid: ours.incidents.get(uid).ref for uid in (attack, strikes, campaign)}
    export_timelinejs(ours, tmp_path / "timeline.json")
    document = orjson.loads((tmp_path / "timeline.json").read_bytes())
    texts = {event["unique_id"]: event["text"]["text"] for event in document["events"]}
    assert (f"<p><b>Related:</b> part of {refs[campaign]}; answered by {refs[strikes]}</p>"
            in texts[f"incident-{attack}"])
    assert f"retaliation for {refs[attack]}" in texts[f"incident-{strikes}"]
