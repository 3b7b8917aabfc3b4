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
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from incidentlog.domain.enums import CountQualifier, TimePrecision
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Count
from incidentlog.domain.when import Moment, zone
from incidentlog.store import timeline as st
from incidentlog.store.database import Database

#: Items drawn one by one at most; above, the window is drawn as density.
ITEM_LIMIT = 5_000
#: Month- and year-long incidents drawn one by one at most; above, a summary band.
LONG_ITEM_LIMIT = 200
#: Rows read at most to find month and year incidents before ``long_intervals`` answers.
LONG_CANDIDATE_LIMIT = 2_000
#: Candidate ranges read per statement by ``long_intervals`` (it can stop between two).
LONG_SLICE = 24
FINE_PRECISIONS = ("minute", "hour", "day", "week")
LONG_PRECISIONS = ("month", "year")
SPREAD_PRECISIONS = ("week", "month", "year")

#: Density bins: (unit, count) from the finest; a view takes the first wide enough.
BIN_STEPS: tuple[tuple[str, int], ...] = (
    ("day", 1),
    ("day", 2),
    ("week", 1),
    ("week", 2),
    ("month", 1),
    ("month", 3),
    ("year", 1),
)
_STEP_SECONDS = {"day": 86_400, "week": 7 * 86_400, "month": 30.44 * 86_400,
                 "year": 365.25 * 86_400}


def epoch(instant: datetime) -> float:
    return instant.timestamp()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _stored(value: str) -> float:
    return stored_epoch(value)


# --- values ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One incident as the timeline draws it and its tooltip describes it."""

    id: int
    uid: str
    ref: str
    title: str
    start: float
    end: float
    precision: str
    tz: str
    approximate: bool
    place: str | None = None
    country: str | None = None
    event_type: str | None = None
    perpetrator: str | None = None
    status: str = "draft"
    killed: Count = field(default_factory=Count)
    injured: Count = field(default_factory=Count)

    @property
    def moment(self) -> Moment:
        return Moment(from_epoch(self.start), TimePrecision(self.precision), self.tz or "UTC",
                      self.approximate)

    @property
    def is_point(self) -> bool:
        """Minute and hour precision are drawn as a point, longer ones as a bar."""
        return self.precision in ("minute", "hour")

    def value(self, column: str | None) -> str | None:
        return getattr(self, column) if column else None


@dataclass(frozen=True, slots=True)
class TimelineQuote:
    uid: str
    start: float
    end: float
    precision: str
    tz: str
    speaker: str
    speaker_role: str | None
    text: str
    incident_uid: str | None

    @property
    def moment(self) -> Moment:
        return Moment(from_epoch(self.start), TimePrecision(self.precision), self.tz or "UTC")


@dataclass(frozen=True, slots=True)
class LongGroup:
    """Incidents sharing one long interval (and one value of the grouping column)."""

    start: float
    end: float
    precision: str
    value: str | None
    count: int


@dataclass(frozen=True, slots=True)
class Density:
    """Counts per bin [edges[i], edges[i+1]) for each value of ``column``."""

    edges: tuple[float, ...]
    counts: dict[str | None, tuple[float, ...]]
    column: str | None = None
    spread: bool = False  # long intervals moved over the bins they cover

    @property
    def bins(self) -> int:
        return len(self.edges) - 1

    def totals(self) -> list[float]:
        totals = [0.0] * self.bins
        for series in self.counts.values():
            for number, value in enumerate(series):
                totals[number] += value
        return totals


@dataclass(frozen=True, slots=True)
class WindowRequest:
    """What the view asks for: a padded window, how to bin it, how to group it."""

    flt: IncidentFilter
    start: datetime
    end: datetime
    edges: tuple[datetime, ...]  # density bins if the window is too dense
    column: str | None = None  # density per value of this column (lanes or colours)
    values: tuple[str | None, ...] = ()
    limit: int = ITEM_LIMIT
    quotes: bool = True  # the quote track too
    generation: int = 0  # the view's request counter: an older answer is dropped
    visible: tuple[datetime, datetime] | None = None  # the part on screen, inside the window
    incidents: bool = True  # False: the quote track only (asked for after the incidents)


@dataclass(frozen=True, slots=True)
class WindowData:
    request: WindowRequest
    items: tuple[TimelineItem, ...] | None = None  # None: density instead
    long_bands: tuple[LongGroup, ...] = ()  # items mode: long incidents not drawn one by one
    density: Density | None = None
    quotes: tuple[TimelineQuote, ...] | None = None  # None: quote_density instead
    quote_density: tuple[float, ...] | None = None  # None with quotes None: not available
    truncated: bool = False  # more items than the limit (a filter on the trash, a text)
    seconds: float = 0.0  # time spent in the database
    start: datetime | None = None  # what the answer covers (None: the request's window)
    end: datetime | None = None
    #: Items read before ``long_intervals`` answered, without the month- and year-long
    #: incidents (too many to read one by one): ask again once it has.
    long_pending: bool = False
    quotes_pending: bool = False  # the quote track is still being read

    @property
    def covers(self) -> tuple[datetime, datetime]:
        return (self.start or self.request.start, self.end or self.request.end)

    @property
    def mode(self) -> str:
        return "items" if self.items is not None else "density"


@dataclass(frozen=True, slots=True)
class Overview:
    """What the view needs once per filter: where the log is, and the lane values."""

    first: datetime | None
    last_end: datetime | None
    values: dict[str, tuple[str | None, ...]]  # column → values, sorted, None last

    @property
    def empty(self) -> bool:
        return self.first is None


# --- bins ----------------------------------------------------------------------------------


