"""``check`` replays the audit log: a record changed around incidentlog is reported.

An ``UPDATE`` made with the sqlite3 shell needs no trigger dropped and leaves
the hash chain intact; only comparing the records with what their audit
entries say they hold shows it. Every legitimate way of writing (the forms'
services, imports, trash and purge) must still pass.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

from incidentlog import cli
from incidentlog.domain.records import Period, Quote, Source
from incidentlog.domain.when import parse_local
from incidentlog.exchange import export_json, import_json
from incidentlog.services import Services
from incidentlog.store.check import check_database
from incidentlog.store.database import open_database
from tests.reliability.child import incident


def problems_of(path: Path) -> list[str]:
    with open_database(path, read_only=True) as database:
        return check_database(database)


def shell(path: Path, statement: str, *parameters: object) -> None:
    """What anyone with the sqlite3 shell can do: no trigger stands in the way."""
    connection = sqlite3.connect(path)
    try:
        connection.execute(statement, parameters)
        connection.commit()
    finally:
        connection.close()


@pytest.fixture
def log(db_path: Path) -> dict[str, str]:
    """A log written every legitimate way: created, edited, trashed, restored, purged."""
    with open_database(db_path) as database:
        services = Services(database, actor="tester")
        first = services.incidents.create(incident(1, "tester")).record
        second = services.incidents.create(incident(2, "tester")).record
        edited = services.incidents.update(
            replace(first, title="Edited title", summary=None, tags=("a", "b"))
        ).record
        source = services.sources.create(Source(title="A report", url="https://example.org/r"))
        services.incidents.link_source(edited.meta.uid, source.record.meta.uid, "p. 3")
        quote = services.quotes.create(
            Quote(text="We saw it.", speaker="A witness", incident_uid=second.meta.uid,
                  source_uid=source.record.meta.uid)
        ).record
        services.quotes.update(replace(quote, speaker="Another witness"))
        services.incidents.delete(second.meta.uid)
        services.incidents.restore(second.meta.uid)
        gone = services.incidents.create(incident(3, "tester")).record
        services.incidents.delete(gone.meta.uid)
        services.incidents.purge(gone.meta.uid)
        services.periods.create(
            Period(name="Escalation", start=parse_local("2024-01-01", "UTC"),
                   end=parse_local("2024-02-01", "UTC"))
        )
        return {"incident": edited.meta.uid, "ref": edited.ref or "",
                "source": source.record.meta.uid, "quote": quote.meta.uid,
                "second": second.meta.uid}


def test_every_legitimate_write_passes_the_replay(db_path: Path, log: dict[str, str]) -> None:
    assert problems_of(db_path) == []


def test_an_update_made_with_the_sqlite3_shell_fails_check(
    db_path: Path, log: dict[str, str]
) -> None:
    shell(db_path, "UPDATE incident SET title = 'Forged title' WHERE uid = ?", log["incident"])
    problems = problems_of(db_path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"incident {log['ref']} (uid {log['incident']}): title: ")
    assert "'Forged title'" in problems[0] and "'Edited title'" in problems[0]


@pytest.mark.parametrize(
    ("statement", "kind", "field"),
    [
        ("UPDATE source SET url = 'https://forged.example/' WHERE uid = :source", "source", "url"),
        ("UPDATE quote SET text = 'Never said.' WHERE uid = :quote", "quote", "text"),
        ("UPDATE quote SET incident_id = NULL WHERE uid = :quote", "quote", "incident"),
        ("UPDATE incident SET launched = 12 WHERE uid = :incident", "incident", "launched"),
        ("UPDATE incident SET summary = 'Added.' WHERE uid = :incident", "incident", "summary"),
        ("UPDATE incident SET deleted_at = '2024-05-01T00:00:00Z' WHERE uid = :second",
         "incident", "deleted_at"),
        ("DELETE FROM incident_tag WHERE tag = 'a'", "incident", "tags"),
        ("UPDATE period SET name = 'Calm' WHERE 1", "period", "name"),
    ],
)
def test_each_kind_and_field_changed_in_the_shell_is_named(
    db_path: Path, log: dict[str, str], statement: str, kind: str, field: str
) -> None:
    connection = sqlite3.connect(db_path)
    try:
        connection.execute(statement, log)
        connection.commit()
    finally:
        connection.close()
    problems = problems_of(db_path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{kind} ") and f": {field}: " in problems[0], problems


def test_a_record_deleted_in_the_shell_is_reported(db_path: Path, log: dict[str, str]) -> None:
    shell(db_path, "DELETE FROM quote WHERE uid = ?", log["quote"])
    problems = problems_of(db_path)
    assert len(problems) == 1 and "is in the audit log but not in the database" in problems[0]


def test_the_cli_check_names_the_record_and_field(
    db_path: Path, log: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    shell(db_path, "UPDATE incident SET title = 'Forged title' WHERE uid = ?", log["incident"])
    assert cli.main(["check", "--db", str(db_path)]) == 1
    out = capsys.readouterr().out
    assert f"incident {log['ref']} (uid {log['incident']}): title: " in out


def test_imports_and_reimports_pass_the_replay(tmp_path: Path) -> None:
    demo = resources.files("incidentlog.resources").joinpath("demo", "demo.json")
    first, second = tmp_path / "first.sqlite3", tmp_path / "second.sqlite3"
    with resources.as_file(demo) as demo_file, open_database(first) as database:
        import_json(Services(database), demo_file)
        services = Services(database, actor="desk")
        some = services.incidents.get(first_incident_uid(first))
        services.incidents.update(replace(some, title="Changed here"))
        export_json(services, tmp_path / "out.json")
    with open_database(second) as database:
        import_json(Services(database), tmp_path / "out.json")
        import_json(Services(database), tmp_path / "out.json")  # unchanged the second time
    with resources.as_file(demo) as demo_file, open_database(second) as database:
        import_json(Services(database), demo_file)  # older: conflicts, nothing replaced
    assert problems_of(first) == [] and problems_of(second) == []


def first_incident_uid(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return str(connection.execute("SELECT uid FROM incident ORDER BY id").fetchone()[0])
    finally:
        connection.close()
