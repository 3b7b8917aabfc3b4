"""The timeline: incidents, quotes and named periods along a time axis.

``TimelineWidget`` is what the main window adds (a small toolbar over the
view); ``TimelineView`` (object name ``timelineView``) is the
``QGraphicsView`` itself. Both take the ``AppContext`` and nothing else: the
view follows the shared filter and current incident, sets the current
incident when clicked, and redraws when the services announce changes.

Why it is built this way (issue 4):

* **One painted item, never one item per incident.** The scene holds a single
  ``QGraphicsItem`` as wide as the viewport; it paints the layout of
  ``timeline_paint`` for the exposed rectangle only. Time is mapped to x by
  ``TimeScale`` rather than by scaling the view, so marks and text keep their
  size from seven years down to one minute.
* **What is drawn comes from SQL, for the window on screen.** When at most
  5,000 incidents start in the window (padded by its own width on both sides,
  so a pan rarely needs the database), they are fetched and drawn one by
  one; otherwise counts per day, week or month are drawn, per lane.
* **Never on the GUI thread.** Each request runs on ``context.runner`` (a
  ``QThreadPool``) and returns plain values through a queued signal; an
  answer to an older request (the user kept panning, the filter changed) is
  dropped on arrival by its generation number.
* Week, month and year intervals are counted where they start until
  ``long_intervals`` (slow on a large log: it reads the rows) has answered for
  the filter; the density is then spread over the bins they cover, and the
  answer is kept for every later window of the same filter.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QBuffer,
    QCoreApplication,
    QEvent,
    QIODevice,
    QLineF,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QLabel,
    QMenu,
    QMessageBox,
    QStyleOptionGraphicsItem,
    QToolBar,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.errors import ExchangeError
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Period
from incidentlog.domain.when import is_zone, zone, zone_label
from incidentlog.gui.context import AppContext
from incidentlog.gui.settings import LAST_DIR, TIMELINE_COLOUR, TIMELINE_LANES, TIMELINE_ZONE
from incidentlog.gui.timeline_paint import (
    CAPTION,
    DENSITY_COLOUR,
    PERIOD_COLOUR,
    QUOTE_COLOUR,
    ROW,
    Layout,
    PaintState,
    Placed,
    PlacedQuote,
    build_layout,
    paint_layout,
    value_colour,
    value_label,
)
from incidentlog.gui.timeline_periods import (
    PeriodDialog,
    create_period,
    delete_period,
    error_text,
    update_period,
)
from incidentlog.gui.timeline_scale import (
    TimeScale,
    axis_ticks,
    describe_span,
)
from incidentlog.gui.workers import Task
from incidentlog.services import Changes
from incidentlog.services.timeline import (
    ITEM_LIMIT,
    LongGroup,
    Overview,
    TimelineItem,
    TimelineQuery,
    TimelineQuote,
    WindowData,
    WindowRequest,
    bin_step,
    calendar_edges,
    from_epoch,
    spread,
)
from incidentlog.store.timeline import covering_index

#: Lane choices: (column or None, label). Colour choices likewise.
LANE_CHOICES: tuple[tuple[str | None, str], ...] = (
    (None, "No lanes"),
    ("country", "Country"),
    ("event_type", "Event type"),
    ("perpetrator", "Perpetrator"),
    ("place", "Place"),
)
COLOUR_CHOICES: tuple[tuple[str, str], ...] = (("event_type", "Event type"),
                                               ("status", "Status"))
AXIS_HEIGHT = 42.0
PERIOD_ROW = 18.0
FOOTER_HEIGHT = 24.0
FETCH_DELAY_MS = 30
ZOOM_STEP = 1.25



class _Canvas(QGraphicsItem):
    """The one item of the scene: paints the view's layout where exposed."""

    def __init__(self, view: TimelineView) -> None:
        super().__init__()
        self._view = view
        self._rect = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)

    def set_rect(self, rect: QRectF) -> None:
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = QRectF(rect)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        self._view.paint_canvas(painter, option.exposedRect)


