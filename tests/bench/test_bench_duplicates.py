"""The duplicate lookup benchmark runs end to end on a tiny log and leaves it as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bench.bench_duplicates import LOOKUPS_PER_REPEAT, measure
from bench.common import markdown_table
from bench.generate import generate


def test_measure_on_a_tiny_log_gives_every_figure(tmp_path: Path) -> None:
    db = tmp_path / "tiny.sqlite3"
    generate(db, 60, report=False)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    figures = measure(db, 1)
    names = [figure.name for figure in figures]
    assert names[0] == "duplicate lookup while typing, median"
    assert len(figures[0].samples) == LOOKUPS_PER_REPEAT
    assert len(figures[1].samples) == 1  # the slowest of them
    # The generated log has look-alikes on the same days: lookups find some.
    assert max(figures[-1].samples) > 0
    assert "duplicate lookup per incident, slowest" in markdown_table(figures)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # read-only
