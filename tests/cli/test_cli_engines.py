"""The command line's database commands on both engines: a log file and a server log.

tests/cli/test_cli.py holds the rest of what each command does on a file (its
bytes, its backups folder, a damaged file); here each command runs once on a
file and once on a log on the test PostgreSQL server (tests/conftest.py,
``both_engines``), and is checked through the data layer, not the file.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from incidentlog import cli
from incidentlog.domain.enums import Status
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.services import Services
from incidentlog.store.database import open_database
from tests.pg import PgServer

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

Run = Callable[..., tuple[int, str, str]]
Targets = Callable[[str], str]
#: What ``incidentlog demo`` loads (resources/demo/demo.json).
DEMO_INCIDENTS = 5


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """``run("export", "--db", target, ...)`` → (exit status, stdout, stderr)."""

    def _run(*argv: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run


@pytest.fixture
def demo(run: Run, db_target: str) -> str:
    """The test's log with the demo data in it."""
    code, out, err = run("demo", "--db", db_target)
    assert code == 0, err
    assert f"{DEMO_INCIDENTS} new incidents" in out
    return db_target


def counts(target: str) -> dict[str, int]:
    """Rows of the record tables, the trash and the audit log included."""
    with open_database(target, read_only=True) as database, database.read() as connection:
        return {table: int(connection.exec_driver_sql(f"SELECT count(*) FROM {table}")
                           .scalar_one())
                for table in ("incident", "source", "quote", "audit_log")}


def exported(run: Run, target: str, out: Path) -> dict[str, object]:
    """The JSON export of ``target``, the time of export left out."""
    code, _, err = run("export", "--db", target, "--format", "json", "--out", out)
    assert code == 0, err
    document = json.loads(out.read_text(encoding="utf-8"))
    document.pop("exported_at", None)
    return dict(document)


def test_init_makes_a_log_that_checks_ok(run: Run, db_engine: str, tmp_path: Path,
                                         request: pytest.FixtureRequest) -> None:
    if db_engine == "sqlite":
        target = str(tmp_path / "new.sqlite3")
    else:  # an empty database: init gives it the schema and the roles
        server: PgServer = request.getfixturevalue("pg_server")
        target = server.url(server.empty_database())
    code, _, err = run("init", "--db", target)
    assert (code, err) == (0, "")
    assert run("check", "--db", target) == (0, "ok\n", "")
    assert counts(target) == {"incident": 0, "source": 0, "quote": 0, "audit_log": 0}
    assert run("init", "--db", target)[0] == 0  # again: it opens, nothing changes


def test_demo_then_check_then_demo_again_changes_nothing(run: Run, demo: str) -> None:
    before = counts(demo)
    assert before["incident"] == DEMO_INCIDENTS and before["audit_log"] > 0
    assert run("check", "--db", demo) == (0, "ok\n", "")
    code, out, _ = run("demo", "--db", demo)
    assert code == 0 and "nothing changed" in out
    assert counts(demo) == before


def test_export_then_import_into_a_new_log_gives_the_same_export(
        run: Run, demo: str, db_targets: Targets, tmp_path: Path) -> None:
    first = exported(run, demo, tmp_path / "first.json")
    target = db_targets("other")
    code, out, err = run("import", tmp_path / "first.json", "--db", target)
    assert (code, err) == (0, "")
    assert f"Incidents: {DEMO_INCIDENTS} added" in out
    assert exported(run, target, tmp_path / "second.json") == first
    code, out, _ = run("import", tmp_path / "first.json", "--db", target)
    assert code == 0
    assert f"Incidents: 0 added, 0 updated, {DEMO_INCIDENTS} unchanged" in out
    assert counts(target)["incident"] == DEMO_INCIDENTS


def test_import_dry_run_writes_nothing(run: Run, demo: str, db_targets: Targets,
                                       tmp_path: Path) -> None:
    exported(run, demo, tmp_path / "export.json")
    target = db_targets("other")
    assert run("init", "--db", target)[0] == 0
    before = counts(target)
    code, out, err = run("import", tmp_path / "export.json", "--db", target, "--dry-run")
    assert (code, err) == (0, "")
    assert "Dry run, nothing was written." in out
    assert f"Incidents: {DEMO_INCIDENTS} added" in out
    assert counts(target) == before


