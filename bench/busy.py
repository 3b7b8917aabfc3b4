"""A busy machine on demand: CPU-bound processes beside the figures.

What a browser and a video call do to a laptop: ``python -m bench --busy N``
measures every figure twice in one run, first on the quiet machine, then
with ``N`` processes that spin on the CPU at normal priority, and reports
both side by side (docs/performance.md, "On a busy machine").
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator

from bench.common import Figure, _number

#: A busy figure meets its target when it is within this factor of the target ...
BUSY_TARGET_FACTOR = 1.5
#: ... and within this factor of its own quiet figure.
BUSY_QUIET_FACTOR = 2.0

SPIN = "while True: pass"


@contextlib.contextmanager
def busy(processes: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``processes`` CPU-bound children for the duration of the block, then stopped."""
    children = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(processes)]
    try:
        yield children
    finally:
        for child in children:
            child.kill()
        for child in children:
            child.wait()


def busy_met(quiet: Figure, loaded: Figure) -> bool | None:
    """Whether the busy figure holds: within 1.5× its target and 2× its quiet value."""
    if quiet.limit is None or quiet.unit != "ms" or not loaded.samples or not quiet.samples:
        return None
    if quiet.comparison != "<=":
        return None
    return (loaded.median <= quiet.limit * BUSY_TARGET_FACTOR
            and loaded.median <= quiet.median * BUSY_QUIET_FACTOR)


def side_by_side(quiet: list[Figure], loaded: list[Figure], processes: int) -> str:
    """Quiet and busy figures of the same names in one Markdown table."""
    by_name = {(figure.group, figure.name): figure for figure in loaded}
    lines = [
        f"| group | what | quiet | busy ({processes} spinning) | busy ÷ quiet "
        f"| target | busy target | met quiet | met busy |",
        "|---|---|---:|---:|---:|---|---|:---:|:---:|",
    ]
    for figure in quiet:
        other = by_name.get((figure.group, figure.name))
        if other is None:
            continue
        ratio = (f"{other.median / figure.median:.2f}×"
                 if figure.median and figure.unit == "ms" else "")
        busy_limit = (f"≤ {_number(figure.limit * BUSY_TARGET_FACTOR)} ms and "
                      f"≤ {BUSY_QUIET_FACTOR:g}× quiet"
                      if figure.limit is not None and figure.unit == "ms"
                      and figure.comparison == "<=" else "")
        marks = {True: "yes", False: "**no**", None: ""}
        lines.append(
            f"| {figure.group} | {figure.name} | {_number(figure.median)} {figure.unit} "
            f"| {_number(other.median)} {other.unit} | {ratio} | {figure.target} "
            f"| {busy_limit} | {marks[figure.met]} | {marks[busy_met(figure, other)]} |")
    return "\n".join(lines)