def bin_step(seconds_per_pixel: float, min_pixels: float = 3.0) -> tuple[str, int]:
    """The finest calendar step at least ``min_pixels`` wide at this zoom."""
    for unit, count in BIN_STEPS:
        if _STEP_SECONDS[unit] * count / seconds_per_pixel >= min_pixels:
            return unit, count
    return BIN_STEPS[-1]


def calendar_edges(
    start: datetime, end: datetime, step: tuple[str, int], tz: str = "UTC"
) -> tuple[datetime, ...]:
    """Bin edges covering [start, end) at local midnights of ``tz``.

    Days and multi-day steps count from a fixed Monday, weeks start on Monday,
    months and years on the 1st: so a bin is the same bin whatever the window
    (panning never shifts the bins) and a daylight-saving day is 23 or 25 h.
    """
    unit, count = step
    zone_info = zone(tz)
    local = start.astimezone(zone_info).replace(tzinfo=None)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        anchor = datetime(2000, 1, 3)  # a Monday
        day -= timedelta(days=(day - anchor).days % count)
    elif unit == "week":
        anchor = datetime(2000, 1, 3)
        day -= timedelta(days=(day - anchor).days % (7 * count))
    elif unit == "month":
        month_index = (day.year * 12 + day.month - 1)
        month_index -= month_index % count
        day = datetime(month_index // 12, month_index % 12 + 1, 1)
    else:
        day = datetime(day.year - day.year % count, 1, 1)
    edges: list[datetime] = []
    utc_zone = tz == "UTC"
    while True:
        edge = (day.replace(tzinfo=UTC) if utc_zone
                else day.replace(tzinfo=zone_info, fold=0).astimezone(UTC))
        edges.append(edge)
        if edge >= end or len(edges) > 20_000:
            break
        day = _advance(day, unit, count)
    return tuple(edges)


def _advance(day: datetime, unit: str, count: int) -> datetime:
    if unit == "day":
        return day + timedelta(days=count)
    if unit == "week":
        return day + timedelta(days=7 * count)
    if unit == "month":
        index = day.year * 12 + day.month - 1 + count
        return datetime(index // 12, index % 12 + 1, 1)
    return datetime(day.year + count, 1, 1)


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
        return [_item(row) for row in rows]

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
        return _density(edges, found, lane, values)

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
                found.extend(LongGroup(_stored(a), _stored(e), p, v, n)
                             for a, e, p, v, n in rows)
        return found

    def quotes(self, flt: IncidentFilter, start: datetime, end: datetime,
               limit: int = ITEM_LIMIT) -> list[TimelineQuote]:
        """Quotes said in [start, end): all those about no incident or about a matching one."""
        with self._db.read() as connection:
            rows = st.quotes(connection, flt, self._backend, start, end, limit)
        return [_quote(row) for row in rows]

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
                    density = _density(request.edges, found, request.column, request.values)
                    if long_groups is not None:
                        density = spread(density, long_groups)
            if request.quotes:
                for start, end in windows:
                    if st.quote_count(connection, backend, start, end, limit + 1) <= limit:
                        quotes = tuple(_quote(row) for row in st.quotes(
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
        return tuple(_item(row) for row in rows[: request.limit]), bands, truncated, pending


def _density(edges: Sequence[datetime], found: dict[tuple[str | None, int], int],
             column: str | None, values: Sequence[str | None] | None) -> Density:
    bins = len(edges) - 1
    keys: list[str | None] = list(values or ()) if column is not None else [None]
    counts = {key: [0.0] * bins for key in keys}
    for (value, number), n in found.items():
        counts.setdefault(value, [0.0] * bins)[number] += n
    return Density(tuple(epoch(edge) for edge in edges),
                   {key: tuple(series) for key, series in counts.items()}, column)


@lru_cache(maxsize=4096)
def _count(value: int | None, qualifier: str | None) -> Count:
    try:
        return Count(value, CountQualifier(qualifier or "unknown"))
    except ValueError:
        return Count()


@lru_cache(maxsize=16_384)
def _day_seconds(day: str) -> int:
    return (date.fromisoformat(day).toordinal() - _EPOCH_ORDINAL) * 86_400


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def stored_epoch(value: str) -> float:
    """``2024-01-20T15:30:00Z`` → POSIX seconds; 10× faster than ``strptime``, which
    mattered: converting 5,000 items took longer than reading them."""
    return float(_day_seconds(value[:10]) + int(value[11:13]) * 3600 + int(value[14:16]) * 60
                 + int(value[17:19]))


def _item(row: Sequence[Any]) -> TimelineItem:
    # Positional: ITEM_COLUMNS order.
    (id_, uid, ref, title, occurred_at, occurred_end, precision, tz, approximate, place,
     country, event_type, perpetrator, status, killed, killed_q, injured, injured_q) = row
    return TimelineItem(id_, uid, ref, title, stored_epoch(occurred_at),
                        stored_epoch(occurred_end), precision, tz or "UTC", bool(approximate),
                        place, country, event_type, perpetrator, status,
                        _count(killed, killed_q), _count(injured, injured_q))


_FIXED_LENGTH = {"minute": 60.0, "hour": 3600.0}


def _quote(row: Sequence[Any]) -> TimelineQuote:
    uid, said_at, precision, tz, speaker, role, text, incident_uid = row
    precision = precision or "minute"
    tz = tz or "UTC"
    start = stored_epoch(said_at)
    if precision in _FIXED_LENGTH:
        end = start + _FIXED_LENGTH[precision]
    else:  # a day, week or month in its own time zone (DST, month lengths)
        begin, finish = Moment(from_epoch(start), TimePrecision(precision), tz).interval()
        start, end = begin.timestamp(), finish.timestamp()
    return TimelineQuote(uid, start, end, precision, tz, speaker or "", role, text or "",
                         incident_uid)
