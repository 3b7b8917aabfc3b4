"""What every benchmark hands to the suite: named figures with their samples and targets.

A benchmark module exposes ``measure(db: Path, repeat: int) -> list[Figure]``;
``python -m bench`` calls each one and prints one table (see bench/__main__.py).
A figure keeps every sample, so the table shows the median and the spread.
A ratio against a reference (the ``sqlite3`` tool, a raw ``executemany``, a
bare PySide6 window) is computed per run, from the figure and the reference
measured in that same run, so a noisy machine slows both sides alike.
"""

from __future__ import annotations

import resource
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from incidentlog.store.server_address import is_server

Comparison = Literal["<=", ">="]


@dataclass
class Figure:
    group: str
    name: str
    unit: str  # "ms", "MiB", "rows/s", "×", "%", or "" for a plain count
    samples: list[float] = field(default_factory=list)
    limit: float | None = None
    comparison: Comparison = "<="
    note: str = ""

    def add(self, value: float) -> None:
        self.samples.append(value)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    @property
    def target(self) -> str:
        if self.limit is None:
            return ""
        sign = "≤" if self.comparison == "<=" else "≥"
        return f"{sign} {_number(self.limit)} {self.unit}".rstrip()

    @property
    def met(self) -> bool | None:
        if self.limit is None or not self.samples:
            return None
        if self.comparison == "<=":
            return self.median <= self.limit
        return self.median >= self.limit


def log_target(value: str) -> Path | str:
    """A ``--db`` argument: a file's path, or a server log's address kept as typed
    (``Path`` would fold its ``//``)."""
    return value if is_server(value) else Path(value)


def figure_by_name(figures: list[Figure], name: str) -> Figure:
    for figure in figures:
        if figure.name == name:
            return figure
    raise KeyError(name)


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """The peak resident memory (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(who).ru_maxrss / 1024


def _number(value: float) -> str:
    if value != value:  # NaN: no sample
        return "–"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def spread(figure: Figure) -> str:
    if len(figure.samples) < 2:
        return ""
    return f"{_number(min(figure.samples))}–{_number(max(figure.samples))}"


def markdown_table(figures: list[Figure]) -> str:
    """The figures as a Markdown table: median, spread, target and whether it is met."""
    lines = [
        "| group | what | median | spread (min–max) | target | met |",
        "|---|---|---:|---:|---|:---:|",
    ]
    for figure in figures:
        met = {True: "yes", False: "**no**", None: ""}[figure.met]
        value = f"{_number(figure.median)} {figure.unit}".rstrip()
        name = f"{figure.name} ({figure.note})" if figure.note else figure.name
        lines.append(f"| {figure.group} | {name} | {value} | {spread(figure)} "
                     f"| {figure.target} | {met} |")
    return "\n".join(lines)


#: Where ``python -m bench --packaged PROGRAM`` tells the table's start-up figures the
#: packaged build to time beside the source install.
PACKAGED_VARIABLE = "INCIDENTLOG_BENCH_PACKAGED"
