"""The command line: every command, its output, its exit status and its errors.

Most tests call ``main([...])`` in-process (fast, and capsys sees the output);
a few run ``python -m incidentlog`` for real, to prove the entry point, the
exit status and that an error is one line without a traceback.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from incidentlog import __version__, cli
from incidentlog.domain.enums import Status
from incidentlog.domain.records import Count, Incident, Quote, Source
from incidentlog.domain.when import parse_local
from incidentlog.paths import DATA_DIR_VARIABLE, default_database_path
from incidentlog.services import Services
from incidentlog.store.check import MAX_RECORD_PROBLEMS, check_database
from incidentlog.store.database import open_database

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """``run("export", "--db", path, ...)`` → (exit status, stdout, stderr)."""

    def _run(*argv: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()  # drop anything printed before
        code = cli.main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run


# --- a small log with known answers ---------------------------------------------------
#
# ref            country  when (local)          precision  type                status
# IQ-2024-0001   IQ       2024-01-20 18:30 Bagh  minute     ballistic missile   verified
# JO-2024-0001   JO       2024-01-28            day        drone attack        in review
# IQ-2024-0002   IQ       2024-02               month      drone attack        draft
# SY-2023-0001   SY       2023-12-25            day        IED                 disputed

INCIDENTS = (
    Incident(
        title="Iranian-backed militants attack al-Assad Airbase",
        occurred=parse_local("~2024-01-20 18:30", "Asia/Baghdad"),
        place="al-Assad Airbase",
        country="IQ",
        event_type="ballistic missile attack",
        launched=17,
        intercepted=15,
        injured=Count.at_least(4),
        status=Status.VERIFIED,
    ),
    Incident(
        title="Drone attack on Tower 22",
        occurred=parse_local("2024-01-28", "Asia/Amman"),
        place="Tower 22",
        country="JO",
        event_type="drone attack",
        killed=Count.exact(3),
        status=Status.IN_REVIEW,
    ),
    Incident(
        title="Drones over Erbil",
        occurred=parse_local("2024-02", "Asia/Baghdad"),
        place="Erbil",
        country="IQ",
        event_type="drone attack",
        status=Status.DRAFT,
    ),
    Incident(
        title="Roadside bomb near Deir ez-Zor",
        occurred=parse_local("2023-12-25", "Asia/Damascus"),
        place="Deir ez-Zor",
        country="SY",
        event_type="IED",
        status=Status.DISPUTED,
    ),
)


def populate(path: Path) -> dict[str, str]:
    """Write the four incidents (one citing a source, one quoted); return ref → uid."""
    refs: dict[str, str] = {}
    with open_database(path) as database:
        services = Services(database, actor="tester")
        for incident in INCIDENTS:
            stored = services.incidents.create(incident).record
            assert stored.ref and stored.uid
            refs[stored.ref] = stored.uid
        source = services.sources.create(
            Source(title="CENTCOM statement", url="https://www.centcom.mil/MEDIA/STATEMENTS/1")
        ).record
        assert source.uid
        services.incidents.link_source(refs["IQ-2024-0001"], source.uid, "the attack")
        services.quotes.create(
            Quote(
                text="We will respond at a time and place of our choosing.",
                speaker="Lloyd Austin",
                incident_uid=refs["JO-2024-0001"],
            )
        )
    return refs


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "log.sqlite3"
    populate(path)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_counts(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("incident", "source", "quote", "audit_log")
        }
    finally:
        connection.close()


def incident_uids(path: Path) -> set[str]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {row[0] for row in connection.execute("SELECT uid FROM incident")}
    finally:
        connection.close()


def json_refs(path: Path) -> set[str]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return {incident["ref"] for incident in document["incidents"]}


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def not_a_database(tmp_path: Path) -> Path:
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"Meeting notes, not a database.\n" * 20)
    return path


# --- version, help, the default path ------------------------------------------------------


def test_version(run: Run) -> None:
    code, out, err = run("--version")
    assert code == 0
    assert out.strip() == f"incidentlog {__version__}"
    assert err == ""


def test_help_lists_every_command_and_the_default_database(run: Run) -> None:
    code, out, _ = run("--help")
    assert code == 0
    for command in ("init", "demo", "import", "export", "check", "backup"):
        assert command in out
    assert DATA_DIR_VARIABLE in out


def test_default_database_path_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path / "portable"))
    assert default_database_path() == tmp_path / "portable" / "incidentlog.sqlite3"


def test_default_database_path_without_the_variable_is_the_user_data_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from platformdirs import user_data_path

    monkeypatch.delenv(DATA_DIR_VARIABLE, raising=False)
    expected = user_data_path("incidentlog", appauthor=False) / "incidentlog.sqlite3"
    assert default_database_path() == expected  # only computed, never created


# --- init ------------------------------------------------------------------------------------


def test_init_creates_the_database(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "log.sqlite3"
    code, out, err = run("init", "--db", path)
    assert (code, err) == (0, "")
    assert out.count("\n") == 1
    assert "Created" in out and str(path) in out
    with open_database(path, read_only=True) as database:
        assert Services(database).incident_query.count() == 0

    code, out, _ = run("init", "--db", path)
    assert code == 0
    assert "already exists" in out


def test_init_uses_the_default_path(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path / "data"))
    code, out, _ = run("init")
    assert code == 0
    assert (tmp_path / "data" / "incidentlog.sqlite3").is_file()
    assert str(tmp_path / "data" / "incidentlog.sqlite3") in out


def test_db_may_come_before_the_command(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    assert run("--db", path, "init")[0] == 0
    assert path.is_file()


def test_init_refuses_a_file_that_is_not_a_database(run: Run, not_a_database: Path) -> None:
    before = sha256(not_a_database)
    code, out, err = run("init", "--db", not_a_database)
    assert code == 1 and out == ""
    assert err.startswith("incidentlog: ") and err.count("\n") == 1
    assert "not an incidentlog database" in err
    assert sha256(not_a_database) == before


def test_read_only_is_refused_for_a_command_that_writes(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    code, _, err = run("--read-only", "init", "--db", path)
    assert code == 2
    assert "--read-only" in err and err.count("\n") == 1
    assert not path.exists()


# --- demo --------------------------------------------------------------------------------------


def test_demo_loads_then_changes_nothing_the_second_time(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite3"
    code, out, err = run("demo", "--db", path)
    assert (code, err) == (0, "")
    assert "Loaded the demo data set" in out and out.count("\n") == 1
    first = table_counts(path)
    assert first["incident"] > 0 and first["source"] > 0 and first["quote"] > 0

    code, out, _ = run("demo", "--db", path)
    assert code == 0
    assert "nothing changed" in out
    assert table_counts(path) == first

    assert run("check", "--db", path)[:2] == (0, "ok\n")


def test_demo_into_the_default_database(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path / "data"))
    assert run("demo")[0] == 0
    assert table_counts(tmp_path / "data" / "incidentlog.sqlite3")["incident"] > 0


# --- export ------------------------------------------------------------------------------------


def test_export_json_everything(run: Run, log: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "all.json"
    code, out, err = run("export", "--db", log, "--format", "json", "--out", out_file)
    assert (code, err) == (0, "")
    assert out == f"Exported 4 incidents, 1 source and 1 quote to {out_file}.\n"
    document = json.loads(out_file.read_text(encoding="utf-8"))
    assert document["format"] == "incidentlog"
    assert len(document["incidents"]) == 4
    assert len(document["sources"]) == 1
    assert len(document["quotes"]) == 1


def test_export_json_into_a_missing_folder(run: Run, log: Path, tmp_path: Path) -> None:
    # The folder is created, as for a CSV export (docs/cli.md).
    out_file = tmp_path / "no-such-folder" / "all.json"
    code, out, err = run("export", "--db", log, "--format", "json", "--out", out_file)
    assert (code, err) == (0, "")
    assert out == f"Exported 4 incidents, 1 source and 1 quote to {out_file}.\n"
    assert json.loads(out_file.read_text(encoding="utf-8"))["format"] == "incidentlog"


def test_export_csv_writes_three_files_in_a_folder(run: Run, log: Path, tmp_path: Path) -> None:
    folder = tmp_path / "new" / "csv"  # created for the three files
    code, out, _ = run("export", "--db", log, "--format", "csv", "--out", folder)
    assert code == 0
    assert "Exported 4 incidents, 1 source and 1 quote" in out
    assert len(csv_rows(folder / "incidents.csv")) == 4
    assert len(csv_rows(folder / "sources.csv")) == 1
    assert len(csv_rows(folder / "quotes.csv")) == 1


FILTERS = [
    pytest.param(["--search", "Tower"], {"JO-2024-0001"}, id="search"),
    pytest.param(["--search", "drone"], {"JO-2024-0001", "IQ-2024-0002"}, id="search-words"),
    # --since is the start of the day; the February incident is a whole month.
    pytest.param(["--since", "2024-01-28"], {"JO-2024-0001", "IQ-2024-0002"}, id="since-day"),
    # --until is the END of the day: 20 January itself is included.
    pytest.param(["--until", "2024-01-20"], {"IQ-2024-0001", "SY-2023-0001"}, id="until-day"),
    pytest.param(["--until", "2023"], {"SY-2023-0001"}, id="until-year"),
    pytest.param(
        ["--since", "2024-01-02", "--until", "2024-01-30"],
        {"IQ-2024-0001", "JO-2024-0001"},
        id="days",
    ),
    # The dates are UTC: Baghdad's February begins at 21:00 UTC on 31 January,
    # so "February 2024 in Baghdad" overlaps January in UTC.
    pytest.param(
        ["--since", "2024-01", "--until", "2024-01"],
        {"IQ-2024-0001", "JO-2024-0001", "IQ-2024-0002"},
        id="month-utc",
    ),
    pytest.param(
        ["--since", "2024-01-20 15:30", "--until", "2024-01-20 15:30"],
        {"IQ-2024-0001"},
        id="minute-utc",
    ),
    pytest.param(["--country", "IQ"], {"IQ-2024-0001", "IQ-2024-0002"}, id="country-code"),
    pytest.param(["--country", "jordan"], {"JO-2024-0001"}, id="country-name"),
    pytest.param(
        ["--country", "Syria", "--country", "JOR"], {"SY-2023-0001", "JO-2024-0001"}, id="countries"
    ),
    pytest.param(["--status", "verified"], {"IQ-2024-0001"}, id="status"),
    pytest.param(["--status", "in review"], {"JO-2024-0001"}, id="status-label"),
    pytest.param(
        ["--status", "draft", "--status", "DISPUTED"],
        {"IQ-2024-0002", "SY-2023-0001"},
        id="statuses",
    ),
    pytest.param(["--type", "drone attack"], {"JO-2024-0001", "IQ-2024-0002"}, id="type"),
    pytest.param(
        ["--type", "ied", "--type", "Ballistic Missile Attack"],
        {"SY-2023-0001", "IQ-2024-0001"},
        id="types-any-case",
    ),
    pytest.param(
        ["--country", "IQ", "--type", "drone attack", "--since", "2024"],
        {"IQ-2024-0002"},
        id="combined",
    ),
]


@pytest.mark.parametrize(("options", "expected"), FILTERS)
def test_export_json_filters(
    run: Run, log: Path, tmp_path: Path, options: list[str], expected: set[str]
) -> None:
    out_file = tmp_path / "filtered.json"
    code, out, err = run("export", "--db", log, "--format", "json", "--out", out_file, *options)
    assert (code, err) == (0, "")
    assert json_refs(out_file) == expected
    noun = "incident" if len(expected) == 1 else "incidents"
    assert out.startswith(f"Exported {len(expected)} {noun},")


CSV_FILTERS = [
    param
    for param in FILTERS
    if param.id in {"search", "since-day", "until-day", "country-name", "statuses", "type"}
]


@pytest.mark.parametrize(("options", "expected"), CSV_FILTERS)
def test_export_csv_filters(
    run: Run, log: Path, tmp_path: Path, options: list[str], expected: set[str]
) -> None:
    folder = tmp_path / "filtered"
    code, _, _ = run("export", "--db", log, "--format", "csv", "--out", folder, *options)
    assert code == 0
    rows = csv_rows(folder / "incidents.csv")
    assert len(rows) == len(expected)
    assert {cell for row in rows for cell in row.values()} >= expected  # refs appear as cells


def test_export_of_an_unused_type_is_empty_and_says_why(
    run: Run, log: Path, tmp_path: Path
) -> None:
    out_file = tmp_path / "none.json"
    code, out, err = run(
        "export", "--db", log, "--format", "json", "--out", out_file, "--type", "rocket atack"
    )
    assert code == 0
    assert out.startswith("Exported 0 incidents")
    assert "no incident has the event type 'rocket atack'" in err


def test_export_never_replaces_a_database(run: Run, log: Path) -> None:
    before = sha256(log)
    code, _, err = run("export", "--db", log, "--format", "json", "--out", log)
    assert code == 1
    assert "an export never replaces one" in err
    assert sha256(log) == before


def test_export_does_not_change_the_database(run: Run, log: Path, tmp_path: Path) -> None:
    before = sha256(log)
    assert run("export", "--db", log, "--format", "json", "--out", tmp_path / "x.json")[0] == 0
    assert sha256(log) == before


# --- import ------------------------------------------------------------------------------------


@pytest.fixture
def export_file(run: Run, log: Path, tmp_path: Path) -> Path:
    out_file = tmp_path / "export.json"
    assert run("export", "--db", log, "--format", "json", "--out", out_file)[0] == 0
    return out_file


def test_import_into_an_empty_database(
    run: Run, log: Path, export_file: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target.sqlite3"
    assert run("init", "--db", target)[0] == 0
    code, out, err = run("import", export_file, "--db", target)
    assert (code, err) == (0, "")
    assert "Incidents: 4 added" in out  # the import report's summary
    assert incident_uids(target) == incident_uids(log)
    assert table_counts(target)["source"] == 1
    assert table_counts(target)["quote"] == 1
    # Merging the same file again duplicates nothing.
    code, out, _ = run("import", export_file, "--db", target)
    assert code == 0
    assert "Incidents: 0 added, 0 updated, 4 unchanged" in out
    assert incident_uids(target) == incident_uids(log)
    assert table_counts(target)["incident"] == 4
    # The import that changed the log was preceded by a verified backup of the log as it
    # was (empty); the one that changed nothing made none, so it rotated none out.
    backups = sorted((tmp_path / "target-backups").glob("target-*-pre-import.sqlite3"))
    assert len(backups) == 1
    assert incident_uids(backups[0]) == set()


def _retitle(path: Path, actor: str, title: str) -> str:
    """Edit the first incident of the log at ``path``, as ``actor``; its uid."""
    with open_database(path) as database:
        services = Services(database, actor=actor)
        uid = sorted(incident_uids(path))[0]
        current = services.incidents.get(uid)
        services.incidents.update(dataclasses.replace(current, title=title))
        return uid


def test_import_reports_a_conflict_with_both_versions_and_a_clock_ahead(
    run: Run, log: Path, export_file: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target.sqlite3"
    assert run("init", "--db", target)[0] == 0
    assert run("import", export_file, "--db", target)[0] == 0
    uid = _retitle(target, "ours", "Edited here")
    _retitle(log, "theirs", "Edited there")
    _retitle(log, "theirs", "Edited there again")
    again = tmp_path / "again.json"
    assert run("export", "--db", log, "--format", "json", "--out", again)[0] == 0
    document = json.loads(again.read_text())
    for record in document["incidents"]:
        record["updated_at"] = "2999-01-01T00:00:00Z"
    again.write_text(json.dumps(document))
    code, out, err = run("import", again, "--db", target)
    assert (code, err) == (0, "")
    assert "Conflicts (kept as they are here): 1" in out
    conflict = next(line for line in out.splitlines() if uid in line and "Here:" in line)
    assert "by ours" in conflict and "File: version 3" in conflict and "by theirs" in conflict
    assert "Warnings: 4" in out and "2999-01-01T00:00:00Z" in out
    with open_database(target) as database:
        assert Services(database).incidents.get(uid).title == "Edited here"


def test_import_dry_run_writes_nothing(run: Run, export_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "target.sqlite3"
    assert run("init", "--db", target)[0] == 0
    before = sha256(target)
    code, out, err = run("import", export_file, "--db", target, "--dry-run")
    assert (code, err) == (0, "")
    assert "Dry run, nothing was written." in out
    assert "Incidents: 4 added" in out  # what it would have done
    assert sha256(target) == before
    assert table_counts(target)["incident"] == 0


def test_import_of_a_missing_file(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "target.sqlite3"
    code, out, err = run("import", tmp_path / "nowhere.json", "--db", target)
    assert code == 1 and out == ""
    assert err.startswith("incidentlog: ") and "does not exist" in err
    assert err.count("\n") == 1
    assert not target.exists()


def test_import_of_a_broken_file_says_where_and_writes_nothing(
    run: Run, log: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "incidentlog", "version": 1, "incidents": [', encoding="utf-8")
    before = table_counts(log)
    code, out, err = run("import", broken, "--db", log)
    assert code == 1 and out == ""
    assert err.startswith("incidentlog: ") and err.count("\n") == 1
    assert "Traceback" not in err
    assert table_counts(log) == before


def test_import_refuses_a_file_that_is_not_a_database(
    run: Run, not_a_database: Path, export_file: Path
) -> None:
    before = sha256(not_a_database)
    code, _, err = run("import", export_file, "--db", not_a_database)
    assert code == 1 and "not an incidentlog database" in err
    assert sha256(not_a_database) == before


# --- check -------------------------------------------------------------------------------------


def test_check_ok(run: Run, log: Path) -> None:
    before = sha256(log)
    assert run("check", "--db", log) == (0, "ok\n", "")
    assert sha256(log) == before


def test_check_on_the_default_database(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path / "data"))
    code, _, err = run("check")
    assert code == 1 and "There is no database" in err
    assert not (tmp_path / "data").exists()  # check never creates anything
    assert run("init")[0] == 0
    assert run("check")[:2] == (0, "ok\n")


def tamper_with_the_audit_log(path: Path) -> None:
    """What another program could do: drop the guard trigger and rewrite history."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("DROP TRIGGER audit_log_no_update")
        connection.execute("UPDATE audit_log SET actor = 'someone else' WHERE id = 2")
        connection.commit()
    finally:
        connection.close()


