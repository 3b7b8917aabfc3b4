"""Density bins: calendar steps in the view's time zone, and spreading long intervals.

The bins are steps of ``domain/calendar.py`` (days, weeks, months, years in
the chosen IANA zone), so that a bin is the same bin whatever the window; see
docs/timeline.md.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import datetime

from incidentlog.domain import calendar
from incidentlog.domain.calendar import Step
from incidentlog.services.timeline_values import Density, LongGroup, epoch

#: Density bins from the finest; a view takes the first wide enough.
BIN_STEPS: tuple[Step, ...] = (
    Step("day", 1),
    Step("day", 2),
    Step("week", 1),
    Step("week", 2),
    Step("month", 1),
    Step("month", 3),
    Step("year", 1),
)
#: Edges computed at most (a century of days is 36,525).
MAX_EDGES = 20_001


def bin_step(seconds_per_pixel: float, min_pixels: float = 3.0) -> Step:
    """The finest calendar step at least ``min_pixels`` wide at this zoom."""
    return calendar.finest_step(BIN_STEPS, seconds_per_pixel, min_pixels)


def calendar_edges(
    start: datetime, end: datetime, step: tuple[str, int], tz: str = "UTC"
) -> tuple[datetime, ...]:
    """Bin edges covering [start, end) in ``tz``: the first at or before ``start``,
    the last at or after ``end``.

    Steps are anchored (days and weeks count from a Monday, months and years
    from the calendar's start), so that a bin is the same bin whatever the
    window (panning never shifts the bins), and a daylight-saving day is 23
    or 25 h.
    """
    unit, count = step
    edges: list[datetime] = []
    for _, edge in calendar.steps(start, unit, count, tz):
        edges.append(edge)
        if edge >= end or len(edges) >= MAX_EDGES:
            break
    return tuple(edges)


def spread(density: Density, groups: Iterable[LongGroup]) -> Density:
    """Move long intervals from the bin where they start over the bins they cover.

    ``groups`` must be grouped by the density's column. Each bin receives the
    share of the interval it holds, so the total stays the number of
    incidents (within the window). A sweep over the interval ends (each adds
    or removes a rate of incidents per second) makes it one pass over the bins
    whatever the number of groups: tens of thousands on a million incidents.
    """
    edges = density.edges
    if len(edges) < 2 or density.spread:
        return density  # spreading twice would take the long intervals out twice
    counts = {value: list(series) for value, series in density.counts.items()}
    first, last = edges[0], edges[-1]
    events: dict[str | None, list[tuple[float, float]]] = {}
    for group in groups:
        if group.end <= first or group.start >= last or group.value not in counts:
            continue  # outside, or a value the density does not show (filtered out)
        if first <= group.start:
            counts[group.value][bisect_right(edges, group.start) - 1] -= group.count
        rate = group.count / (group.end - group.start)
        found = events.setdefault(group.value, [])
        found.append((group.start, rate))
        found.append((group.end, -rate))
    for value, changes in events.items():
        changes.sort()
        series = counts[value]
        rate = 0.0
        index = 0
        while index < len(changes) and changes[index][0] <= first:
            rate += changes[index][1]
            index += 1
        for number in range(len(series)):
            at, stop = edges[number], edges[number + 1]
            total = 0.0
            while index < len(changes) and changes[index][0] < stop:
                when, change = changes[index]
                total += rate * (when - at)
                at = when
                rate += change
                index += 1
            series[number] += total + rate * (stop - at)
    return Density(edges, {value: tuple(max(v, 0.0) for v in series)
                           for value, series in counts.items()}, density.column, True)


def density_of(edges: Sequence[datetime], found: dict[tuple[str | None, int], int],
             column: str | None, values: Sequence[str | None] | None) -> Density:
    bins = len(edges) - 1
    keys: list[str | None] = list(values or ()) if column is not None else [None]
    counts = {key: [0.0] * bins for key in keys}
    for (value, number), n in found.items():
        counts.setdefault(value, [0.0] * bins)[number] += n
    return Density(tuple(epoch(edge) for edge in edges),
                   {key: tuple(series) for key, series in counts.items()}, column)