class TimelineView(QGraphicsView):
    """Incidents and quotes in time, on the shared filter and current incident."""

    #: Double-click on an incident: the main window opens it in the form.
    openIncidentRequested = Signal(str)
    #: A new answer from the database has been laid out (tests wait on it).
    layoutChanged = Signal()
    #: The visible time window moved or zoomed: (start, end) as aware datetimes.
    windowChanged = Signal(object, object)
    #: Lanes, colours or time zone changed (the toolbar follows).
    optionsChanged = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName("timelineView")
        self.setAccessibleName(self.tr("Timeline"))
        self.query = TimelineQuery(context.services.database)
        self.scale = TimeScale()
        # Nothing is read until the view is first shown: at start-up the table
        # needs the database to itself, and a tab never opened costs nothing.
        self._shown_once = False
        settings = context.settings
        lanes = settings.get(TIMELINE_LANES)
        self._lane_column: str | None = lanes if lanes in dict(LANE_CHOICES) else None
        colour = settings.get(TIMELINE_COLOUR)
        self._colour_column = colour if colour in dict(COLOUR_CHOICES) else "event_type"
        tz = settings.get(TIMELINE_ZONE)
        self._zone = tz if is_zone(tz) else "UTC"

        self._overview: Overview | None = None
        self._overview_key: tuple[Any, ...] | None = None
        self._overview_task: Task | None = None
        self._long_groups: list[LongGroup] | None = None
        self._long_key: tuple[Any, ...] | None = None
        self._long_task: Task | None = None
        self._data: WindowData | None = None
        self._layout: Layout | None = None
        self._generation = 0
        self._window_task: Task | None = None
        self._quote_task: Task | None = None
        self._quote_data: WindowData | None = None
        self._stale = False  # the answer in hand must be asked again (long intervals known)
        self._message: str | None = None  # an error to show instead of the picture
        self._asked: WindowRequest | None = None  # the last question sent
        self._outstanding: set[Task] = set()  # asked, answer not delivered yet
        self._asked_long = False
        self._fitted = False
        self._fit_pending = True
        self._auto_fit = True  # fit again on resize until the user zooms or pans
        self._spread_cache: tuple[Any, Any] = (None, None)
        self._ticks_cache: tuple[Any, Any] = (None, None)
        self._widths: dict[tuple[float, str], float] = {}
        self._legend_cache: tuple[Any, list[str | None]] = (None, [])
        self._reveal_uid: str | None = None
        self._periods: list[Period] = []
        self._period_levels: dict[str, int] = {}
        self._press: QPointF | None = None
        self._dragging = False
        self._drag_scroll = 0
        self._selecting = False

        scene = QGraphicsScene(self)
        self.setScene(scene)
        self._canvas = _Canvas(self)
        scene.addItem(self._canvas)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontSavePainterState
                                  | QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(QSize(320, 200))
        self.verticalScrollBar().valueChanged.connect(lambda _v: self.viewport().update())

        self._fetch_timer = QTimer(self)
        self._fetch_timer.setSingleShot(True)
        self._fetch_timer.setInterval(FETCH_DELAY_MS)
        self._fetch_timer.timeout.connect(self._fetch)

        state = context.state
        state.filterChanged.connect(self._on_filter_changed)
        state.currentIncidentChanged.connect(self._on_current_changed)
        state.selectionChanged.connect(lambda _uids: self.viewport().update())
        context.bus.changed.connect(self._on_changes)
        self._load_periods()
        self._request_overview()

    # --- public API ---------------------------------------------------------------------
    @property
    def lane_column(self) -> str | None:
        return self._lane_column

    def set_lane_column(self, column: str | None) -> None:
        """Lanes by country, event type, perpetrator or place (None: one lane)."""
        if column == self._lane_column:
            return
        if column is not None and column not in dict(LANE_CHOICES):
            raise ValueError(f"no lanes by {column!r}")
        self._lane_column = column
        self.context.settings.set(TIMELINE_LANES, column)
        self._invalidate(overview=True)
        self.optionsChanged.emit()

    @property
    def colour_column(self) -> str:
        return self._colour_column

    def set_colour_column(self, column: str) -> None:
        """Colour marks by event type or by status."""
        if column == self._colour_column:
            return
        if column not in dict(COLOUR_CHOICES):
            raise ValueError(f"no colours by {column!r}")
        self._colour_column = column
        self.context.settings.set(TIMELINE_COLOUR, column)
        self._invalidate(overview=True)
        self.optionsChanged.emit()

    @property
    def time_zone(self) -> str:
        return self._zone

    def set_time_zone(self, tz: str) -> None:
        """Show the axis (and count days) in this IANA zone."""
        zone(tz)  # ValueError with a readable message when unknown
        if tz == self._zone:
            return
        self._zone = tz
        self.context.settings.set(TIMELINE_ZONE, tz)
        self._data = None  # the bins follow the zone's midnights
        self._relayout()
        self._schedule_fetch(0)
        self.optionsChanged.emit()

    def visible_window(self) -> tuple[datetime, datetime]:
        width = self.viewport().width()
        return from_epoch(self.scale.t(0)), from_epoch(self.scale.t(width))

    def set_visible_window(self, start: datetime, end: datetime) -> None:
        """Show [start, end) across the view (after the lane captions)."""
        gutter = self._gutter_width()
        width = self.viewport().width() - gutter
        self.scale.fit(start.timestamp(), end.timestamp(), width, margin=0.0)
        self.scale.t0 -= gutter * self.scale.spp
        self._fitted = True
        self._fit_pending = False
        self._auto_fit = False
        self._scale_changed(delay=0)

    def x_of(self, instant: datetime) -> float:
        """Viewport x of an instant."""
        return self.scale.x_of(instant)

    @property
    def mode(self) -> str | None:
        """"items", "density" or None before the first answer."""
        return self._data.mode if self._data is not None else None

    @property
    def layout_data(self) -> Layout | None:
        return self._layout

    def shown_items(self) -> list[TimelineItem]:
        return [placed.item for placed in self._layout.placed] if self._layout else []

    def shown_quotes(self) -> list[TimelineQuote]:
        return [placed.quote for placed in self._layout.quotes] if self._layout else []

    def item_rect(self, uid: str) -> QRectF | None:
        """Where an incident's mark is drawn, in viewport coordinates (None: not drawn)."""
        placed = self._layout.by_uid.get(uid) if self._layout else None
        if placed is None:
            return None
        rect = placed.rect().translated(self._layout.x_shift(self.scale.t0), 0)  # type: ignore[union-attr]
        return self.viewportTransform().mapRect(rect)

    def row_of(self, uid: str) -> tuple[str | None, int] | None:
        """(lane value, row in the lane) of a drawn incident."""
        placed = self._layout.by_uid.get(uid) if self._layout else None
        if placed is None:
            return None
        return self._layout.lanes[placed.lane].value, placed.row  # type: ignore[union-attr]

    def lanes(self) -> list[str | None]:
        return [lane.value for lane in self._layout.lanes] if self._layout else []

    def periods(self) -> list[Period]:
        return list(self._periods)

    def period_span_x(self, uid: str) -> tuple[float, float] | None:
        for period in self._periods:
            if period.meta.uid == uid and period.start and period.end:
                return (self.scale.x_of(period.start.interval()[0]),
                        self.scale.x_of(period.end.interval()[1]))
        return None

    def is_busy(self) -> bool:
        """A request to the database is under way (the long intervals aside)."""
        return bool(self._outstanding)

    def fit_all(self) -> None:
        """Show every incident that matches the filter."""
        overview = self._overview
        if overview is None or overview.first is None or overview.last_end is None:
            self._fit_pending = True
            return
        end = overview.last_end.timestamp()
        for group in self._long_groups or ():
            end = max(end, group.end)
        start = overview.first.timestamp()
        span = max(end - start, 3600.0)
        self.set_visible_window(from_epoch(start - span * 0.03), from_epoch(end + span * 0.03))
        self._auto_fit = True

    def zoom_in(self) -> None:
        self._zoom(1 / ZOOM_STEP, self._content_centre())

    def zoom_out(self) -> None:
        self._zoom(ZOOM_STEP, self._content_centre())

    def zoom_to_selection(self) -> bool:
        """Fit the selected incidents (or the current one); False when there is none."""
        state = self.context.state
        uids = list(state.selected_incidents) or (
            [state.current_incident] if state.current_incident else [])
        spans = [span for span in (self._interval_of(uid) for uid in uids[:500]) if span]
        if not spans:
            return False
        start = min(span[0] for span in spans)
        end = max(span[1] for span in spans)
        span = max(end - start, 2 * 3600.0)
        middle = (start + end) / 2
        self.set_visible_window(from_epoch(middle - span * 0.6), from_epoch(middle + span * 0.6))
        return True

    def cancel_work(self) -> None:
        """Stop the slow read of long intervals (closing the window, switching logs):
        ``context.close()`` waits for running work, and it stops within a slice."""
        task = self._long_task
        if task is not None and self._long_groups is None:
            task.cancel()
            self._long_key = None  # asked again if the view is used again

    def closeEvent(self, event: Any) -> None:
        self.cancel_work()
        super().closeEvent(event)

    def refresh(self) -> None:
        """Forget what was read and ask the database again."""
        self._invalidate(overview=True)

    # --- exports -----------------------------------------------------------------------------
    def render_image(self, size: QSize | None = None) -> QImage:
        """The view as it is on screen (no scroll bar), as an image of ``size`` (the view's)."""
        size = size or self.size()
        image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(self.palette().color(QPalette.ColorRole.Base))
        painter = QPainter(image)
        try:
            source = self.viewport().rect()
            self.render(painter, QRectF(0, 0, source.width(), source.height()), source)
        finally:
            painter.end()
        return image

    def export_png(self, path: str | Path) -> bool:
        """The current view as a PNG of the view's size.

        Written as every export is (``atomic_file``): whole or not at all,
        owner-only, never through a link or over a device (``ExchangeError``).
        """
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not self.render_image().save(buffer, "PNG"):
            return False
        _write_export(Path(path), bytes(buffer.data().data()))
        return True

    def export_svg(self, path: str | Path) -> bool:
        """The current view as an SVG drawing (vector: for a report)."""
        from PySide6.QtSvg import QSvgGenerator

        size = self.size()
        generator = QSvgGenerator()
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        generator.setOutputDevice(buffer)
        generator.setSize(size)
        generator.setViewBox(QRect(QPoint(0, 0), size))
        generator.setResolution(96)
        generator.setTitle(self.tr("incidentlog timeline"))
        start, end = self.visible_window()
        generator.setDescription(self.tr("Incidents from %1 to %2").replace(
            "%1", f"{start:%Y-%m-%d %H:%M}").replace("%2", f"{end:%Y-%m-%d %H:%M} UTC"))
        painter = QPainter()
        if not painter.begin(generator):
            return False
        try:
            painter.fillRect(QRectF(0, 0, size.width(), size.height()),
                             self.palette().color(QPalette.ColorRole.Base))
            source = self.viewport().rect()
            self.render(painter, QRectF(0, 0, source.width(), source.height()), source)
        finally:
            painter.end()
        text = _svg_in_pixels(bytes(buffer.data().data()).decode("utf-8"), size)
        if text is None:
            return False
        _write_export(Path(path), text.encode("utf-8"))
        return True

    # --- data ----------------------------------------------------------------------------------
    def _flt(self) -> IncidentFilter:
        return self.context.state.filter

    def _density_column(self) -> str | None:
        """Density per lane, else stacked by colour when an index covers the colour."""
        if self._lane_column is not None:
            return self._lane_column
        if covering_index(self._flt(), self._colour_column) is not None:
            return self._colour_column
        return None

    def _columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for c in (self._lane_column, self._colour_column) if c))

    def _invalidate(self, *, overview: bool = False, long: bool = False) -> None:
        if overview:
            self._overview_key = None
        if overview or long:
            self._long_key = None
        self._data = None
        self._request_overview()

    def _request_overview(self) -> None:
        if not self._shown_once:
            return  # showEvent asks for it
        key = (self._flt(), self._columns())
        if key == self._overview_key:
            self._schedule_fetch(0)
            return
        self._overview_key = key
        self._generation += 1
        if self._overview_task is not None:
            self._overview_task.cancel()
        flt, columns, query = key[0], key[1], self.query
        self._overview_task = self._start(
            lambda _progress, _cancelled: query.overview(flt, columns),
            lambda overview, key=key: self._on_overview(key, overview))

    def _on_overview(self, key: tuple[Any, ...], overview: Overview) -> None:
        if key != self._overview_key:
            return  # the filter or the lanes changed since
        self._overview = overview
        if self._fit_pending and not overview.empty:
            self.fit_all()
        self._relayout()
        self._schedule_fetch(0)

    def _request_long_groups(self) -> None:
        column = self._density_column()
        key = (self._flt(), column)
        if key == self._long_key:
            return
        self._long_key = key
        self._long_groups = None
        if self._long_task is not None:
            self._long_task.cancel()
        flt, query = self._flt(), self.query

        def work(_progress: Callable[[int, int], None], cancelled: Callable[[], bool]
                 ) -> list[LongGroup] | None:
            groups = query.long_intervals(flt, column, cancelled=cancelled)
            return None if cancelled() else groups  # a part would spread a part

        self._long_task = self._start(work, lambda groups, key=key: self._on_long(key, groups),
                                      counts=False)

    def _on_long(self, key: tuple[Any, ...], groups: list[LongGroup] | None) -> None:
        if key != self._long_key or groups is None:
            return
        self._long_groups = groups
        if self._fit_pending or not self._fitted or self._auto_fit:
            self.fit_all()  # a year-long incident may end the log later than its last start
        data = self._data
        if data is not None and (data.long_pending or _items_now_possible(data, groups)):
            # Items: month and year incidents, one by one or a band, are now known.
            # Density: a window may hold few incidents but for long ones starting
            # in it (1 January), which no longer force counts.
            self._stale = True  # keep drawing it until the new answer comes
            self._schedule_fetch(0)
        self._relayout()

    def _start(self, work: Callable[..., Any], done: Callable[[Any], None], *,
               counts: bool = True) -> Task:
        """Run ``work`` on the runner; ``done`` gets its answer on the GUI thread.

        ``counts``: the view is busy until the answer has been *delivered* (a
        task is done in its thread before its queued answer reaches us).
        """
        task = Task(work)
        if counts:
            self._outstanding.add(task)

        def delivered(result: Any) -> None:
            # The view may be gone by the time a slow answer arrives (another log
            # was opened, the window closed): then there is nothing to draw.
            if not shiboken6.isValid(self):
                return
            self._outstanding.discard(task)
            done(result)

        def failed(error: BaseException) -> None:
            if not shiboken6.isValid(self):
                return
            self._outstanding.discard(task)
            self._on_failed(error)

        task.succeeded.connect(delivered)
        task.failed.connect(failed)
        return self.context.runner.submit(task)

    def _on_failed(self, error: BaseException) -> None:
        from incidentlog.domain.errors import IncidentLogError

        if isinstance(error, IncidentLogError):
            self._message = error.message
            self.viewport().update()
            return
        raise error

    def _schedule_fetch(self, delay: int = FETCH_DELAY_MS) -> None:
        if self._overview is None:
            return
        if self._covers():
            return
        self._fetch_timer.start(delay)

    def _wanted(self) -> tuple[datetime, datetime, tuple[str, int]]:
        width = max(self.viewport().width(), 1)
        start, end = self.scale.t(0), self.scale.t(width)
        span = end - start
        step = bin_step(self.scale.spp)
        return from_epoch(start - span), from_epoch(end + span), step

    def _covers(self) -> bool:
        """The answer in hand still serves the visible window at this zoom."""
        data = self._data
        if data is None or self._stale:
            return False
        request = data.request
        width = max(self.viewport().width(), 1)
        visible = (from_epoch(self.scale.t(0)), from_epoch(self.scale.t(width)))
        if request.flt != self._flt() or request.column != self._density_column():
            return False
        covered = data.covers
        if visible[0] < covered[0] or visible[1] > covered[1]:
            return False
        if data.mode == "density":
            # The same bins, and not so zoomed in that items would now be drawn.
            step = bin_step(self.scale.spp)
            span = request.end - request.start
            return step == _step_of(request) and (visible[1] - visible[0]) * 3 > span * 0.5
        # Items of a window much wider than the visible one are still right, but
        # zooming out past the padded window needs a new answer.
        return True

    def _fetch(self) -> None:
        overview = self._overview
        if overview is None:
            return
        start, end, step = self._wanted()
        column = self._density_column()
        values = overview.values.get(column, ()) if column else ()
        edges = calendar_edges(start, end, step, self._zone)
        self._generation += 1
        long_groups = self._long_groups if self._long_key == (self._flt(), column) else None
        width = max(self.viewport().width(), 1)
        visible = (from_epoch(self.scale.t(0)), from_epoch(self.scale.t(width)))
        request = WindowRequest(self._flt(), edges[0], edges[-1], edges, column, values,
                                ITEM_LIMIT, False, self._generation, visible)
        pending = self._window_task
        if pending is not None and pending in self._outstanding and self._asked is not None and \
                _same_question(self._asked, request, long_groups is not None):
            self._generation -= 1  # the answer on its way will do: do not ask twice
            return
        self._asked = request
        self._asked_long = long_groups is not None
        query = self.query
        self._window_task = self._start(
            lambda _progress, _cancelled: query.window(request, long_groups),
            self._on_window)

    def _on_window(self, data: WindowData) -> None:
        """An answer: the incidents first, then (asked for then) the quote track.

        The quotes and the long intervals are asked for only once the incidents
        are on screen: on two cores, reading them at the same time would delay
        the first frame by as much.
        """
        if data.request.generation != self._generation:
            return  # an older window: the view moved on
        if data.request is self._asked:
            self._asked = None
        self._message = None
        if not data.request.incidents:
            self._quote_data = data
            self._relayout()
            self.layoutChanged.emit()
            return
        self._data = data
        self._stale = False
        self._relayout()
        self.layoutChanged.emit()
        quotes = replace(data.request, incidents=False, quotes=True)
        query = self.query
        self._quote_task = self._start(
            lambda _progress, _cancelled: query.window(quotes), self._on_window)
        self._request_long_groups()

    # --- layout ------------------------------------------------------------------------------
    def _header_height(self) -> float:
        levels = max(self._period_levels.values(), default=-1) + 1
        return AXIS_HEIGHT + PERIOD_ROW * levels

    def _gutter_width(self) -> float:
        """Room kept at the left for the lane names when fitting a window."""
        if not self._lane_column:
            return 0.0
        values = self._overview.values.get(self._lane_column, ()) if self._overview else ()
        metrics = QFontMetricsF(self._small_font())
        widest = max((self._text_width(metrics, value_label(self._lane_column, v))
                      for v in values), default=60.0)
        return min(widest + 16, 190.0)

    def _merged(self) -> WindowData | None:
        """The incidents of the last answer with the quote track that goes with them.

        Until the quotes of this answer arrive, those of an earlier one stay if
        they are for the same filter and still cover the view (a pan does not
        blank the track); else the track says it is loading.
        """
        data, quotes = self._data, self._quote_data
        if data is None:
            return None
        usable = quotes is not None and (
            quotes.request.generation == data.request.generation
            or (quotes.request.flt == data.request.flt and _covers(quotes, self.visible_window())))
        if not usable or quotes is None:
            return replace(data, quotes=None, quote_density=None, quotes_pending=True)
        start, end = data.covers
        quote_start, quote_end = quotes.covers
        return replace(data, quotes=quotes.quotes, quote_density=quotes.quote_density,
                       start=max(start, quote_start), end=min(end, quote_end))

    def _relayout(self) -> None:
        data = self._merged()
        header = self._header_height()
        available = self.viewport().height() - header - FOOTER_HEIGHT
        if data is None:
            self._layout = None
        else:
            column = data.request.column
            values = (self._overview.values.get(self._lane_column, ())
                      if self._overview and self._lane_column else ())
            density = data.density
            if density is not None and self._long_groups is not None and \
                    self._long_key == (data.request.flt, column):
                # Once per answer and per long-interval answer, not per zoom step.
                key = (id(self._data), id(self._long_groups))
                if self._spread_cache[0] != key:
                    self._spread_cache = (key, spread(density, self._long_groups))
                density = self._spread_cache[1]
            self._layout = build_layout(
                data, t0=self.scale.t0, spp=self.scale.spp, lane_column=self._lane_column,
                lane_values=values, colour_column=self._colour_column, content_top=header,
                available_height=available, font=self._small_font(), density=density)
        height = (self._layout.content_height if self._layout else header) + FOOTER_HEIGHT
        rect = QRectF(0, 0, self.viewport().width(), max(height, self.viewport().height()))
        self.scene().setSceneRect(rect)
        self._canvas.set_rect(rect)
        self._reveal()
        self._describe()
        self.viewport().update()

    def _scale_changed(self, delay: int = FETCH_DELAY_MS) -> None:
        """After a zoom or a pan: lay out again at a new zoom, translate at the same one.

        The database is asked ``delay`` ms later, so that a wheel turn or a drag
        asks once when it pauses, not at every step.
        """
        layout = self._layout
        if layout is not None and abs(layout.spp - self.scale.spp) > 1e-9 * layout.spp:
            self._relayout()
        else:
            self.viewport().update()
        self._schedule_fetch(delay)
        self.windowChanged.emit(*self.visible_window())

    def _reveal(self) -> None:
        """Scroll vertically to the incident to reveal, once it is laid out."""
        uid = self._reveal_uid
        if uid is None or self._layout is None:
            return
        placed = self._layout.by_uid.get(uid)
        if placed is None:
            return
        self._reveal_uid = None
        header = self._header_height()
        top = self.verticalScrollBar().value()
        height = self.viewport().height()
        if placed.y - header < top or placed.y + ROW > top + height - FOOTER_HEIGHT:
            self.verticalScrollBar().setValue(int(max(placed.y - header - 2 * ROW, 0)))

    def _describe(self) -> None:
        layout = self._layout
        start, end = self.visible_window()
        span = describe_span((end - start).total_seconds())
        if layout is None:
            text = self.tr("Timeline, loading")
        elif layout.density is not None:
            text = self.tr("Timeline of %1, too many incidents to draw one by one: "
                           "counts per period shown").replace("%1", span)
        else:
            text = self.tr("Timeline of %1 showing %2 incidents and %3 quotes").replace(
                "%1", span).replace("%2", str(len(layout.placed))).replace(
                "%3", str(len(layout.quotes)))
        self.setAccessibleDescription(text)

    def _text_width(self, metrics: QFontMetricsF, text: str) -> float:
        """Width of a label, remembered: the axis draws the same few dozen every frame."""
        key = (metrics.height(), text)
        width = self._widths.get(key)
        if width is None:
            if len(self._widths) > 4096:
                self._widths.clear()
            width = self._widths[key] = metrics.horizontalAdvance(text)
        return width

    def _small_font(self) -> QFont:
        return QFont(self.font())

    # --- painting ------------------------------------------------------------------------------
    def paint_canvas(self, painter: QPainter, exposed: QRectF) -> None:
        if self._layout is None:
            return
        # QGraphicsView.render() exposes the whole item: paint what is on screen only.
        top = float(self.verticalScrollBar().value())
        exposed = exposed.intersected(QRectF(0, top, self.viewport().width(),
                                             self.viewport().height()))
        state = PaintState(self.scale.t0, self.viewport().width(), exposed, self.palette(),
                           self._small_font(), self.context.state.current_incident,
                           frozenset(self.context.state.selected_incidents))
        paint_layout(painter, self._layout, state)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        palette = self.palette()
        painter.fillRect(rect, palette.color(QPalette.ColorRole.Base))
        for period in self._periods:
            span = self._period_x(period)
            if span is None or span[1] < rect.left() or span[0] > rect.right():
                continue
            colour = QColor(period.color or PERIOD_COLOUR)
            fill = QColor(colour)
            fill.setAlphaF(0.10)
            painter.fillRect(QRectF(span[0], rect.top(), span[1] - span[0], rect.height()), fill)
            edge = QColor(colour)
            edge.setAlphaF(0.45)
            painter.setPen(QPen(edge, 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(span[0], rect.top()), QPointF(span[0], rect.bottom()))
            painter.drawLine(QPointF(span[1], rect.top()), QPointF(span[1], rect.bottom()))

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        top = self.mapToScene(QPoint(0, 0)).y()
        width = self.viewport().width()
        height = self.viewport().height()
        painter.save()
        try:
            self._paint_gutter(painter, top, height)
            self._paint_axis(painter, top, width)
            self._paint_footer(painter, top + height - FOOTER_HEIGHT, width)
            self._paint_message(painter, top, width, height)
        finally:
            painter.restore()

    def _paint_axis(self, painter: QPainter, top: float, width: float) -> None:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        header = self._header_height()
        painter.fillRect(QRectF(0, top, width, header), palette.color(QPalette.ColorRole.Window))
        key = (self.scale.t0, self.scale.spp, width, self._zone)
        if self._ticks_cache[0] != key:
            self._ticks_cache = (key, axis_ticks(self.scale, width, self._zone))
        minor, major, _unit = self._ticks_cache[1]
        font = self._small_font()
        bold = QFont(font)
        bold.setBold(True)
        faint = QColor(text)
        faint.setAlphaF(0.25)
        grid = QColor(text)
        grid.setAlphaF(0.07)
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        # Minor ticks and their labels (second row), light grid lines down the content:
        # lines in one call each, labels elided only when they do not fit.
        xs = [self.scale.x(tick.t) for tick in minor]
        bottom = top + self.viewport().height()
        painter.setPen(QPen(grid, 1))
        painter.drawLines([QLineF(x, top + header, x, bottom) for x in xs])
        painter.setPen(QPen(faint, 1))
        painter.drawLines([QLineF(x, top + AXIS_HEIGHT - 7, x, top + AXIS_HEIGHT) for x in xs])
        painter.setPen(text)
        flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for number, tick in enumerate(minor):
            x = xs[number]
            room = (xs[number + 1] if number + 1 < len(xs) else x + 200) - x - 4
            if room > 12:
                label = tick.label
                if self._text_width(metrics, label) > room:
                    label = metrics.elidedText(label, Qt.TextElideMode.ElideRight, room)
                painter.drawText(QRectF(x + 3, top + 20, room, 18), flags, label)
        # Major labels (first row), kept in view while their span is.
        painter.setFont(bold)
        bold_metrics = QFontMetricsF(bold)
        major_xs = [self.scale.x(tick.t) for tick in major]
        painter.setPen(QPen(faint, 1))
        painter.drawLines([QLineF(x, top + 2, x, top + AXIS_HEIGHT) for x in major_xs])
        painter.setPen(text)
        for number, tick in enumerate(major):
            x = major_xs[number]
            following = major_xs[number + 1] if number + 1 < len(major_xs) else 1e9
            left = max(x, 0.0) + 4
            room = min(following, width) - left - 4
            needed = self._text_width(bold_metrics, tick.label)
            if room >= needed or room > 120:
                label = tick.label if needed <= room else bold_metrics.elidedText(
                    tick.label, Qt.TextElideMode.ElideRight, room)
                painter.drawText(QRectF(left, top + 2, room, 18), flags, label)
        painter.setFont(font)
        zone_text = self.tr("Time zone: %1").replace("%1", self._zone)
        zone_width = self._text_width(metrics, zone_text) + 8
        painter.fillRect(QRectF(width - zone_width - 4, top + 2, zone_width + 4, 18),
                         palette.color(QPalette.ColorRole.Window))
        painter.drawText(QRectF(width - zone_width, top + 2, zone_width, 18), flags, zone_text)
        # Period names in their strip under the axis.
        for period in self._periods:
            span = self._period_x(period)
            level = self._period_levels.get(period.meta.uid or "", 0)
            if span is None or span[1] < 0 or span[0] > width:
                continue
            y = top + AXIS_HEIGHT + level * PERIOD_ROW
            colour = QColor(period.color or PERIOD_COLOUR)
            fill = QColor(colour)
            fill.setAlphaF(0.22)
            left, right = max(span[0], 0.0), min(span[1], width)
            painter.fillRect(QRectF(left, y + 1, right - left, PERIOD_ROW - 2), fill)
            painter.setPen(text)
            room = right - left - 8
            if room > 12:
                name = metrics.elidedText(period.label, Qt.TextElideMode.ElideRight, room)
                painter.drawText(QRectF(left + 4, y, room, PERIOD_ROW),
                                 int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                                 name)
        painter.setPen(QPen(faint, 1))
        painter.drawLine(QPointF(0, top + header), QPointF(width, top + header))

    def _paint_gutter(self, painter: QPainter, top: float, height: float) -> None:
        """Lane and track captions, kept at the left edge."""
        layout = self._layout
        if layout is None:
            return
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        window = QColor(palette.color(QPalette.ColorRole.Window))
        window.setAlphaF(0.88)
        font = self._small_font()
        bold = QFont(font)
        bold.setBold(True)
        metrics = QFontMetricsF(bold)
        painter.setFont(bold)
        track_y, track_height = layout.quote_track
        if track_height > 0:
            caption = self.tr("Quotes")
            data = layout.data
            if layout.hidden_quotes:
                caption += self.tr(" (%1 more: zoom in)").replace("%1", str(layout.hidden_quotes))
            elif data is not None and data.quotes_pending:
                caption += self.tr(" (reading…)")
            elif data is not None and data.quotes is None and data.quote_density is None:
                caption += self.tr(" — zoom in to see the quotes of these incidents")
            elif data is not None and data.quote_density is not None:
                caption += self.tr(" per %1").replace("%1", _step_name(self, data))
            self._caption(painter, caption, track_y, QColor(QUOTE_COLOUR), metrics, window)
        for lane in layout.lanes:
            if not layout.lane_column:
                continue
            if lane.y + lane.height < top or lane.y > top + height:
                continue
            caption = lane.title
            if lane.count:
                caption += f"  {lane.count:,}"
            self._caption(painter, caption, lane.y, text, metrics, window)

    def _caption(self, painter: QPainter, caption: str, y: float, colour: QColor,
                 metrics: QFontMetricsF, background: QColor) -> None:
        width = min(metrics.horizontalAdvance(caption) + 10, self.viewport().width() * 0.6)
        painter.fillRect(QRectF(0, y + 1, width, CAPTION - 1), background)
        painter.setPen(colour)
        painter.drawText(QRectF(4, y, width - 6, CAPTION),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         metrics.elidedText(caption, Qt.TextElideMode.ElideRight, width - 6))

    def _paint_footer(self, painter: QPainter, y: float, width: float) -> None:
        """The legend: what the colours and the marks mean, and the density's scale."""
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        painter.fillRect(QRectF(0, y, width, FOOTER_HEIGHT),
                         palette.color(QPalette.ColorRole.Window))
        faint = QColor(text)
        faint.setAlphaF(0.25)
        painter.setPen(QPen(faint, 1))
        painter.drawLine(QPointF(0, y), QPointF(width, y))
        font = self._small_font()
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        x = 8.0
        middle = y + FOOTER_HEIGHT / 2
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        layout = self._layout
        entries: list[tuple[str, QColor | None, str]] = []
        if layout is not None and layout.density is not None and layout.density_max > 0:
            stacked = (layout.lane_column is None
                       and layout.density.column == layout.colour_column)
            scale = self.tr("bars: incidents per %1, tallest %2").replace(
                "%1", _step_name(self, layout.data)).replace(
                "%2", f"{layout.density_max:,.0f}")
            entries.append(("bar", QColor(DENSITY_COLOUR) if not stacked else None, scale))
            if stacked:
                for value in layout.density.counts:
                    entries.append(("swatch", value_colour(self._colour_column, value),
                                    value_label(self._colour_column, value)))
        else:
            values = self._legend_values()
            for value in values:
                entries.append(("swatch", value_colour(self._colour_column, value),
                                value_label(self._colour_column, value)))
            entries.append(("point", None, self.tr("time")))
            entries.append(("ring", None, self.tr("about")))
            entries.append(("span", None, self.tr("day, week, month, year")))
            entries.append(("dashed", None, self.tr("approximate")))
        entries.append(("quote", QColor(QUOTE_COLOUR), self.tr("quote")))
        swatch_text = QColor(text)
        for kind, colour, label in entries:
            label_width = metrics.horizontalAdvance(label)
            if x + 18 + label_width > width - 8:
                painter.setPen(text)
                painter.drawText(QRectF(x, y, 20, FOOTER_HEIGHT),
                                 int(Qt.AlignmentFlag.AlignVCenter), "…")
                break
            painter.setPen(Qt.PenStyle.NoPen)
            mark = QRectF(x, middle - 5, 10, 10)
            grey = QColor(text)
            grey.setAlphaF(0.6)
            if kind == "swatch" and colour is not None:
                painter.setBrush(colour)
                painter.drawRoundedRect(mark, 2, 2)
            elif kind == "bar":
                painter.setBrush(colour or QColor(DENSITY_COLOUR))
                painter.drawRect(QRectF(x + 1, middle - 2, 3, 7))
                painter.drawRect(QRectF(x + 5, middle - 5, 3, 10))
            elif kind == "point":
                painter.setBrush(grey)
                painter.drawEllipse(mark)
            elif kind == "ring":
                painter.setBrush(palette.color(QPalette.ColorRole.Base))
                painter.setPen(QPen(grey, 2))
                painter.drawEllipse(mark.adjusted(1, 1, -1, -1))
            elif kind == "span":
                painter.setBrush(grey)
                painter.drawRect(QRectF(x - 2, middle - 5, 14, 10))
            elif kind == "dashed":
                light = QColor(grey)
                light.setAlphaF(0.3)
                painter.setBrush(light)
                painter.setPen(QPen(grey, 1.0))
                painter.drawRect(QRectF(x - 2, middle - 5, 14, 10))
            elif kind == "quote":
                painter.setBrush(colour)
                painter.drawPolygon([QPointF(x + 5, middle - 6), QPointF(x + 11, middle),
                                     QPointF(x + 5, middle + 6), QPointF(x - 1, middle)])
            painter.setPen(swatch_text)
            painter.drawText(QRectF(x + 16, y, label_width + 2, FOOTER_HEIGHT),
                             int(Qt.AlignmentFlag.AlignVCenter), label)
            x += 16 + label_width + 14
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _legend_values(self) -> list[str | None]:
        """The colour values of the drawn incidents, most frequent first (once per layout)."""
        layout = self._layout
        if layout is None:
            return []
        if self._legend_cache[0] is layout:
            return self._legend_cache[1]
        values = self._count_legend_values(layout)
        self._legend_cache = (layout, values)
        return values

    def _count_legend_values(self, layout: Layout) -> list[str | None]:
        column = self._colour_column
        seen: dict[str | None, int] = {}
        for placed in layout.placed:
            value = placed.item.value(column)
            seen[value] = seen.get(value, 0) + 1
        return sorted(seen, key=lambda v: (-seen[v], v is None, v or ""))

    def _paint_message(self, painter: QPainter, top: float, width: float, height: float) -> None:
        message = self._message
        overview = self._overview
        if message is None:
            if overview is not None and overview.empty:
                message = (self.tr("No incident matches the filter.")
                           if not self._flt().is_empty else self.tr("The log has no incidents."))
            elif self._layout is None:
                message = self.tr("Loading…")
            elif self._data is not None and self._data.truncated:
                message = self.tr("Showing the first %1 incidents: zoom in or filter to see "
                                  "the others.").replace("%1", f"{ITEM_LIMIT:,}")
        if not message:
            return
        font = self._small_font()
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        box_width = metrics.horizontalAdvance(message) + 24
        y = top + self._header_height() + (height - self._header_height()) / 2 - 14
        if self._layout is not None:
            y = top + height - FOOTER_HEIGHT - 34
        box = QRectF((width - box_width) / 2, y, box_width, 26)
        background = QColor(self.palette().color(QPalette.ColorRole.ToolTipBase))
        painter.setPen(QPen(QColor(self.palette().color(QPalette.ColorRole.Mid)), 1))
        painter.setBrush(background)
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(self.palette().color(QPalette.ColorRole.ToolTipText))
        painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), message)

    # --- periods --------------------------------------------------------------------------
    def _load_periods(self) -> None:
        try:
            self._periods = self.context.services.periods.list()
        except Exception as exc:  # a database that cannot be read: say so, draw the rest
            from incidentlog.domain.errors import IncidentLogError

            if not isinstance(exc, IncidentLogError):
                raise
            self._periods = []
        # Levels: overlapping periods get their own row in the strip.
        levels: dict[str, int] = {}
        ends: list[float] = []
        for period in sorted(self._periods, key=lambda p: p.start.utc if p.start else UTC_MIN):
            if period.start is None or period.end is None:
                continue
            start = period.start.interval()[0].timestamp()
            end = period.end.interval()[1].timestamp()
            level = next((n for n, last in enumerate(ends) if last <= start), len(ends))
            if level == len(ends):
                ends.append(end)
            else:
                ends[level] = end
            levels[period.meta.uid or ""] = level
        self._period_levels = levels

    def _period_x(self, period: Period) -> tuple[float, float] | None:
        if period.start is None or period.end is None:
            return None
        return (self.scale.x_of(period.start.interval()[0]),
                self.scale.x_of(period.end.interval()[1]))

    def period_at(self, pos: QPointF) -> Period | None:
        """The period whose name strip or band is under a viewport point."""
        header = AXIS_HEIGHT
        best = None
        for period in self._periods:
            span = self._period_x(period)
            if span is None or not span[0] <= pos.x() <= span[1]:
                continue
            level = self._period_levels.get(period.meta.uid or "", 0)
            y = header + level * PERIOD_ROW
            if y <= pos.y() < y + PERIOD_ROW:
                return period
            best = best or period
        return best if pos.y() >= self._header_height() else None

    def new_period(self, first: date | None = None, last: date | None = None) -> None:
        """Ask for a new period (by default the visible days) and store it, undoably."""
        if self.context.read_only:
            return
        if first is None or last is None:
            start, end = self.visible_window()
            tz = zone(self._zone)
            first = start.astimezone(tz).date()
            last = (end - timedelta(seconds=1)).astimezone(tz).date()
        dialog = PeriodDialog(None, self._zone, self, first=first, last=last)
        while dialog.exec() == PeriodDialog.DialogCode.Accepted:
            _uid, error = create_period(self.context.undo_stack, self.context.services,
                                        dialog.period())
            if error is None:
                return
            dialog.show_error(error_text(error))

    def edit_period(self, period: Period) -> None:
        if self.context.read_only:
            return
        dialog = PeriodDialog(period, period.start.tz if period.start else self._zone, self)
        while dialog.exec() == PeriodDialog.DialogCode.Accepted:
            error = update_period(self.context.undo_stack, self.context.services, period,
                                  dialog.period())
            if error is None:
                return
            dialog.show_error(error_text(error))

    def remove_period(self, period: Period) -> None:
        if self.context.read_only:
            return
        answer = QMessageBox.question(
            self, self.tr("Delete period"),
            self.tr("Delete the period “%1”? Edit ▸ Undo brings it back.").replace(
                "%1", period.label))
        if answer != QMessageBox.StandardButton.Yes:
            return
        error = delete_period(self.context.undo_stack, self.context.services, period)
        if error is not None:
            QMessageBox.warning(self, self.tr("Delete period"), error.message)

    # --- reacting to the rest of the window --------------------------------------------------
    def _on_filter_changed(self, _flt: IncidentFilter) -> None:
        self._data = None
        self._request_overview()

    def _on_changes(self, changes: Changes) -> None:
        if changes.periods:
            self._load_periods()
            self._relayout()
        if changes.incidents or changes.quotes or changes.rows_changed:
            self._invalidate(overview=bool(changes.incidents or changes.rows_changed),
                             long=bool(changes.incidents))

    def _on_current_changed(self, uid: str | None) -> None:
        self.viewport().update()
        if uid is None or self._selecting:
            return
        span = self._interval_of(uid)
        if span is None:
            return
        start, end = span
        view_start, view_end = self.scale.t(self._gutter_width()), self.scale.t(
            self.viewport().width())
        if end <= view_start or start >= view_end:
            width = self.viewport().width()
            gutter = self._gutter_width()
            middle = start if end - start > view_end - view_start else (start + end) / 2
            self.scale.t0 = middle - (gutter + (width - gutter) / 2) * self.scale.spp
            self._reveal_uid = uid
            self._scale_changed()
        else:
            self._reveal_uid = uid
            self._reveal()

    def _interval_of(self, uid: str) -> tuple[float, float] | None:
        if self._layout is not None and uid in self._layout.by_uid:
            item = self._layout.by_uid[uid].item
            return item.start, item.end
        incident = self.context.services.incident_query.get(uid)
        if incident is None or incident.occurred is None:
            return None
        start, end = incident.occurred.interval()
        return start.timestamp(), end.timestamp()

    # --- hit testing ------------------------------------------------------------------------
    def hit(self, pos: QPointF) -> Placed | PlacedQuote | None:
        """The incident or quote under a viewport point."""
        layout = self._layout
        if layout is None or pos.y() < self._header_height():
            return None
        scene = self._to_scene(pos)
        x = scene.x() - layout.x_shift(self.scale.t0)
        y = scene.y()
        for placed in reversed(layout.placed):
            if placed.y <= y < placed.y + ROW:
                rect = placed.rect().adjusted(-2, -3, 2, 3)
                if rect.left() <= x <= rect.right():
                    return placed
        for quote in reversed(layout.quotes):
            if quote.y <= y < quote.y + ROW:
                rect = quote.rect().adjusted(-2, -3, 2, 3)
                if rect.left() <= x <= rect.right():
                    return quote
        return None

    def _to_scene(self, pos: QPointF) -> QPointF:
        return self.viewportTransform().inverted()[0].map(pos)

    def _tooltip(self, pos: QPointF) -> str | None:
        found = self.hit(pos)
        if isinstance(found, Placed):
            return incident_tooltip(found.item)
        if isinstance(found, PlacedQuote):
            return quote_tooltip(found.quote)
        layout = self._layout
        if layout is not None and layout.density is not None:
            text = self._density_tooltip(pos)
            if text:
                return text
        if layout is not None and layout.data is not None and layout.data.items is not None:
            text = self._band_tooltip(pos)
            if text:
                return text
        period = self.period_at(pos)
        if period is not None and period.start and period.end:
            return (f"<b>{html.escape(period.label)}</b><br>"
                    f"{period.start.display()} – {period.end.display()}"
                    + (f"<br>{html.escape(period.notes)}" if period.notes else ""))
        return None

    def _density_tooltip(self, pos: QPointF) -> str | None:
        layout = self._layout
        assert layout is not None and layout.density is not None
        scene = self._to_scene(pos)
        t = self.scale.t(pos.x())
        edges = layout.density.edges
        number = next((n for n in range(len(edges) - 1) if edges[n] <= t < edges[n + 1]), None)
        if number is None:
            return None
        lane = next((lane for lane in layout.lanes
                     if lane.y <= scene.y() < lane.y + lane.height), None)
        if lane is None:
            return None
        tz = zone(self._zone)
        first = datetime.fromtimestamp(edges[number], tz)
        last = datetime.fromtimestamp(edges[number + 1], tz) - timedelta(seconds=1)
        when = (f"{first:%d %b %Y}" if first.date() == last.date()
                else f"{first:%d %b %Y} – {last:%d %b %Y}")
        rows = []
        if layout.lane_column:
            count = layout.density.counts.get(lane.value, ())[number] if lane.value in \
                layout.density.counts else 0.0
            rows.append(f"{html.escape(lane.title)}: {count:,.0f}")
        else:
            for value, series in layout.density.counts.items():
                if series[number] >= 0.5:
                    label = (value_label(layout.density.column, value)
                             if layout.density.column else self.tr("incidents"))
                    rows.append(f"{html.escape(label)}: {series[number]:,.0f}")
        total = sum(series[number] for series in layout.density.counts.values())
        head = self.tr("%1 incidents").replace("%1", f"{total:,.0f}")
        return f"<b>{when}</b> ({html.escape(self._zone)})<br>{head}<br>" + "<br>".join(rows)

    def _band_tooltip(self, pos: QPointF) -> str | None:
        layout = self._layout
        assert layout is not None
        scene = self._to_scene(pos)
        for lane in layout.lanes:
            if not lane.band:
                continue
            y = lane.y + (CAPTION if layout.lane_column else 0.0)
            if y <= scene.y() < y + ROW:
                by_precision: dict[str, int] = {}
                for group in lane.band:
                    by_precision[group.precision] = by_precision.get(group.precision, 0) + \
                        group.count
                names = {"month": self.tr("dated to the month"),
                         "year": self.tr("dated to the year")}
                parts = [f"{count:,} {names.get(p, p)}"
                         for p, count in sorted(by_precision.items())]
                return (self.tr("Too many long incidents to draw one by one here:") + "<br>"
                        + "<br>".join(parts) + "<br>" + self.tr("Zoom out to see them as "
                                                                "counts, or filter."))
        return None

    # --- events ------------------------------------------------------------------------------
    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self._tooltip(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Until the user zooms or pans, the view keeps showing everything;
        # after, a wider view shows more time on the right.
        if self._auto_fit and self._overview is not None and not self._overview.empty:
            self.fit_all()
            self._auto_fit = True
            return
        self._relayout()
        self._schedule_fetch()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self._request_overview()
        if self._fit_pending and self._overview is not None:
            self.fit_all()

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta()
        modifiers = event.modifiers()
        if modifiers & Qt.KeyboardModifier.AltModifier:
            super().wheelEvent(event)  # Alt + wheel: scroll the lanes
            return
        if abs(delta.x()) > abs(delta.y()) or modifiers & Qt.KeyboardModifier.ShiftModifier:
            amount = delta.x() if abs(delta.x()) > abs(delta.y()) else delta.y()
            self._pan(amount / 120 * self.viewport().width() / 10)
        elif delta.y():
            self._zoom((1 / ZOOM_STEP) ** (delta.y() / 120), event.position().x())
        event.accept()

    def _zoom(self, factor: float, anchor_x: float) -> None:
        self.scale.zoom(factor, anchor_x)
        self._auto_fit = False
        self._fitted = True
        self._fit_pending = False
        self._scale_changed()

    def _pan(self, dx: float) -> None:
        self.scale.pan(dx)
        self._auto_fit = False
        self._scale_changed()

    def _content_centre(self) -> float:
        gutter = self._gutter_width()
        return gutter + (self.viewport().width() - gutter) / 2

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
            self._dragging = False
            self._drag_scroll = self.verticalScrollBar().value()
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            moved = event.position() - self._press
            if self._dragging or abs(moved.x()) + abs(moved.y()) > 4:
                if not self._dragging:
                    self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
                self._dragging = True
                self.scale.pan(moved.x())
                self._auto_fit = False
                self._press = event.position()
                scroll = self.verticalScrollBar()
                scroll.setValue(int(scroll.value() - moved.y()))
                self._scale_changed()
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._press is not None:
            was_dragging = self._dragging
            self._press = None
            self._dragging = False
            self.viewport().unsetCursor()
            if not was_dragging:
                self._click(event.position())
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def _click(self, pos: QPointF) -> None:
        found = self.hit(pos)
        uid: str | None = None
        if isinstance(found, Placed):
            uid = found.item.uid
        elif isinstance(found, PlacedQuote):
            uid = found.quote.incident_uid
        if uid is None:
            return
        self.select(uid)

    def select(self, uid: str) -> None:
        """Make an incident the current one everywhere (the table and the form follow)."""
        self._selecting = True
        try:
            self.context.state.set_selected_incidents((uid,))
            self.context.state.set_current_incident(uid)
        finally:
            self._selecting = False
        self.viewport().update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mouseDoubleClickEvent(event)
            return
        pos = event.position()
        found = self.hit(pos)
        if isinstance(found, Placed):
            self.select(found.item.uid)
            self.openIncidentRequested.emit(found.item.uid)
        elif isinstance(found, PlacedQuote) and found.quote.incident_uid:
            self.openIncidentRequested.emit(found.quote.incident_uid)
        elif pos.y() < self._header_height():
            period = self.period_at(pos)
            if period is not None:
                self.edit_period(period)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        modifiers = event.modifiers()
        width = self.viewport().width()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_out()
        elif key == Qt.Key.Key_0 and modifiers & Qt.KeyboardModifier.ControlModifier:
            self.fit_all()
        elif key == Qt.Key.Key_Left:
            self._pan(width / 8)
        elif key == Qt.Key.Key_Right:
            self._pan(-width / 8)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            uid = self.context.state.current_incident
            if uid:
                self.openIncidentRequested.emit(uid)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        pos = QPointF(event.pos())
        menu = QMenu(self)
        found = self.hit(pos)
        if isinstance(found, Placed):
            uid = found.item.uid
            menu.addAction(self.tr("Open %1").replace("%1", found.item.ref),
                           lambda: self.openIncidentRequested.emit(uid))
            menu.addSeparator()
        period = self.period_at(pos)
        writable = not self.context.read_only
        tz = zone(self._zone)
        day = datetime.fromtimestamp(self.scale.t(pos.x()), tz).date()
        new = menu.addAction(self.tr("New period from here…"),
                             lambda: self.new_period(day, day + timedelta(days=6)))
        new.setEnabled(writable)
        if period is not None:
            edit = menu.addAction(self.tr("Edit period “%1”…").replace("%1", period.label),
                                  lambda: self.edit_period(period))
            edit.setEnabled(writable)
            remove = menu.addAction(self.tr("Delete period “%1”").replace("%1", period.label),
                                    lambda: self.remove_period(period))
            remove.setEnabled(writable)
            if period.start and period.end:
                first, last = period.start.interval()[0], period.end.interval()[1]
                menu.addAction(self.tr("Zoom to period"),
                               lambda: self._zoom_to(first, last))
        menu.addSeparator()
        menu.addAction(self.tr("Fit all"), self.fit_all)
        menu.exec(event.globalPos())

    def _zoom_to(self, start: datetime, end: datetime) -> None:
        span = end - start
        self.set_visible_window(start - span * 0.05, end + span * 0.05)


UTC_MIN = datetime.min.replace(tzinfo=UTC)


def _svg_in_pixels(text: str, size: QSize) -> str | None:
    """The drawing with its size in pixels, as on screen; None if it is no SVG.

    ``QSvgGenerator`` writes millimetres computed from a resolution; a report
    tool then scales the drawing by its own idea of a millimetre. Pixels with
    the same view box keep it the size it was on screen.
    """
    import re

    head, separator, rest = text.partition("<svg")
    if not separator:
        return None
    tag, end, tail = rest.partition(">")
    tag = re.sub(r'\swidth="[^"]*"', f' width="{size.width()}px"', tag, count=1)
    tag = re.sub(r'\sheight="[^"]*"', f' height="{size.height()}px"', tag, count=1)
    return head + separator + tag + end + tail


def _write_export(path: Path, data: bytes) -> None:
    from incidentlog.exchange.files import atomic_file

    with atomic_file(path) as handle:
        handle.write(data)


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
            and _step_of(asked) == _step_of(request) and asked.visible == request.visible
            and not with_long)