def test_check_reports_a_broken_audit_chain(run: Run, log: Path) -> None:
    tamper_with_the_audit_log(log)
    code, out, err = run("check", "--db", log)
    assert code == 1
    assert "audit log entry 2: its content was altered" in out
    assert "ok" not in out.splitlines()
    assert err.startswith("incidentlog: ") and "problems" in err


def test_check_reports_audit_entries_removed_since_the_last_backup(run: Run, log: Path) -> None:
    """The chain cannot show that its newest entries were removed; the head that the
    last backup recorded beside the backups can."""
    assert run("backup", "--db", log)[0] == 0
    assert (log.parent / "log-backups" / "log.audit-anchor.json").is_file()
    connection = sqlite3.connect(log)
    try:
        connection.execute("DROP TRIGGER audit_log_no_delete")
        connection.execute("DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)")
        connection.commit()
    finally:
        connection.close()
    code, out, err = run("check", "--db", log)
    assert code == 1
    [line] = out.splitlines()
    assert line.startswith("audit log: the backup of ") and "removed or rewritten" in line
    assert err.startswith("incidentlog: ") and "problems" in err


def test_check_reports_records_that_break_the_rules(run: Run, log: Path) -> None:
    connection = sqlite3.connect(log)
    try:
        # Around the CHECK constraints, as an old version or another tool might have.
        connection.execute("PRAGMA ignore_check_constraints = ON")
        connection.execute("UPDATE incident SET intercepted = 20 WHERE ref = 'IQ-2024-0001'")
        connection.execute("UPDATE incident SET country = 'ZZ' WHERE ref = 'SY-2023-0001'")
        connection.commit()
    finally:
        connection.close()
    code, out, _ = run("check", "--db", log)
    assert code == 1
    lines = out.splitlines()
    assert any(
        line.startswith("incident IQ-2024-0001 (uid ") and "intercepted: 20 intercepted" in line
        for line in lines
    )
    assert any("SY-2023-0001" in line and "country:" in line for line in lines)


