"""``python -m bench --busy N``: the spinning processes start and stop, and the side-by-side
table says which busy figures hold (within 1.5× the target and 2× the quiet figure)."""

from __future__ import annotations

from bench.busy import busy, busy_met, side_by_side
from bench.common import Figure


def test_busy_processes_spin_for_the_block_and_are_gone_after() -> None:
    with busy(2) as children:
        assert len(children) == 2
        assert all(child.poll() is None for child in children)  # running
    assert all(child.poll() is not None for child in children)  # stopped and reaped


def _pair(quiet: float, loaded: float, limit: float | None = 100) -> tuple[Figure, Figure]:
    return (Figure("table", "sort", "ms", [quiet], limit=limit),
            Figure("table", "sort", "ms", [loaded], limit=limit))


def test_a_busy_figure_holds_within_both_factors() -> None:
    assert busy_met(*_pair(60, 119)) is True
    assert busy_met(*_pair(60, 151)) is False   # over 1.5 × 100 ms
    assert busy_met(*_pair(40, 90)) is False    # over 2 × its quiet 40 ms
    assert busy_met(*_pair(40, 90, limit=None)) is None  # no target, no verdict


def test_side_by_side_lists_both_figures_and_the_verdicts() -> None:
    quiet, loaded = _pair(60, 151)
    table = side_by_side([quiet], [loaded], 2)
    row = table.splitlines()[-1]
    assert "| 60 ms | 151 ms | 2.52× |" in row
    assert row.endswith("| yes | **no** |")
