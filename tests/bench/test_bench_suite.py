"""The benchmark suite keeps working: one small run of ``python -m bench`` (docs/performance.md).

Nothing here looks at the times (machines are shared and noisy): only that
every benchmark ran, every figure has a sample, and the table says which
targets were met.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import Figure, markdown_table

ROOT = Path(__file__).resolve().parents[2]


def test_a_small_run_of_the_table_and_timeline_benchmarks(tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--incidents", "400", "--repeat", "1",
         "--only", "table,timeline", "--output", str(report)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    text = report.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| table ")
            or line.startswith("| timeline ")]
    names = {row.split("|")[2].strip() for row in rows}
    for expected in ("start-up ratio to the bare window", "first screen after the window exists",
                     "sort by title", "search a common word: count + first screen",
                     "save one edited incident", "first paint, zoomed out"):
        assert expected in names
    for row in rows:
        median = row.split("|")[3].strip()
        assert re.match(r"^[\d,.]+( \S+)?$", median), row  # every figure was measured
    assert re.search(r"Targets met: \d+ of \d+", text)


def test_the_table_marks_targets_met_and_missed() -> None:
    fast = Figure("g", "fast", "ms", [10, 12, 11], limit=50)
    slow = Figure("g", "slow", "ms", [90, 80, 100], limit=50)
    rate = Figure("g", "rate", "%", [30, 20, 28], limit=25, comparison=">=")
    assert (fast.met, slow.met, rate.met) == (True, False, True)
    assert fast.median == 11 and rate.target == "≥ 25 %"
    table = markdown_table([fast, slow, rate])
    assert "| g | fast | 11 ms | 10–12 | ≤ 50 ms | yes |" in table
    assert "| g | slow | 90 ms | 80–100 | ≤ 50 ms | **no** |" in table


@pytest.mark.parametrize("argv", [["--repeat", "0"], ["--only", "nothing"],
                                  ["--db", "/nonexistent/log.sqlite3"]])
def test_bad_arguments_are_refused_clearly(argv: list[str]) -> None:
    completed = subprocess.run([sys.executable, "-m", "bench", *argv], cwd=ROOT,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2
    assert "error:" in completed.stderr
