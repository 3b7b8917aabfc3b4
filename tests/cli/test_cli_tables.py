"""``incidentlog import TABLE --mapping …`` and ``export --format acled`` from the command line."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from incidentlog import cli
from incidentlog.exchange.tabular.builtin import ACLED_COLUMNS

Run = Callable[..., tuple[int, str, str]]
ACLED_SAMPLE = Path(__file__).parents[1] / "unit" / "data" / "acled_sample.csv"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def _run(*argv: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run


def test_an_acled_file_imports_with_the_built_in_mapping_and_exports_back(
    run: Run, tmp_path: Path
) -> None:
    db = tmp_path / "log.sqlite3"
    code, out, err = run("import", ACLED_SAMPLE, "--db", db, "--mapping", "acled",
                         "--tz", "Asia/Baghdad")
    assert code == 0, err
    assert "Incidents: 4 added" in out and "Sources: 4 added" in out
    code, out, err = run("import", ACLED_SAMPLE, "--db", db, "--mapping", "acled",
                         "--tz", "Asia/Baghdad", "--dry-run")
    assert code == 0, err
    assert "Dry run" in out and "0 added, 0 updated, 4 unchanged" in out
    target = tmp_path / "out" / "acled.csv"
    code, out, err = run("export", "--db", db, "--format", "acled", "--out", target)
    assert code == 0, err
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == ACLED_COLUMNS and len(rows) == 4


def test_a_table_without_a_mapping_says_what_to_do(run: Run, tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    code, _, err = run("import", ACLED_SAMPLE, "--db", db)
    assert code == 1
    assert "looks like a CSV file" in err and "--mapping acled" in err
    assert "--write-mapping" in err
    assert not db.exists()


def test_a_guessed_mapping_is_written_edited_and_used(run: Run, tmp_path: Path) -> None:
    table = tmp_path / "desk.csv"
    table.write_text("Date,Title,Town,Dead\n25/01/2024,Strike,Mosul,3\n", encoding="utf-8")
    mapping = tmp_path / "desk-mapping.json"
    code, out, err = run("import", table, "--write-mapping", mapping)
    assert code == 0, err
    assert str(mapping) in out
    data = json.loads(mapping.read_text(encoding="utf-8"))
    assert data["columns"] == {"Date": "occurred", "Title": "title", "Town": "place",
                               "Dead": "killed"}
    data["columns"]["Town"] = "admin1"
    mapping.write_text(json.dumps(data), encoding="utf-8")
    db = tmp_path / "log.sqlite3"
    code, out, err = run("import", table, "--db", db, "--mapping", mapping)
    assert code == 0, err
    assert "Incidents: 1 added" in out


def test_an_unknown_mapping_and_a_stray_tz_are_usage_errors(run: Run, tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    code, _, err = run("import", ACLED_SAMPLE, "--db", db, "--mapping", "nonesuch")
    assert code == 2 and "neither a built-in mapping" in err
    code, _, err = run("import", ACLED_SAMPLE, "--db", db, "--tz", "Asia/Baghdad")
    assert code == 2 and "--mapping" in err
    code, _, err = run("import", ACLED_SAMPLE, "--db", db, "--mapping", "acled", "--tz", "Mars")
    assert code == 2 and "not an IANA time zone" in err
