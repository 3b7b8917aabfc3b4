"""The server benchmark's pieces: the loader, the scratch copy, the verdicts, the arguments.

Nothing here looks at a time: the loader's copy is compared record for record
(the JSON exports of the file and of the server log), and the side-by-side
table is checked on made-up figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import Figure
from bench.engines import server_met, side_by_side
from bench.generate import generate
from bench.pg_load import load
from bench.server_log import scratch_copy
from incidentlog import cli
from incidentlog.store.database import open_database
from tests.pg import PgServer

ROOT = Path(__file__).resolve().parents[2]


def _export(target: str, out: Path) -> dict[str, object]:
    assert cli.main(["export", "--db", target, "--format", "json", "--out", str(out)]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    document.pop("exported_at", None)
    return dict(document)


def test_the_loader_copies_a_log_file_record_for_record(pg_server: PgServer,
                                                        tmp_path: Path) -> None:
    file = tmp_path / "log.sqlite3"
    generate(file, 120, report=False)
    name = pg_server.empty_database()
    url = pg_server.url(name)
    try:
        rows = load(file, url, report=False)
        assert rows["incident"] == 120 and rows["quote"] > 0
        assert _export(url, tmp_path / "server.json") == _export(str(file), tmp_path / "file.json")
        assert cli.main(["check", "--db", url]) == 0
        with scratch_copy(url) as copy:
            assert copy != url
            with open_database(copy) as database, database.read() as connection:
                assert connection.exec_driver_sql("SELECT count(*) FROM incident").scalar() == 120
            # The id sequences went on past the copied ids: a new incident saves.
            assert cli.main(["demo", "--db", copy]) == 0
        with open_database(url, read_only=True) as database, database.read() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM incident").scalar() == 120
    finally:
        pg_server.drop_database(name)


def test_a_server_figure_holds_within_twice_the_file_and_the_files_target() -> None:
    def figure(name: str, value: float, limit: float | None = 150) -> Figure:
        return Figure("table", name, "ms", [value], limit=limit)

    assert server_met(figure("a", 100), figure("a", 140)) is True
    assert server_met(figure("a", 100), figure("a", 160)) is False  # over the target
    assert server_met(figure("a", 50, None), figure("a", 101, None)) is False  # over 2×
    assert server_met(figure("a", 50, None), figure("a", 99, None)) is True
    ratio = Figure("table", "r", "×", [2.0], limit=3.5)
    assert server_met(ratio, Figure("table", "r", "×", [9.0])) is None
    table = side_by_side([figure("first screen", 100)], [figure("first screen", 160)])
    assert "| table | first screen | 100 ms | 160 ms |  | 1.60× | ≤ 150 ms and ≤ 2× SQLite " \
           "| **no** |" in table


@pytest.mark.parametrize("argv", [
    ["--db", "postgresql://nobody@127.0.0.1:1/none"],  # no --sqlite to compare with
    ["--db", "postgresql://nobody@127.0.0.1:1/none", "--sqlite", "/nonexistent.sqlite3"],
    ["--db", "/nonexistent.sqlite3", "--pg-throwaway"],
    ["--db", "postgresql://nobody@127.0.0.1:1/none", "--pg-throwaway"],
    ["--db", "postgresql://nobody@127.0.0.1:1/none", "--only", "exchange"],
])
def test_bad_server_arguments_are_refused_clearly(argv: list[str]) -> None:
    completed = subprocess.run([sys.executable, "-m", "bench", *argv], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2, completed.stderr[-2000:]
    assert "error:" in completed.stderr