def test_check_reports_a_damaged_full_text_index(run: Run, log: Path) -> None:
    connection = sqlite3.connect(log)
    try:
        connection.execute("INSERT INTO incident_fts(rowid, title) VALUES (999, 'ghost')")
        connection.commit()
    finally:
        connection.close()
    before = sha256(log)
    code, out, _ = run("check", "--db", log)
    assert code == 1
    assert "full-text index" in out
    assert sha256(log) == before  # checked on a copy, the file itself is not written


def test_check_caps_the_list_of_record_problems(tmp_path: Path) -> None:
    path = tmp_path / "many.sqlite3"
    with open_database(path) as database:
        services = Services(database, actor="tester")
        for number in range(MAX_RECORD_PROBLEMS + 5):
            services.sources.create(Source(title=f"Source {number}"))
    connection = sqlite3.connect(path)
    try:
        connection.execute("UPDATE source SET language = 'not a language'")
        connection.commit()
    finally:
        connection.close()
    with open_database(path, read_only=True) as database:
        problems = check_database(database)
    assert len(problems) == MAX_RECORD_PROBLEMS + 1
    # Each source breaks its rules and differs from what the audit log says: two each.
    assert problems[-1] == "… and 60 more record problems not listed"
    assert all("language:" in problem for problem in problems[:-1])


