"""What the timeline shows, read off the GUI thread: ``TimelineFetcher``.

* **What is drawn comes from SQL, for the window on screen.** When at most
  ``ITEM_LIMIT`` incidents start in the window (padded by its own width on
  both sides, so a pan rarely needs the database), they are fetched and drawn
  one by one; otherwise counts per day, week or month, per lane.
* **Never on the GUI thread.** Each read is a ``QueryOp`` on the context's
  runner. The overview, the window (with its quote track) and the long
  intervals each have their ``Latest`` slot: an answer to an older request
  (the user kept panning, the filter changed) is dropped on arrival.
* **The quotes and the long intervals come after the incidents**: on two
  cores, reading them at the same time would delay the first frame by as much.
* Week, month and year intervals are counted where they start until
  ``long_intervals`` (slow on a large log: it reads the rows) has answered for
  the filter; the density is then spread over the bins they cover, and the
  answer is kept for every later window of the same filter.

The view tells the fetcher what it shows (``FetchHost``) and listens to its
signals to lay out again; see docs/timeline.md.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from incidentlog.domain.errors import IncidentLogError
from incidentlog.domain.query import IncidentFilter
from incidentlog.gui.operations import Latest, QueryOp
from incidentlog.gui.timeline.scale import TimeScale
from incidentlog.gui.workers import CancelFn, Task, TaskRunner
from incidentlog.services.timeline import (
    ITEM_LIMIT,
    Density,
    LongGroup,
    Overview,
    TimelineQuery,
    WindowData,
    WindowRequest,
    bin_step,
    calendar_edges,
    from_epoch,
    spread,
)
from incidentlog.store.timeline import covering_index

FETCH_DELAY_MS = 30


class FetchHost(Protocol):
    """What the fetcher asks of the view it reads for."""

    time_scale: TimeScale

    @property
    def lane_column(self) -> str | None: ...

    @property
    def colour_column(self) -> str: ...

    @property
    def time_zone(self) -> str: ...

    def incident_filter(self) -> IncidentFilter: ...

    def span_on_screen(self) -> tuple[float, float]:
        """Epoch seconds at the left and right edges of the view."""
        ...


class TimelineFetcher(QObject):
    """The overview, the window on screen, its quotes and the long intervals of a filter."""

    #: The overview (first and last incident, lane values) of the filter arrived.
    overviewArrived = Signal()
    #: The long intervals of the filter arrived (``long_groups``).
    longArrived = Signal()
    #: Incidents or the quote track of the window arrived: lay out again.
    windowArrived = Signal()
    #: A read failed with an error to show (``message``).
    failed = Signal()

    def __init__(self, host: FetchHost, query: TimelineQuery, runner: TaskRunner,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._host = host
        self.query = query
        self._runner = runner
        #: Nothing is read until the view is first shown: at start-up the table
        #: needs the database to itself, and a tab never opened costs nothing.
        self.enabled = False
        self.overview: Overview | None = None
        self._overview_key: tuple[Any, ...] | None = None
        self.long_groups: list[LongGroup] | None = None
        self._long_key: tuple[Any, ...] | None = None
        self.data: WindowData | None = None
        self.quote_data: WindowData | None = None
        self.stale = False  # the answer in hand must be asked again (long intervals known)
        self.message: str | None = None  # an error to show instead of the picture
        self._asked: WindowRequest | None = None  # the question of the window op
        self._window_op: QueryOp[WindowData] | None = None
        self._generation = 0  # numbers the requests: a quote track goes with its incidents
        self._spread_cache: tuple[Any, Density | None] = (None, None)
        self._overview_ops = Latest()
        self._window_ops = Latest()  # the window, then its quote track
        self._long_ops = Latest()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(FETCH_DELAY_MS)
        self.timer.timeout.connect(self.fetch)

    # --- what the view asks --------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A request is under way (the long intervals aside), its answer not delivered."""
        return self._overview_ops.waiting or self._window_ops.waiting

    @property
    def long_task(self) -> Task | None:
        """The task reading the long intervals (None when none is wanted)."""
        op = self._long_ops.current
        return op.task if op is not None else None

    def density_column(self) -> str | None:
        """Density per lane, else stacked by colour when an index covers the colour."""
        host = self._host
        if host.lane_column is not None:
            return host.lane_column
        if covering_index(host.incident_filter(), host.colour_column) is not None:
            return host.colour_column
        return None

    def invalidate(self, *, overview: bool = False, long: bool = False) -> None:
        """Forget the window (and the overview, the long intervals) and ask again."""
        if overview:
            self._overview_key = None
        if overview or long:
            self._long_key = None
            self._long_ops.drop()
        self.data = None
        self.request_overview()

    def forget_window(self) -> None:
        """The window in hand no longer serves (the bins follow the time zone's midnights)."""
        self.data = None

    def cancel_long(self) -> None:
        """Stop the slow read of long intervals: it stops within a slice."""
        if self.long_groups is None and self._long_ops.current is not None:
            self._long_ops.drop()
            self._long_key = None  # asked again if the view is used again

    def density(self, data: WindowData) -> Density | None:
        """The counts of ``data``, spread over the bins long intervals cover once known."""
        density = data.density
        if density is not None and self.long_groups is not None and \
                self._long_key == (data.request.flt, data.request.column):
            # Once per answer and per long-interval answer, not per zoom step.
            key = (id(self.data), id(self.long_groups))
            if self._spread_cache[0] != key:
                self._spread_cache = (key, spread(density, self.long_groups))
            density = self._spread_cache[1]
        return density

    def merged(self, visible: tuple[datetime, datetime]) -> WindowData | None:
        """The incidents of the last answer with the quote track that goes with them.

        Until the quotes of this answer arrive, those of an earlier one stay if
        they are for the same filter and still cover the view (a pan does not
        blank the track); else the track says it is loading.
        """
        data, quotes = self.data, self.quote_data
        if data is None:
            return None
        usable = quotes is not None and (
            quotes.request.generation == data.request.generation
            or (quotes.request.flt == data.request.flt and _covers(quotes, visible)))
        if not usable or quotes is None:
            return replace(data, quotes=None, quote_density=None, quotes_pending=True)
        start, end = data.covers
        quote_start, quote_end = quotes.covers
        return replace(data, quotes=quotes.quotes, quote_density=quotes.quote_density,
                       start=max(start, quote_start), end=min(end, quote_end))

    def notice(self, laid_out: bool) -> str | None:
        """What to say over the picture: an error, no incident, loading, or a cut list."""
        if self.message is not None:
            return self.message
        overview = self.overview
        if overview is not None and overview.empty:
            return (_tr("No incident matches the filter.")
                    if not self._host.incident_filter().is_empty
                    else _tr("The log has no incidents."))
        if not laid_out:
            return _tr("Loading…")
        if self.data is not None and self.data.truncated:
            return _tr("Showing the first %1 incidents: zoom in or filter to see "
                       "the others.").replace("%1", f"{ITEM_LIMIT:,}")
        return None

    # --- reading -------------------------------------------------------------------------
    def request_overview(self) -> None:
        if not self.enabled:
            return  # the view asks when it is first shown
        host = self._host
        columns = tuple(dict.fromkeys(c for c in (host.lane_column, host.colour_column) if c))
        flt = host.incident_filter()
        key = (flt, columns)
        if key == self._overview_key:
            self.schedule(0)
            return
        self._overview_key = key
        self._window_ops.drop()  # its answer is for the old filter or lanes
        query = self.query
        self._run(QueryOp(parent=self, op=lambda _cancelled: query.overview(flt, columns),
                          success=self._on_overview), self._overview_ops)

    def _on_overview(self, overview: Overview) -> None:
        self.overview = overview
        self.overviewArrived.emit()

    def _request_long_groups(self) -> None:
        column = self.density_column()
        flt, query = self._host.incident_filter(), self.query
        key = (flt, column)
        if key == self._long_key:
            return
        self._long_key = key
        self.long_groups = None

        def work(cancelled: CancelFn) -> list[LongGroup] | None:
            groups = query.long_intervals(flt, column, cancelled=cancelled)
            return None if cancelled() else groups  # a part would spread a part

        self._run(QueryOp(parent=self, op=work, success=self._on_long), self._long_ops)

    def _on_long(self, groups: list[LongGroup] | None) -> None:
        if groups is None:
            return
        self.long_groups = groups
        data = self.data
        if data is not None and (data.long_pending or _items_now_possible(data, groups)):
            # Items: month and year incidents, one by one or a band, are now known.
            # Density: a window may hold few incidents but for long ones starting
            # in it (1 January), which no longer force counts.
            self.stale = True  # keep drawing it until the new answer comes
            self.schedule(0)
        self.longArrived.emit()

    def _run(self, op: QueryOp[Any], latest: Latest) -> None:
        op.failure(self._on_failed).latest_in(latest).run_in_background(self._runner)

    def _on_failed(self, error: BaseException) -> None:
        if isinstance(error, IncidentLogError):
            self.message = error.message
            self.failed.emit()
            return
        raise error

    def schedule(self, delay: int = FETCH_DELAY_MS) -> None:
        """Ask for the window on screen ``delay`` ms from now, unless the answer in hand
        serves it: a wheel turn or a drag asks once, when it pauses."""
        if self.overview is None:
            return
        if self.covers():
            return
        self.timer.start(delay)

    def _visible(self) -> tuple[datetime, datetime]:
        start, end = self._host.span_on_screen()
        return from_epoch(start), from_epoch(end)

    def covers(self) -> bool:
        """The answer in hand still serves the visible window at this zoom."""
        data = self.data
        if data is None or self.stale:
            return False
        request = data.request
        visible = self._visible()
        if request.flt != self._host.incident_filter() \
                or request.column != self.density_column():
            return False
        covered = data.covers
        if visible[0] < covered[0] or visible[1] > covered[1]:
            return False
        if data.mode == "density":
            # The same bins, and not so zoomed in that items would now be drawn.
            step = bin_step(self._host.time_scale.spp)
            span = request.end - request.start
            return step == step_of(request) and (visible[1] - visible[0]) * 3 > span * 0.5
        # Items of a window much wider than the visible one are still right, but
        # zooming out past the padded window needs a new answer.
        return True

    def fetch(self) -> None:
        """Ask for the visible window padded by its width on both sides."""
        overview = self.overview
        if overview is None:
            return
        host = self._host
        start, end = host.span_on_screen()
        span = end - start
        edges = calendar_edges(from_epoch(start - span), from_epoch(end + span),
                               bin_step(host.time_scale.spp), host.time_zone)
        flt, column = host.incident_filter(), self.density_column()
        values = overview.values.get(column, ()) if column else ()
        long_groups = self.long_groups if self._long_key == (flt, column) else None
        request = WindowRequest(flt, edges[0], edges[-1], edges, column, values,
                                ITEM_LIMIT, False, self._generation + 1, self._visible())
        pending = self._window_op
        if pending is not None and not pending.arrived and self._asked is not None \
                and self._window_ops.is_current(pending) \
                and _same_question(self._asked, request, long_groups is not None):
            return  # the answer on its way will do: do not ask twice
        self._generation += 1
        self._asked = request
        query = self.query
        self._window_op = QueryOp(parent=self,
                                  op=lambda _cancelled: query.window(request, long_groups),
                                  success=self._on_window)
        self._run(self._window_op, self._window_ops)

    def _on_window(self, data: WindowData) -> None:
        """An answer: the incidents first, then (asked for then) the quote track."""
        if data.request is self._asked:
            self._asked = None
        self.message = None
        if not data.request.incidents:
            self.quote_data = data
            self.windowArrived.emit()
            return
        self.data = data
        self.stale = False
        self.windowArrived.emit()
        quotes = replace(data.request, incidents=False, quotes=True)
        query = self.query
        self._run(QueryOp(parent=self, op=lambda _cancelled: query.window(quotes),
                          success=self._on_window), self._window_ops)
        self._request_long_groups()


