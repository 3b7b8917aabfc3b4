"""The bulk edit benchmark runs end to end on a tiny log and leaves it as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bench.bench_editing import LIMITS, measure
from bench.common import markdown_table
from bench.generate import generate


def test_measure_on_a_tiny_log_gives_every_figure(tmp_path: Path) -> None:
    db = tmp_path / "tiny.sqlite3"
    generate(db, 60, report=False)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    figures = measure(db, 1)
    assert {figure.name for figure in figures} == set(LIMITS)
    assert all(len(figure.samples) == 1 for figure in figures)
    assert "bulk edit of 10,000 incidents" in markdown_table(figures)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # measured on a copy