def test_check_of_a_missing_database_creates_nothing(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "missing.sqlite3"
    code, out, err = run("check", "--db", path)
    assert code == 1 and out == ""
    assert err == f"incidentlog: There is no database at {path}.\n"
    assert not path.exists()


def test_check_refuses_a_file_that_is_not_a_database(run: Run, not_a_database: Path) -> None:
    before = sha256(not_a_database)
    code, out, err = run("check", "--db", not_a_database)
    assert code == 1 and out == ""
    assert "not an incidentlog database" in err and err.count("\n") == 1
    assert sha256(not_a_database) == before


# --- backup ------------------------------------------------------------------------------------


def test_backup_to_a_named_file(run: Run, log: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copies" / "copy.sqlite3"
    code, out, err = run("backup", "--db", log, "--out", copy)
    assert (code, err) == (0, "")
    assert out == f"{copy}\n"
    with open_database(copy, read_only=True) as database:
        assert Services(database).incident_query.count() == 4
    assert incident_uids(copy) == incident_uids(log)
    # A nightly script writes the same file again: an earlier backup may be replaced.
    assert run("backup", "--db", log, "--out", copy)[0] == 0


def test_backup_without_out_goes_to_the_backups_folder(run: Run, log: Path) -> None:
    code, out, _ = run("backup", "--db", log)
    assert code == 0
    copy = Path(out.strip())
    assert copy.parent == log.parent / "log-backups"
    assert copy.is_file()
    assert incident_uids(copy) == incident_uids(log)


def test_backup_into_a_folder(run: Run, log: Path, tmp_path: Path) -> None:
    folder = tmp_path / "shelf"
    folder.mkdir()
    code, out, _ = run("backup", "--db", log, "--out", folder)
    assert code == 0
    assert Path(out.strip()).parent == folder
    assert incident_uids(Path(out.strip())) == incident_uids(log)


def test_backup_never_overwrites_a_file_that_is_not_a_database(
    run: Run, log: Path, not_a_database: Path
) -> None:
    before = sha256(not_a_database)
    code, _, err = run("backup", "--db", log, "--out", not_a_database)
    assert code == 1 and "not an incidentlog database" in err
    assert sha256(not_a_database) == before


def test_backup_of_a_file_that_is_not_a_database(
    run: Run, not_a_database: Path, tmp_path: Path
) -> None:
    before = sha256(not_a_database)
    code, _, err = run("backup", "--db", not_a_database, "--out", tmp_path / "copy.sqlite3")
    assert code == 1 and "not an incidentlog database" in err
    assert sha256(not_a_database) == before
    assert not (tmp_path / "copy.sqlite3").exists()


def test_backup_of_the_default_database(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path / "data"))
    assert run("init")[0] == 0
    code, out, _ = run("backup")
    assert code == 0
    assert Path(out.strip()).parent == tmp_path / "data" / "incidentlog-backups"


def dated(folder: Path, reason: str) -> list[Path]:
    """The dated backups of ``reason`` in ``folder``, oldest first (names sort by date)."""
    return sorted(folder.glob(f"*-{reason}.sqlite3"))


@pytest.mark.parametrize("keep", [1, 3])
def test_backup_keep_rotates_the_backups_this_command_made(
    run: Run, log: Path, keep: int
) -> None:
    folder = log.parent / "log-backups"
    daily = folder / "log-20240101T000000000000Z-daily.sqlite3"
    written = []
    for _ in range(4):
        code, out, err = run("backup", "--db", log, "--keep", str(keep))
        assert (code, err) == (0, "")
        written.append(Path(out.strip()))
        if not daily.exists():  # an automatic backup of the window: another kind
            run("backup", "--db", log, "--out", daily)
    assert dated(folder, "manual") == written[-keep:]
    assert daily.exists()


def test_backup_keep_in_a_folder_and_without_keep(run: Run, log: Path, tmp_path: Path) -> None:
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    for _ in range(3):
        assert run("backup", "--db", log, "--out", shelf)[0] == 0
    assert len(dated(shelf, "manual")) == 3  # without --keep nothing is removed
    code, out, _ = run("backup", "--db", log, "--out", shelf, "--keep", "2")
    assert code == 0
    assert dated(shelf, "manual")[-1] == Path(out.strip())
    assert len(dated(shelf, "manual")) == 2


def test_backup_keep_with_a_named_file_is_a_usage_error(
    run: Run, log: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.sqlite3"
    code, out, err = run("backup", "--db", log, "--out", copy, "--keep", "2")
    assert code == 2 and out == ""
    assert "--keep" in err and err.count("\n") == 1
    assert not copy.exists()


@pytest.mark.parametrize("command", ["backup", "import"])
@pytest.mark.parametrize(
    ("value", "says"),
    [("0", "give 1 or more"), ("-2", "give 1 or more"), ("seven", "is not a number"),
     ("2.5", "is not a number"), ("", "is not a number")],
)
def test_keep_must_be_a_count_of_one_or_more(
    run: Run, log: Path, export_file: Path, command: str, value: str, says: str
) -> None:
    before = sha256(log)
    argv = ["backup", "--db", log] if command == "backup" else ["import", export_file, "--db", log]
    code, out, err = run(*argv, "--keep", value)
    assert code == 2 and out == ""
    assert err.startswith("incidentlog: ") and "--keep" in err and says in err, err
    assert err.count("\n") == 1
    assert sha256(log) == before
    assert not (log.parent / "log-backups").exists()


@pytest.mark.parametrize("keep", [1, 3])
def test_import_keep_rotates_the_pre_import_backups(
    run: Run, log: Path, export_file: Path, keep: int
) -> None:
    folder = log.parent / "log-backups"
    for number in range(4):
        news = news_export(log.parent, number)
        code, _, err = run("import", news, "--db", log, "--keep", str(keep))
        assert (code, err) == (0, "")
    assert len(dated(folder, "pre-import")) == keep
    # The newest holds the log as it was before the last import: one incident fewer.
    assert len(incident_uids(dated(folder, "pre-import")[-1])) == len(incident_uids(log)) - 1


def test_import_keeps_ten_pre_import_backups_by_default(
    run: Run, log: Path, export_file: Path
) -> None:
    folder = log.parent / "log-backups"
    for number in range(cli.PRE_IMPORT_BACKUPS + 2):
        assert run("import", news_export(log.parent, number), "--db", log)[0] == 0
    assert len(dated(folder, "pre-import")) == cli.PRE_IMPORT_BACKUPS == 10


def news_export(folder: Path, number: int) -> Path:
    """An export holding one incident the log does not have: an import that changes it
    (only those are backed up first)."""
    from incidentlog.exchange import export_json
    from tests.reliability.child import incident

    source = folder / f"news-{number}.sqlite3"
    out_file = folder / f"news-{number}.json"
    with open_database(source) as database:
        services = Services(database, actor="colleague")
        services.incidents.create(incident(number, "colleague"))
        export_json(services, out_file)
    return out_file


def test_import_keep_applies_to_the_backup_before_an_upgrade(
    run: Run, log: Path, export_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``open_database`` is handed the same count for its pre-migration backup."""
    from incidentlog.store import database as store_database

    seen: list[int | None] = []
    real_open = store_database.open_database

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(kwargs.get("backup_keep"))  # type: ignore[arg-type]
        return real_open(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_database, "open_database", spy)
    assert run("import", export_file, "--db", log, "--keep", "4")[0] == 0
    assert seen == [4]


# --- errors ------------------------------------------------------------------------------------


def one_line_error(err: str) -> None:
    assert err.startswith("incidentlog: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_export_from_a_missing_database(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "missing.sqlite3"
    code, out, err = run("export", "--db", path, "--format", "json", "--out", tmp_path / "x.json")
    assert code == 1 and out == ""
    one_line_error(err)
    assert "There is no database" in err
    assert not path.exists() and not (tmp_path / "x.json").exists()


def test_export_from_a_file_that_is_not_a_database(
    run: Run, not_a_database: Path, tmp_path: Path
) -> None:
    before = sha256(not_a_database)
    code, _, err = run(
        "export", "--db", not_a_database, "--format", "csv", "--out", tmp_path / "csv"
    )
    assert code == 1
    one_line_error(err)
    assert sha256(not_a_database) == before


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--since", "2024-13-01"], "argument --since: '2024-13-01' is not a real date"),
        (["--since", "yesterday"], "argument --since: 'yesterday' is not a date"),
        (["--until", "20/01/2024"], "argument --until"),
        (["--country", "Atlantis"], "argument --country: 'Atlantis' names no single country"),
        (["--country", "Ira"], "names no single country"),  # Iran or Iraq?
        (["--status", "done"], "argument --status: 'done' is not one of"),
        (["--since", "2024-02", "--until", "2024-01"], "--since must be before --until"),
    ],
)
def test_export_bad_filter_values(
    run: Run, log: Path, tmp_path: Path, options: list[str], words: str
) -> None:
    out_file = tmp_path / "x.json"
    code, out, err = run("export", "--db", log, "--format", "json", "--out", out_file, *options)
    assert code == 2 and out == ""
    one_line_error(err)
    assert words in err
    assert not out_file.exists()


def test_export_bad_format(run: Run, log: Path, tmp_path: Path) -> None:
    code, _, err = run("export", "--db", log, "--format", "xml", "--out", tmp_path / "x.xml")
    assert code == 2
    one_line_error(err)
    assert "invalid choice: 'xml'" in err


def test_export_needs_format_and_out(run: Run, log: Path) -> None:
    code, _, err = run("export", "--db", log)
    assert code == 2
    one_line_error(err)
    assert "--format" in err and "--out" in err


def test_export_to_an_unwritable_place(run: Run, log: Path, not_a_database: Path) -> None:
    # Below a file: no one, not even root, can create that.
    code, out, err = run(
        "export", "--db", log, "--format", "json", "--out", not_a_database / "x.json"
    )
    assert code == 1 and out == ""
    one_line_error(err)
    assert "cannot be written" in err


def test_backup_to_an_unwritable_place(run: Run, log: Path, not_a_database: Path) -> None:
    code, _, err = run("backup", "--db", log, "--out", not_a_database / "copy.sqlite3")
    assert code == 1
    one_line_error(err)
    assert "cannot be written" in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="permissions do not stop root")
def test_export_into_a_read_only_folder(run: Run, log: Path, tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, _, err = run("export", "--db", log, "--format", "json", "--out", folder / "x.json")
    finally:
        folder.chmod(0o700)
    assert code == 1
    one_line_error(err)


def test_unknown_command(run: Run) -> None:
    code, _, err = run("frobnicate")
    assert code == 2
    one_line_error(err)


def test_an_incidentlog_error_is_one_line_with_status_1(
    run: Run, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incidentlog.domain.errors import ReadOnlyError

    def refuse(_database: object) -> list[str]:
        raise ReadOnlyError("The database")

    monkeypatch.setattr("incidentlog.store.check.check_database", refuse)
    code, out, err = run("check", "--db", log)
    assert (code, out) == (1, "")
    assert err == "incidentlog: The database is open read-only: nothing can be changed.\n"


def test_a_file_system_error_is_one_sentence(
    run: Run, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(_database: object) -> list[str]:
        raise PermissionError(13, "Permission denied", "/srv/shared/log.sqlite3")

    monkeypatch.setattr("incidentlog.store.check.check_database", denied)
    code, out, err = run("check", "--db", log)
    assert (code, out) == (1, "")
    assert err == "incidentlog: /srv/shared/log.sqlite3: permission denied.\n"


def test_ctrl_c_exits_130_without_a_traceback(
    run: Run, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(_database: object) -> list[str]:
        raise KeyboardInterrupt

    monkeypatch.setattr("incidentlog.store.check.check_database", interrupted)
    code, _, err = run("check", "--db", log)
    assert code == 130
    one_line_error(err)


def test_a_bug_is_not_hidden(run: Run, log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(_database: object) -> list[str]:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("incidentlog.store.check.check_database", bug)
    with pytest.raises(ZeroDivisionError):
        run("check", "--db", log)


# --- the desktop application ------------------------------------------------------------


@pytest.fixture
def fake_app(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Stand in for incidentlog.app so that no window opens; record its arguments."""
    calls: list[list[str]] = []
    module = types.ModuleType("incidentlog.app")

    def main(argv: list[str]) -> int:
        calls.append(argv)
        return 0

    module.main = main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "incidentlog.app", module)
    return calls


def test_no_command_starts_the_application(fake_app: list[list[str]], tmp_path: Path) -> None:
    assert cli.main([]) == 0
    assert cli.main(["--db", str(tmp_path / "x.sqlite3"), "--read-only"]) == 0
    assert fake_app == [[], ["--db", str(tmp_path / "x.sqlite3"), "--read-only"]]


def test_qt_options_pass_through_to_the_application(
    fake_app: list[list[str]], tmp_path: Path
) -> None:
    argv = ["-style", "fusion", "--db", str(tmp_path / "x.sqlite3"), "-reverse"]
    assert cli.main(argv) == 0
    assert fake_app == [argv]


def test_qt_options_are_refused_with_a_command(run: Run, fake_app: list[list[str]]) -> None:
    code, _, err = run("check", "-platform", "offscreen")
    assert code == 2
    assert "-platform is an option of the desktop application only" in err
    assert fake_app == []


def test_a_mistyped_command_does_not_start_the_application(
    run: Run, fake_app: list[list[str]]
) -> None:
    code, _, err = run("chek")
    assert code == 2 and "invalid choice: 'chek'" in err
    assert fake_app == []


def test_a_command_does_not_start_the_application(
    run: Run, fake_app: list[list[str]], tmp_path: Path
) -> None:
    assert run("init", "--db", tmp_path / "x.sqlite3")[0] == 0
    assert fake_app == []


# --- real processes ----------------------------------------------------------------------


def python_m(*argv: str | Path, env_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, DATA_DIR_VARIABLE: str(env_dir)}
    return subprocess.run(
        [sys.executable, "-m", "incidentlog", *map(str, argv)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_process_version(tmp_path: Path) -> None:
    done = python_m("--version", env_dir=tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == f"incidentlog {__version__}"


def test_process_demo_then_export(tmp_path: Path) -> None:
    demo = python_m("demo", env_dir=tmp_path / "data")
    assert demo.returncode == 0, demo.stderr
    assert "Loaded the demo data set" in demo.stdout
    out_file = tmp_path / "demo.json"
    export = python_m("export", "--format", "json", "--out", out_file, env_dir=tmp_path / "data")
    assert export.returncode == 0, export.stderr
    assert export.stdout.startswith("Exported ")
    assert (
        len(json.loads(out_file.read_text(encoding="utf-8"))["incidents"])
        == table_counts(tmp_path / "data" / "incidentlog.sqlite3")["incident"]
    )


def test_process_bad_argument_is_one_line_without_traceback(tmp_path: Path) -> None:
    done = python_m(
        "export",
        "--format",
        "json",
        "--out",
        tmp_path / "x.json",
        "--since",
        "2024-99",
        env_dir=tmp_path,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("incidentlog: ")
    assert "Traceback" not in done.stderr


def test_process_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    done = python_m("check", "--db", tmp_path / "missing.sqlite3", env_dir=tmp_path)
    assert done.returncode == 1
    assert done.stderr == f"incidentlog: There is no database at {tmp_path / 'missing.sqlite3'}.\n"


def test_headless_commands_never_import_qt(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from incidentlog.cli import main\n"
        f"db = {str(tmp_path / 'q.sqlite3')!r}\n"
        "assert main(['demo', '--db', db]) == 0\n"
        f"assert main(['export', '--db', db, '--format', 'csv', '--out', {str(tmp_path)!r}]) == 0\n"
        "assert main(['check', '--db', db]) == 0\n"
        "assert main(['backup', '--db', db]) == 0\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "assert not qt, qt\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, DATA_DIR_VARIABLE: str(tmp_path)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