def _items_now_possible(data: WindowData, groups: list[LongGroup]) -> bool:
    """Counts were drawn, but without the month- and year-long incidents starting in the
    window (which are drawn as a band) few enough would remain to draw one by one."""
    if data.density is None or data.density.spread:
        return False
    lo, hi = data.request.start.timestamp(), data.request.end.timestamp()
    long_starting = sum(group.count for group in groups
                        if group.precision in ("month", "year") and lo <= group.start < hi)
    return sum(data.density.totals()) - long_starting <= data.request.limit


def _same_question(asked: WindowRequest, request: WindowRequest, with_long: bool) -> bool:
    """Would the answer to ``asked`` (still running) serve ``request`` as well?"""
    return (asked.flt == request.flt and asked.column == request.column
            and asked.values == request.values and asked.edges[0] <= request.edges[0]
            and asked.edges[-1] >= request.edges[-1]
            and step_of(asked) == step_of(request) and asked.visible == request.visible
            and not with_long)


def _covers(data: WindowData, window: tuple[datetime, datetime]) -> bool:
    start, end = data.covers
    return start <= window[0] and window[1] <= end


def step_of(request: WindowRequest) -> tuple[str, int]:
    """The calendar step of a request's bins (from their edges)."""
    edges = request.edges
    if len(edges) < 2:
        return ("day", 1)
    days = (edges[1] - edges[0]).total_seconds() / 86_400
    if days < 1.5:
        return ("day", 1)
    if days < 3:
        return ("day", 2)
    if days < 10:
        return ("week", 1)
    if days < 20:
        return ("week", 2)
    if days < 40:
        return ("month", 1)
    if days < 120:
        return ("month", 3)
    return ("year", 1)


def _tr(text: str) -> str:
    return QCoreApplication.translate("TimelineView", text)


__all__ = ["FETCH_DELAY_MS", "FetchHost", "TimelineFetcher", "step_of"]
