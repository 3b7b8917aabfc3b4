"""What the timeline shows, as plain values: items, counts per time bin, quotes.

The timeline view asks for the window on screen from a worker thread and
draws what comes back, so everything here is a frozen value with times as
POSIX seconds (UTC): cheap to build, safe to hand across threads, and what a
painter needs (x = (t − t0) / seconds per pixel).

``TimelineQuery.window`` decides between the two ways of showing a window:

* **items** when at most ``limit`` incidents start in it: each incident with
  its interval. Incidents known only to the month or year are drawn one by one
  only when few cover the window; else they become one summary band per lane
  ("1,204 incidents dated only to a month or a year"), since a week filled
  with 9,000 bars spanning it says nothing.
* **density** otherwise: counts per calendar bin (days, weeks, months in the
  chosen time zone), per lane or per colour. They are counted where each
  interval starts (that is what the indexes know, see ``store/timeline.py``);
  ``spread`` then moves week, month and year intervals out of their first day
  and over the bins they cover, once ``long_intervals`` (slower: it reads the
  rows) has answered.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from incidentlog.domain.query import IncidentFilter
from incidentlog.services.timeline_bins import (
    BIN_STEPS,
    bin_step,
    calendar_edges,
    density_of,
    spread,
)
from incidentlog.services.timeline_values import (
    ITEM_LIMIT,
    Density,
    LongGroup,
    Overview,
    TimelineItem,
    TimelineQuote,
    WindowData,
    WindowRequest,
    epoch,
    from_epoch,
    item_of_row,
    quote_of_row,
    stored_epoch,
)
from incidentlog.store import timeline as st
from incidentlog.store.database import Database
from incidentlog.store.timeline_actors import is_actor_lane, item_actors

#: What the timeline view imports from here (the values and bins live beside this module).
__all__ = [
    "BIN_STEPS", "ITEM_LIMIT", "LONG_ITEM_LIMIT", "Density", "LongGroup", "Overview",
    "TimelineItem", "TimelineQuery", "TimelineQuote", "WindowData", "WindowRequest", "bin_step",
    "calendar_edges", "from_epoch", "spread", "stored_epoch",
]

#: Month- and year-long incidents drawn one by one at most; above, a summary band.
LONG_ITEM_LIMIT = 200
#: Rows read at most to find month and year incidents before ``long_intervals`` answers.
LONG_CANDIDATE_LIMIT = 2_000
#: Candidate ranges read per statement by ``long_intervals`` (it can stop between two).
LONG_SLICE = 24
FINE_PRECISIONS = ("minute", "hour", "day", "week")
LONG_PRECISIONS = ("month", "year")
SPREAD_PRECISIONS = ("week", "month", "year")


# --- the query ------------------------------------------------------------------------------


class TimelineQuery:
    """The timeline's reads; every method opens its own read transaction (thread-safe)."""

    def __init__(self, database: Database, workers: int | None = None) -> None:
        self._db = database
        self._workers = workers or min(os.cpu_count() or 1, 4)

    @property
    def _backend(self) -> Any:
        return self._db.backend

    def overview(self, flt: IncidentFilter, columns: Sequence[str] = ()) -> Overview:
        """First start, last end (long intervals aside) and the values of ``columns``."""
        with self._db.read() as connection:
            bounds = st.start_bounds(connection, flt, self._backend)
            values = {column: tuple(st.distinct_values(connection, flt, self._backend, column))
                      for column in columns}
            if bounds is None:
                return Overview(None, None, values)
            first, last = bounds
            after = last + timedelta(seconds=1)
            precisions: tuple[str, ...] = FINE_PRECISIONS
            if st.count_long_candidates(connection, flt, self._backend, last, after,
                                        LONG_PRECISIONS, LONG_CANDIDATE_LIMIT + 1
                                        ) <= LONG_CANDIDATE_LIMIT:
                precisions += LONG_PRECISIONS  # cheap here: the year bars end the log
            end = st.last_end(connection, flt, self._backend, last, precisions)
        return Overview(first, max(end or last, last + timedelta(minutes=1)), values)

    def extent(self, flt: IncidentFilter) -> tuple[datetime, datetime] | None:
        """[first start, last end) of the matching incidents; long intervals included."""
        overview = self.overview(flt)
        if overview.first is None or overview.last_end is None:
            return None
        end = overview.last_end
        groups = self.long_intervals(flt, start=overview.last_end - timedelta(days=367),
                                     end=overview.last_end, precisions=LONG_PRECISIONS)
        for group in groups:
            end = max(end, from_epoch(group.end))
        return overview.first, end

    def values(self, flt: IncidentFilter, column: str) -> list[str | None]:
        with self._db.read() as connection:
            return st.distinct_values(connection, flt, self._backend, column)

    def count(self, flt: IncidentFilter, start: datetime, end: datetime,
              cap: int | None = None) -> int:
        with self._db.read() as connection:
            return st.count_starting(connection, flt, self._backend, start, end, cap)

    def items(
        self,
        flt: IncidentFilter,
        start: datetime,
        end: datetime,
        limit: int = ITEM_LIMIT,
        precisions: Sequence[str] = tuple(st.PRECISION_SECONDS),
    ) -> list[TimelineItem]:
        """Incidents overlapping [start, end), by start, at most ``limit``."""
        with self._db.read() as connection:
            rows = st.items(connection, flt, self._backend, start, end, limit, precisions)
        return [item_of_row(row) for row in rows]

    def density(
        self,
        flt: IncidentFilter,
        start: datetime,
        end: datetime,
        bins: int | Sequence[datetime],
        lane: str | None = None,
        values: Sequence[str | None] | None = None,
    ) -> Density:
        """Incidents per bin (counted where they start), per value of ``lane``.

        ``bins`` is a number of equal bins over [start, end) or the edges.
        """
        if isinstance(bins, int):
            width = (end - start) / max(bins, 1)
            edges = tuple(start + width * number for number in range(bins + 1))
        else:
            edges = tuple(bins)
        with self._db.read() as connection:
            if lane is not None and values is None:
                values = st.distinct_values(connection, flt, self._backend, lane)
            found = st.bin_counts(connection, flt, self._backend, edges, lane, values or ())
        return density_of(edges, found, lane, values)

    def long_intervals(
        self,
        flt: IncidentFilter,
        column: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        precisions: Sequence[str] = SPREAD_PRECISIONS,
        cancelled: Callable[[], bool] | None = None,
    ) -> list[LongGroup]:
        """Week, month and year intervals (grouped) overlapping [start, end), by default
        over the whole log: what ``spread`` needs, computed once per filter.

        The slow read of the timeline (a table seek per long incident: about a
        second per 100,000 of them), so it reads in slices and returns early,
        with what it has, once ``cancelled()`` says the answer is no longer wanted.
        """
        found: list[LongGroup] = []
        with self._db.read() as connection:
            if start is None or end is None:
                bounds = st.start_bounds(connection, flt, self._backend)
                if bounds is None:
                    return []
                start = start or bounds[0]
                end = end or bounds[1] + timedelta(seconds=1)
            ranges = st.start_ranges(start, end, precisions)
            for first in range(0, len(ranges), LONG_SLICE):
                if cancelled is not None and cancelled():
                    break
                rows = st.long_intervals(connection, flt, self._backend, start, end,
                                         precisions, column, ranges[first:first + LONG_SLICE])
                found.extend(LongGroup(stored_epoch(a), stored_epoch(e), p, v, n)
                             for a, e, p, v, n in rows)
        return found

    def quotes(self, flt: IncidentFilter, start: datetime, end: datetime,
               limit: int = ITEM_LIMIT) -> list[TimelineQuote]:
        """Quotes said in [start, end): all those about no incident or about a matching one."""
        with self._db.read() as connection:
            rows = st.quotes(connection, flt, self._backend, start, end, limit)
        return [quote_of_row(row) for row in rows]

    def quote_density(self, start: datetime, end: datetime,
                      bins: int | Sequence[datetime]) -> tuple[float, ...]:
        if isinstance(bins, int):
            width = (end - start) / max(bins, 1)
            edges = tuple(start + width * number for number in range(bins + 1))
        else:
            edges = tuple(bins)
        with self._db.read() as connection:
            found = st.quote_bin_counts(connection, self._backend, edges)
        return tuple(float(found.get(number, 0)) for number in range(len(edges) - 1))

    def window(self, request: WindowRequest,
               long_groups: Sequence[LongGroup] | None = None) -> WindowData:
        """Everything the view draws for one window, in one read transaction.

        The request's window is padded (a pan then needs no new answer); when
        it holds too many incidents for items but ``request.visible`` does not,
        items are read for the visible part only (a week of a million-incident
        log) rather than falling back to counts. ``long_groups`` (from
        ``long_intervals`` with the request's column) lets density spread long
        intervals, and items mode decide whether month and year incidents are
        few enough to draw one by one.
        """
        import gc
        import time

        began = time.perf_counter()
        enabled = gc.isenabled()
        gc.disable()  # thousands of small values, no cycle: no collection pauses
        try:
            return self._window(request, long_groups, began)
        finally:
            if enabled:
                gc.enable()

    def _window(self, request: WindowRequest, long_groups: Sequence[LongGroup] | None,
                began: float) -> WindowData:
        import time

        flt, limit = request.flt, request.limit
        backend = self._backend
        windows = [(request.start, request.end)]
        if request.visible is not None:
            first, last = request.visible
            margin = (last - first) / 10
            windows.append((max(first - margin, request.start), min(last + margin, request.end)))
        items: tuple[TimelineItem, ...] | None = None
        bands: tuple[LongGroup, ...] = ()
        density: Density | None = None
        truncated = long_pending = False
        covered = windows[0]
        quotes: tuple[TimelineQuote, ...] | None = None
        quote_density: tuple[float, ...] | None = None
        with self._db.read() as connection:
            for start, end in windows if request.incidents else ():
                # Month- and year-long incidents starting here (thousands on 1 January of
                # a large log) are drawn as a band, not one by one: they do not count.
                lo, hi = epoch(start), epoch(end)
                long_starting = sum(g.count for g in long_groups or ()
                                    if g.precision in LONG_PRECISIONS and lo <= g.start < hi)
                count = st.count_starting(connection, flt, backend, start, end,
                                          limit + 1 + long_starting)
                if count - long_starting <= limit:
                    items, bands, truncated, long_pending = self._items_in(
                        connection, request, start, end, long_groups)
                    covered = (start, end)
                    break
            else:
                if request.incidents:
                    found = self._bin_counts(flt, request.edges, request.column, request.values)
                    density = density_of(request.edges, found, request.column, request.values)
                    if long_groups is not None:
                        density = spread(density, long_groups)
            if request.quotes:
                for start, end in windows:
                    if st.quote_count(connection, backend, start, end, limit + 1) <= limit:
                        quotes = tuple(quote_of_row(row) for row in st.quotes(
                            connection, flt, backend, start, end, limit))
                        covered = (max(covered[0], start), min(covered[1], end))
                        break
                else:
                    if flt.is_empty and not flt.deleted:
                        found_quotes = self._in_parallel(
                            request.edges,
                            lambda connection, edges: {
                                (None, number): n for number, n in
                                st.quote_bin_counts(connection, backend, edges).items()})
                        quote_density = tuple(float(found_quotes.get((None, number), 0))
                                              for number in range(len(request.edges) - 1))
        return WindowData(request, items, bands, density, quotes, quote_density, truncated,
                          time.perf_counter() - began, covered[0], covered[1], long_pending)

    def _bin_counts(self, flt: IncidentFilter, edges: Sequence[datetime], column: str | None,
                    values: Sequence[str | None]) -> dict[tuple[str | None, int], int]:
        backend = self._backend
        return self._in_parallel(
            edges, lambda connection, part: st.bin_counts(connection, flt, backend, part,
                                                          column, values))

    def _in_parallel(
        self,
        edges: Sequence[datetime],
        count: Callable[[Any, Sequence[datetime]], dict[tuple[str | None, int], int]],
    ) -> dict[tuple[str | None, int], int]:
        """Count the bins in slices on several connections at once.

        Counting a million index entries is CPU in SQLite, which lets go of
        the GIL while it steps: on two cores, two slices take half the time.
        Each slice reads in its own transaction (a write between two would
        show in one slice only: a count on screen, not a record).
        """
        workers = min(self._workers, max(1, (len(edges) - 1) // 32))
        if workers <= 1:
            with self._db.read() as connection:
                return count(connection, edges)
        from concurrent.futures import ThreadPoolExecutor

        bins = len(edges) - 1
        bounds = [round(bins * part / workers) for part in range(workers + 1)]

        def one(part: int) -> dict[tuple[str | None, int], int]:
            first, last = bounds[part], bounds[part + 1]
            with self._db.read() as connection:
                found = count(connection, edges[first:last + 1])
            return {(value, number + first): n for (value, number), n in found.items()}

        merged: dict[tuple[str | None, int], int] = {}
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for found in pool.map(one, range(workers)):
                merged.update(found)
        return merged

    def _items_in(self, connection: Any, request: WindowRequest, start: datetime,
                  end: datetime, long_groups: Sequence[LongGroup] | None
                  ) -> tuple[tuple[TimelineItem, ...], tuple[LongGroup, ...], bool, bool]:
        flt, backend = request.flt, self._backend
        lo, hi = epoch(start), epoch(end)
        precisions: tuple[str, ...] = FINE_PRECISIONS
        bands: tuple[LongGroup, ...] = ()
        covering = [g for g in long_groups or () if g.precision in LONG_PRECISIONS
                    and g.end > lo and g.start < hi]
        if long_groups is not None:
            few = sum(g.count for g in covering) <= LONG_ITEM_LIMIT
        else:  # not known yet: draw them one by one if reading them is cheap
            few = st.count_long_candidates(
                connection, flt, backend, start, end, LONG_PRECISIONS,
                LONG_CANDIDATE_LIMIT + 1) <= LONG_CANDIDATE_LIMIT
        if few:
            precisions += LONG_PRECISIONS
        else:
            bands = tuple(covering)
        rows = st.items(connection, flt, backend, start, end, request.limit + 1, precisions)
        truncated = len(rows) > request.limit
        pending = long_groups is None and not few
        items = tuple(item_of_row(row) for row in rows[: request.limit])
        if is_actor_lane(request.column):  # an incident is drawn in each of its actors' lanes
            actors = item_actors(connection, [item.id for item in items])
            items = tuple(replace(item, actors=actors.get(item.id, ())) for item in items)
        return items, bands, truncated, pending