def _covers(data: WindowData, window: tuple[datetime, datetime]) -> bool:
    start, end = data.covers
    return start <= window[0] and window[1] <= end


def _step_of(request: WindowRequest) -> tuple[str, int]:
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


def _step_name(widget: QWidget, data: WindowData | None) -> str:
    if data is None:
        return ""
    names = {("day", 1): widget.tr("day"), ("day", 2): widget.tr("2 days"),
             ("week", 1): widget.tr("week"), ("week", 2): widget.tr("2 weeks"),
             ("month", 1): widget.tr("month"), ("month", 3): widget.tr("quarter"),
             ("year", 1): widget.tr("year")}
    return names.get(_step_of(data.request), "")


def _count_text(label: str, count: Any) -> str:
    return f"{label}: {count.display()}"


def _tr(text: str) -> str:
    return QCoreApplication.translate("Timeline", text)


def incident_tooltip(item: TimelineItem) -> str:
    """Title, local time (``Moment.display``), place, casualties: what a hover tells."""
    moment = item.moment
    start, end = moment.interval()
    when = moment.display()
    if not item.is_point:
        when += f" ({_tr(item.precision)})"
    where = ", ".join(part for part in (item.place, value_label("country", item.country)
                                        if item.country else None) if part)
    lines = [f"<b>{html.escape(item.ref)}</b> {html.escape(item.title)}",
             html.escape(when)]
    if start.tzinfo is not None and moment.tz != "UTC":
        lines.append(f"<span style='color:#777'>{start:%Y-%m-%d %H:%M} UTC"
                     + (f" – {end:%Y-%m-%d %H:%M} UTC" if not item.is_point else "")
                     + "</span>")
    if where:
        lines.append(html.escape(where))
    kind = " · ".join(part for part in (item.event_type, value_label("status", item.status))
                      if part)
    if kind:
        lines.append(html.escape(kind))
    lines.append(html.escape(f"{_count_text(_tr('killed'), item.killed)} · "
                             f"{_count_text(_tr('injured'), item.injured)}"))
    return "<br>".join(lines)


