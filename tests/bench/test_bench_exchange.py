"""The exchange benchmark runs end to end on a tiny log; nothing here depends on time.

(No ``__init__.py`` in this folder: it would make it a package named ``bench`` and
hide the real ``bench`` package at the top of the repository.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.bench_exchange import GROUP, measure
from bench.common import markdown_table
from bench.generate import generate

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs the sqlite3 tool"),
]

EXPECTED = {
    "export CSV, 3 files": "ms",
    "sqlite3 -csv, same rows": "ms",
    "export CSV ÷ sqlite3 -csv": "×",
    "export CSV peak memory": "MiB",
    "export JSON": "ms",
    "sqlite3 -json, same rows": "ms",
    "export JSON ÷ sqlite3 -json": "×",
    "export JSON peak memory": "MiB",
    "import JSON into an empty database": "rows/s",
    "raw executemany, same rows": "rows/s",
    "import ÷ raw executemany": "%",
    "import peak memory": "MiB",
}


def test_measure_on_a_tiny_log_gives_every_figure(tmp_path: Path) -> None:
    db = tmp_path / "tiny.sqlite3"
    generate(db, 300, report=False)
    before = db.read_bytes()

    figures = measure(db, repeat=1)

    assert {figure.name: figure.unit for figure in figures} == EXPECTED
    for figure in figures:
        assert figure.group == GROUP
        assert len(figure.samples) == 1, figure.name
        assert figure.samples[0] > 0, figure.name
    limits = {figure.name: (figure.limit, figure.comparison) for figure in figures}
    assert limits["export CSV ÷ sqlite3 -csv"] == (3.5, "<=")
    assert limits["export JSON ÷ sqlite3 -json"] == (2, "<=")
    assert limits["import ÷ raw executemany"] == (25, ">=")
    assert limits["export CSV peak memory"] == (250, "<=")
    assert limits["import peak memory"] == (500, "<=")
    assert "| exchange |" in markdown_table(figures)
    assert db.read_bytes() == before  # the benchmark's log is only ever read