def _retitle(target: str, uid: str, actor: str, title: str) -> None:
    with open_database(target) as database:
        services = Services(database, actor=actor)
        services.incidents.update(dataclasses.replace(services.incidents.get(uid), title=title))


def test_import_keeps_the_version_here_when_both_sides_changed(
        run: Run, demo: str, db_targets: Targets, tmp_path: Path) -> None:
    exported(run, demo, tmp_path / "export.json")
    target = db_targets("other")
    assert run("import", tmp_path / "export.json", "--db", target)[0] == 0
    with open_database(target, read_only=True) as database:
        uid = Services(database).incident_query.page(limit=1)[0].uid or ""
    _retitle(target, uid, "ours", "Edited here")
    _retitle(demo, uid, "theirs", "Edited there")
    exported(run, demo, tmp_path / "again.json")
    code, out, err = run("import", tmp_path / "again.json", "--db", target)
    assert (code, err) == (0, "")
    assert "Conflicts (kept as they are here): 1" in out
    with open_database(target, read_only=True) as database:
        assert Services(database).incidents.get(uid).title == "Edited here"


def test_export_csv_and_a_filtered_json(run: Run, demo: str, tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    code, _, err = run("export", "--db", demo, "--format", "csv", "--out", folder)
    assert (code, err) == (0, "")
    with (folder / "incidents.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == DEMO_INCIDENTS
    out = tmp_path / "iq.json"
    code, _, err = run("export", "--db", demo, "--format", "json", "--out", out,
                       "--country", "IQ")
    assert (code, err) == (0, "")
    incidents = json.loads(out.read_text(encoding="utf-8"))["incidents"]
    assert incidents and {incident["country"] for incident in incidents} == {"IQ"}
    assert len(incidents) < DEMO_INCIDENTS


def test_backup_into_a_folder_is_a_log_file_with_every_record(
        run: Run, demo: str, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    code, _, err = run("backup", "--db", demo, "--out", folder)
    assert (code, err) == (0, "")
    [copy] = list(folder.glob("*.sqlite3"))
    assert counts(str(copy)) == counts(demo)
    assert run("check", "--db", copy) == (0, "ok\n", "")


def test_copy_to_a_new_log_and_back_to_a_file(
        run: Run, demo: str, db_targets: Targets, tmp_path: Path) -> None:
    target = db_targets("copy")
    code, out, err = run("copy", "--from", demo, "--to", target)
    assert (code, err) == (0, "")
    assert "verified" in out
    back = tmp_path / "back.sqlite3"
    assert run("copy", "--from", target, "--to", back)[0] == 0
    assert counts(str(back)) == counts(demo)
    assert exported(run, str(back), tmp_path / "back.json") == \
        exported(run, demo, tmp_path / "demo.json")
    code, _, err = run("copy", "--from", demo, "--to", target)  # not into a log with records
    assert code == 1 and "already holds records" in err
    assert counts(target) == counts(demo)


def test_review_queue_and_a_verdict(run: Run, db_target: str) -> None:
    with open_database(db_target) as database:
        desk = Services(database, actor="desk")
        uid = desk.incidents.create(Incident(
            title="Rocket attack", occurred=parse_local("2024-01-18", "Asia/Baghdad"),
            country="IQ")).record.uid or ""
        desk.incidents.set_status(uid, Status.IN_REVIEW)
    code, out, err = run("review", "list", "--db", db_target)
    assert (code, err) == (0, "")
    assert "1 incident waiting for review." in out
    ref = out.splitlines()[0].split("\t")[0]
    code, _, err = run("review", "verify", ref, "--reason", "matches the video",
                       "--db", db_target)
    assert (code, err) == (0, "")
    with open_database(db_target, read_only=True) as database:
        assert Services(database).incidents.get(uid).status is Status.VERIFIED