def quote_tooltip(quote: TimelineQuote) -> str:
    who = quote.speaker + (f", {quote.speaker_role}" if quote.speaker_role else "")
    text = quote.text if len(quote.text) <= 280 else quote.text[:279] + "…"
    return (f"<b>{html.escape(who)}</b><br>{html.escape(quote.moment.display())}"
            f"<br><i>“{html.escape(text)}”</i>")


class TimelineWidget(QWidget):
    """The timeline with its toolbar: lanes, colours, time zone, fit, zoom, periods, export.

    The main window constructs it with the context and adds it as a view;
    ``actions()`` are the View-menu entries; ``openIncidentRequested`` asks
    the window to open an incident in the form.
    """

    openIncidentRequested = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName("timelineWidget")
        self.setAccessibleName(self.tr("Timeline"))
        self.view = TimelineView(context, self)
        self.view.openIncidentRequested.connect(self.openIncidentRequested)

        self.actionFitAll = self._action("actionTimelineFitAll", self.tr("&Fit All"),
                                         self.view.fit_all, QKeySequence("Ctrl+0"),
                                         self.tr("Show every incident that matches the filter"))
        self.actionZoomIn = self._action("actionTimelineZoomIn", self.tr("Zoom &In"),
                                         self.view.zoom_in, QKeySequence.StandardKey.ZoomIn,
                                         self.tr("Zoom in (or +, or the mouse wheel)"))
        self.actionZoomOut = self._action("actionTimelineZoomOut", self.tr("Zoom &Out"),
                                          self.view.zoom_out, QKeySequence.StandardKey.ZoomOut,
                                          self.tr("Zoom out (or -, or the mouse wheel)"))
        self.actionZoomToSelection = self._action(
            "actionTimelineZoomToSelection", self.tr("Zoom to &Selection"),
            self.view.zoom_to_selection, None,
            self.tr("Show the selected incidents across the view"))
        self.actionNewPeriod = self._action(
            "actionTimelineNewPeriod", self.tr("New &Period…"), lambda: self.view.new_period(),
            None, self.tr("Name a span of days, shown as a band behind the incidents"))
        self.actionNewPeriod.setEnabled(not context.read_only)
        self.actionExport = self._action("actionTimelineExport", self.tr("&Export View…"),
                                         self.export, None,
                                         self.tr("Save the view as a PNG image or SVG drawing"))

        self.lane_combo = self._combo("timelineLanes", self.tr("Lanes"),
                                      [(self.tr(label), value) for value, label in LANE_CHOICES],
                                      self.view.lane_column)
        self.lane_combo.currentIndexChanged.connect(
            lambda _i: self.view.set_lane_column(self.lane_combo.currentData()))
        self.colour_combo = self._combo("timelineColour", self.tr("Colour by"),
                                        [(self.tr(label), value)
                                         for value, label in COLOUR_CHOICES],
                                        self.view.colour_column)
        self.colour_combo.currentIndexChanged.connect(
            lambda _i: self.view.set_colour_column(self.colour_combo.currentData()))
        self.zone_combo = self._zone_combo()

        toolbar = QToolBar(self.tr("Timeline"), self)
        toolbar.setObjectName("timelineToolBar")
        toolbar.setAccessibleName(self.tr("Timeline toolbar"))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addWidget(self._label(self.tr("&Lanes:"), self.lane_combo))
        toolbar.addWidget(self.lane_combo)
        toolbar.addWidget(self._label(self.tr("&Colour:"), self.colour_combo))
        toolbar.addWidget(self.colour_combo)
        toolbar.addWidget(self._label(self.tr("&Zone:"), self.zone_combo))
        toolbar.addWidget(self.zone_combo)
        toolbar.addSeparator()
        for action in (self.actionFitAll, self.actionZoomToSelection, self.actionZoomIn,
                       self.actionZoomOut):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.actionNewPeriod)
        toolbar.addAction(self.actionExport)
        for button in toolbar.findChildren(QToolButton):
            if button.defaultAction() is not None:
                button.setAccessibleName(button.defaultAction().text().replace("&", ""))
        self.toolbar = toolbar

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(toolbar)
        layout.addWidget(self.view, 1)
        self.setFocusProxy(self.view)
        self.view.optionsChanged.connect(self._sync_options)
        self.setTabOrder(self.lane_combo, self.colour_combo)
        self.setTabOrder(self.colour_combo, self.zone_combo)
        self.setTabOrder(self.zone_combo, self.view)

    def _sync_options(self) -> None:
        """The toolbar shows what the view does (also when set through the view's API)."""
        for combo, value in ((self.lane_combo, self.view.lane_column),
                             (self.colour_combo, self.view.colour_column),
                             (self.zone_combo, self.view.time_zone)):
            index = combo.findData(value)
            if index < 0 and combo is self.zone_combo:
                combo.addItem(f"{zone_label(str(value))} — {value}", value)
                index = combo.count() - 1
            if index >= 0 and index != combo.currentIndex():
                combo.blockSignals(True)
                combo.setCurrentIndex(index)
                combo.blockSignals(False)

    def cancel_work(self) -> None:
        """Call before ``context.close()``: see ``TimelineView.cancel_work``."""
        self.view.cancel_work()

    def closeEvent(self, event: Any) -> None:
        self.cancel_work()
        super().closeEvent(event)

    def actions_for_menu(self) -> list[QAction]:
        """The entries the main window puts in its View menu (after View ▸ Timeline)."""
        return [self.actionFitAll, self.actionZoomToSelection, self.actionZoomIn,
                self.actionZoomOut, self.actionNewPeriod, self.actionExport]

    def _action(self, name: str, text: str, slot: Callable[[], Any],
                shortcut: QKeySequence | QKeySequence.StandardKey | None,
                tip: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        if shortcut is not None:
            action.setShortcut(shortcut)
            # Only while the timeline has the focus: "-" and "+" type text elsewhere.
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _combo(self, name: str, accessible: str, items: list[tuple[str, Any]],
               current: Any) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setAccessibleName(accessible)
        for text, value in items:
            combo.addItem(text, value)
        index = combo.findData(current)
        combo.setCurrentIndex(max(index, 0))
        return combo

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(buddy)
        label.setContentsMargins(8, 0, 4, 0)
        return label

    def _zone_combo(self) -> QComboBox:
        """UTC, the zones the log uses most, and any other typed in (checked)."""
        combo = QComboBox(self)
        combo.setObjectName("timelineZone")
        combo.setAccessibleName(self.tr("Time zone of the axis"))
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.setMinimumContentsLength(14)
        combo.setToolTip(self.tr("IANA time zone of the axis and of the day counts, "
                                 "e.g. UTC or Asia/Baghdad"))
        zones = ["UTC", "Asia/Baghdad", "Asia/Damascus", "Asia/Amman", "Asia/Tehran",
                 "Asia/Jerusalem", "Asia/Aden", "Europe/London", "America/New_York"]
        if self.view.time_zone not in zones:
            zones.insert(1, self.view.time_zone)
        for name in zones:
            combo.addItem(f"{name}" if name == "UTC" else f"{zone_label(name)} — {name}", name)
        combo.setCurrentIndex(max(combo.findData(self.view.time_zone), 0))

        def chosen() -> None:
            text = combo.currentText().strip()
            value = combo.currentData() if combo.findText(text) >= 0 else None
            name = value or text.rsplit("—", 1)[-1].strip()
            if is_zone(name):
                self.view.set_time_zone(name)
            else:
                combo.setCurrentIndex(max(combo.findData(self.view.time_zone), 0))

        combo.activated.connect(lambda _i: chosen())
        line = combo.lineEdit()
        if line is not None:
            line.editingFinished.connect(chosen)
        return combo

    def export(self) -> None:
        """Ask where to save the view, as PNG or SVG by the chosen name."""
        settings = self.context.settings
        folder = settings.get(LAST_DIR) or str(Path.home())
        default = str(Path(folder) / f"timeline-{date.today():%Y%m%d}.png")
        path, chosen = QFileDialog.getSaveFileName(
            self, self.tr("Export the timeline"), default,
            self.tr("PNG image (*.png);;SVG drawing (*.svg)"))
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() not in (".png", ".svg"):
            target = target.with_suffix(".svg" if "svg" in chosen.lower() else ".png")
        try:
            ok = (self.view.export_svg(target) if target.suffix.lower() == ".svg"
                  else self.view.export_png(target))
        except ExchangeError as exc:  # not a regular file, a folder that cannot be written
            from incidentlog.gui.errors import show_error

            show_error(self, exc)
            return
        if ok:
            settings.set(LAST_DIR, str(target.parent))
        else:
            QMessageBox.warning(self, self.tr("Export the timeline"),
                                self.tr("The view could not be written to %1.").replace(
                                    "%1", str(target)))


__all__ = ["TimelineView", "TimelineWidget", "incident_tooltip", "quote_tooltip"]
