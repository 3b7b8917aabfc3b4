"""``incidentlog duplicates``: the candidate pairs of a whole log, as text or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from incidentlog import cli
from incidentlog.services import Services
from incidentlog.services.duplicate_pairs import Pair
from incidentlog.services.duplicates import DuplicateService
from incidentlog.store.database import open_database
from tests.unit.test_duplicates import AL_ASSAD, ELSEWHERE, OTHER_DAY, SAME


@pytest.fixture
def log(tmp_path: Path) -> tuple[Path, str, str]:
    path = tmp_path / "log.sqlite3"
    with open_database(path) as database:
        desk = Services(database, actor="desk")
        first = desk.incidents.create(AL_ASSAD).record.ref or ""
        second = desk.incidents.create(SAME).record.ref or ""
        desk.incidents.create(OTHER_DAY)
        desk.incidents.create(ELSEWHERE)
    return path, first, second


def test_duplicates_as_text_and_csv(log: tuple[Path, str, str],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    path, first, second = log
    assert cli.main(["duplicates", "--db", str(path)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 1
    assert second in lines[0] and first in lines[0] and "same day" in lines[0]
    assert "1 possible duplicate pair" in captured.err

    assert cli.main(["duplicates", "--db", str(path), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["first_ref"], r["second_ref"]) for r in rows] == [(second, first)]
    assert float(rows[0]["score"]) >= 0.7

    assert cli.main(["duplicates", "--db", str(path), "--min-score", "0.99"]) == 0
    assert capsys.readouterr().out == ""


def test_duplicates_limit_and_interruption(log: tuple[Path, str, str],
                                           capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path, first, second = log
    assert cli.main(["duplicates", "--db", str(path), "--min-score", "0.3", "--limit", "1"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 1
    assert "1 possible duplicate pair (--limit reached)" in captured.err
    assert cli.main(["duplicates", "--db", str(path), "--min-score", "70"]) == 2
    assert "between 0 and 1" in capsys.readouterr().err

    def interrupted(self: object, **_options: object) -> Iterator[Pair]:
        yield Pair(second, second, first, first, 0.9, ("same day",))
        raise KeyboardInterrupt

    monkeypatch.setattr(DuplicateService, "pairs", interrupted)
    assert cli.main(["duplicates", "--db", str(path)]) == 130
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 1
    assert "Stopped: 1 possible duplicate pair listed" in captured.err
    assert "Traceback" not in captured.err
