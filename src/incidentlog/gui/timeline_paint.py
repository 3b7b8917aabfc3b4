"""Where each mark of the timeline goes (layout) and how it is painted.

The layout is computed once per answer from the database and per zoom level,
in pixels at that zoom: items are packed into rows per lane so that no two
marks overlap (two incidents of the same day stack), labels get the room
left before the next mark of their row. A pan at the same zoom only
translates the painter: nothing is laid out again.

Painting draws only rectangles batched per colour (``drawRects``) and one
path per colour for the points: 5,000 incidents are a few dozen calls into
Qt, not 5,000 ``QGraphicsItem`` objects (which the issue measured at 577 MiB
and 1.5 s per frame for 100,000).
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from hashlib import blake2b
from operator import itemgetter

from PySide6.QtCore import QCoreApplication, QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPaintEngine,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)

from incidentlog.domain.countries import country_name
from incidentlog.domain.enums import Status
from incidentlog.services.timeline import (
    Density,
    LongGroup,
    TimelineItem,
    TimelineQuote,
    WindowData,
)

ROW = 20.0  # height of a row of marks
MARK = 10.0  # diameter of a point
BAR = 14.0  # height of a bar (its label fits inside)
POINT_BAR_MIN = 14.0  # a minute or hour wider than this is drawn as a bar
GAP = 3.0  # horizontal room kept between two marks of a row
CAPTION = 16.0  # a track's caption row
QUOTE_ROWS = 3  # quotes stack at most this high; more are counted
LINK_LIMIT = 150  # links from quotes to incidents drawn only when this few quotes show
LABEL_MIN = 28.0  # room needed to write a label at all
LABELS_IN_PACKING = 250  # with this few items, a label's width keeps its row free

_tr = QCoreApplication.translate

#: One colour per default event type (resources/vocabularies.json), readable on white
#: and on a dark base; other values take one of EXTRA by a stable hash.
EVENT_TYPE_COLOURS = {
    "rocket attack": "#e15759",
    "drone attack": "#4e79a7",
    "ballistic missile attack": "#8e5ea2",
    "cruise missile attack": "#9c755f",
    "indirect fire": "#f28e2b",
    "mortar attack": "#c9a227",
    "IED": "#59a14f",
    "small arms fire": "#3f9f9a",
    "retaliatory strike": "#2f4b7c",
    "air strike": "#d37295",
    "interception": "#86bc45",
    "other": "#79706e",
}
EXTRA_COLOURS = ("#17becf", "#bcbd22", "#7f3c8d", "#11a579", "#e73f74", "#3969ac",
                 "#f2b701", "#80ba5a", "#e68310", "#008695")
STATUS_MARK_COLOURS = {
    Status.DRAFT.value: "#8a8f98",
    Status.IN_REVIEW.value: "#e0a100",
    Status.VERIFIED.value: "#2e9d4f",
    Status.DISPUTED.value: "#d64541",
    Status.ARCHIVED.value: "#5b6b82",
}
UNKNOWN_COLOUR = "#b3b3b3"
DENSITY_COLOUR = "#5b7fa8"
QUOTE_COLOUR = "#0f766e"
PERIOD_COLOUR = "#8b5cf6"


def value_colour(column: str, value: str | None) -> QColor:
    """The colour of a value of the colour column: stable across runs and machines."""
    if value is None:
        return QColor(UNKNOWN_COLOUR)
    if column == "status":
        return QColor(STATUS_MARK_COLOURS.get(value, UNKNOWN_COLOUR))
    known = EVENT_TYPE_COLOURS.get(value)
    if known is not None:
        return QColor(known)
    digest = blake2b(value.casefold().encode(), digest_size=2).digest()
    return QColor(EXTRA_COLOURS[int.from_bytes(digest, "big") % len(EXTRA_COLOURS)])


def value_label(column: str | None, value: str | None) -> str:
    """How a lane or legend names a value: "Iraq (IQ)", "in review", "unknown place"."""
    if value is None:
        unknown = {
            "country": _tr("Timeline", "unknown country"),
            "event_type": _tr("Timeline", "unknown type"),
            "perpetrator": _tr("Timeline", "unknown perpetrator"),
            "place": _tr("Timeline", "unknown place"),
            "status": _tr("Timeline", "no status"),
        }
        return unknown.get(column or "", _tr("Timeline", "unknown"))
    if column == "country":
        return f"{country_name(value)} ({value})"
    if column == "status":
        try:
            return Status(value).label
        except ValueError:
            return value
    return value


# --- layout --------------------------------------------------------------------------------


@dataclass(slots=True)
class Placed:
    """An incident at its place: x in layout pixels (see ``Layout.x_shift``)."""

    item: TimelineItem
    lane: int
    row: int
    x0: float
    x1: float
    point: bool
    label_room: float = 0.0
    y: float = 0.0  # top of its row (scene)

    def rect(self) -> QRectF:
        if self.point:
            return QRectF(self.x0 - MARK / 2, self.y + (ROW - MARK) / 2, MARK, MARK)
        return QRectF(self.x0, self.y + (ROW - BAR) / 2, max(self.x1 - self.x0, 2.0), BAR)


@dataclass(slots=True)
class PlacedQuote:
    quote: TimelineQuote
    row: int
    x0: float
    x1: float
    y: float = 0.0

    def rect(self) -> QRectF:
        top = self.y + (ROW - MARK) / 2
        if self.x1 - self.x0 < POINT_BAR_MIN:
            return QRectF(self.x0 - MARK / 2, top, MARK, MARK)
        return QRectF(self.x0, top, self.x1 - self.x0, MARK)


@dataclass(slots=True)
class Lane:
    value: str | None
    title: str
    y: float = 0.0
    height: float = ROW
    rows: int = 1
    count: int = 0  # items shown in the lane (in the fetched window)
    band: list[LongGroup] = field(default_factory=list)  # summarized long incidents


TILE = 512.0  # pixels per tile side


@dataclass
class Tile:
    """The marks of one TILE × TILE square of the layout, batched by style."""

    bars: dict[tuple[str, bool], list[QRectF]] = field(default_factory=dict)
    points: dict[tuple[str, bool], list[QRectF]] = field(default_factory=dict)
    labels: list[tuple[QRectF, str]] = field(default_factory=list)  # outside the mark
    inside: list[Placed] = field(default_factory=list)  # wide bars: label inside
    density: dict[str, list[QRectF]] = field(default_factory=dict)


def _tile(layout: Layout, x: float, y: float) -> Tile:
    key = (int(x // TILE), int(y // TILE))
    tile = layout.tiles.get(key)
    if tile is None:
        tile = layout.tiles[key] = Tile()
    return tile


def _tiles_in(layout: Layout, visible: QRectF) -> list[Tile]:
    x0, x1 = int(visible.left() // TILE), int(visible.right() // TILE)
    y0, y1 = int(visible.top() // TILE), int(visible.bottom() // TILE)
    tiles = layout.tiles
    return [tiles[(x, y)] for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)
            if (x, y) in tiles]


@dataclass
class Layout:
    """Everything placed for one answer at one zoom; x in pixels at ``spp``."""

    spp: float
    t_ref: float  # the scale's t0 when laid out: x_view = x + (t_ref − t0) / spp
    lanes: list[Lane]
    placed: list[Placed]
    quotes: list[PlacedQuote]
    quote_track: tuple[float, float]  # y, height (0 when none)
    content_top: float
    content_height: float
    density: Density | None = None
    density_max: float = 0.0
    quote_density_max: float = 0.0
    hidden_quotes: int = 0
    by_uid: dict[str, Placed] = field(default_factory=dict)
    colour_column: str = "event_type"
    lane_column: str | None = None
    data: WindowData | None = None
    #: What to paint, prepared once per layout and cut in tiles so that a frame
    #: only walks the tiles it shows: Qt draws a list of rectangles in one call.
    tiles: dict[tuple[int, int], Tile] = field(default_factory=dict)
    #: Bars crossing tile columns, drawn once, by band of TILE rows: (style → rects).
    wide: dict[int, dict[tuple[str, bool], list[QRectF]]] = field(default_factory=dict)
    inside: dict[int, list[Placed]] = field(default_factory=dict)  # their labels, by band

    def x_shift(self, t0: float) -> float:
        return (self.t_ref - t0) / self.spp


def _pack(spans: Sequence[tuple[float, float]]) -> list[int]:
    """Row of each span (sorted by start) so that none overlaps: the lowest free row.

    Two heaps: rows in use by the x where they free up, free rows by number.
    """
    busy: list[tuple[float, int]] = []
    free: list[int] = []
    rows: list[int] = []
    count = 0
    for x0, x1 in spans:
        while busy and busy[0][0] <= x0:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            row = heapq.heappop(free)
        else:
            row = count
            count += 1
        rows.append(row)
        heapq.heappush(busy, (x1 + GAP, row))
    return rows


def build_layout(
    data: WindowData,
    *,
    t0: float,
    spp: float,
    lane_column: str | None,
    lane_values: Sequence[str | None],
    colour_column: str,
    content_top: float,
    available_height: float,
    font: QFont,
    density: Density | None = None,
) -> Layout:
    """Place the answer ``data`` for the zoom ``spp`` (``density``: spread already).

    The garbage collector is held off meanwhile: laying out makes tens of
    thousands of small objects and no cycle, and a full collection over a log's
    long-interval cache cost 50 ms per layout when it struck.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_layout(data, t0=t0, spp=spp, lane_column=lane_column,
                             lane_values=lane_values, colour_column=colour_column,
                             content_top=content_top, available_height=available_height,
                             font=font, density=density)
    finally:
        if enabled:
            gc.enable()


def _build_layout(
    data: WindowData,
    *,
    t0: float,
    spp: float,
    lane_column: str | None,
    lane_values: Sequence[str | None],
    colour_column: str,
    content_top: float,
    available_height: float,
    font: QFont,
    density: Density | None = None,
) -> Layout:
    metrics = QFontMetricsF(font)
    lane_keys: list[str | None] = list(lane_values) if lane_column else [None]
    lanes = [Lane(key, value_label(lane_column, key) if lane_column else "")
             for key in lane_keys]
    index_of = {key: number for number, key in enumerate(lane_keys)}
    layout = Layout(spp, t0, lanes, [], [], (0.0, 0.0), content_top, 0.0,
                    colour_column=colour_column, lane_column=lane_column, data=data)
    y = content_top + 4

    def x_of(t: float) -> float:
        return (t - t0) / spp

    # Quotes: their own track above the lanes.
    if data.quotes is not None and data.quotes:
        spans = []
        for quote in data.quotes:
            x0, x1 = x_of(quote.start), x_of(quote.end)
            spans.append((x0 - MARK / 2, max(x1, x0 + MARK / 2)))
        rows = _pack(spans)
        shown = 0
        for quote, row, (x0, _x1) in zip(data.quotes, rows, spans, strict=True):
            if row >= QUOTE_ROWS:
                layout.hidden_quotes += 1
                continue
            shown = max(shown, row + 1)
            layout.quotes.append(PlacedQuote(quote, row, x0 + MARK / 2, x_of(quote.end),
                                             y + CAPTION + row * ROW))
        height = CAPTION + max(shown, 1) * ROW
        layout.quote_track = (y, height)
        y += height + 6
    elif data.quote_density is not None or data.quotes_pending or (
        data.quotes is None and data.mode == "density"
    ):
        height = CAPTION + 30.0
        layout.quote_track = (y, height)
        layout.quote_density_max = max(data.quote_density or (0.0,))
        y += height + 6

    if data.items is not None:
        _place_items(layout, data, x_of, index_of, lane_column, metrics)
        for lane in lanes:
            lane.y = y
            band_rows = 1 if lane.band else 0
            lane.height = CAPTION * bool(lane_column) + (lane.rows + band_rows) * ROW + 4
            y += lane.height
        for placed in layout.placed:
            lane = lanes[placed.lane]
            band_rows = 1 if lane.band else 0
            placed.y = lane.y + CAPTION * bool(lane_column) + (placed.row + band_rows) * ROW
            layout.by_uid[placed.item.uid] = placed
    else:
        layout.density = density or data.density
        free = max(available_height - (y - content_top) - 8, 60.0)
        each = max(free / max(len(lanes), 1), 44.0)
        if lane_column:
            each = min(each, 140.0)
        for lane in lanes:
            lane.y = y
            lane.height = each
            y += each
        if layout.density is not None:
            layout.density_max = _density_max(layout.density, lane_column)
            for lane in lanes:
                if lane_column:
                    lane.count = round(sum(layout.density.counts.get(lane.value, ())))
                else:
                    lane.count = round(sum(layout.density.totals()))
            _batch_density(layout)
    if data.items is not None:
        _batch_items(layout, metrics)
    layout.content_height = y + 8
    return layout


def _batch_items(layout: Layout, metrics: QFontMetricsF) -> None:
    """Sort every mark into its tile and style; elide the labels once."""
    column = layout.colour_column
    colours: dict[str | None, str] = {}
    for placed in layout.placed:
        value = placed.item.value(column)
        colour = colours.get(value)
        if colour is None:
            colour = colours[value] = value_colour(column, value).name()
        rect = placed.rect()
        key = (colour, placed.item.approximate)
        crosses = int(rect.left() // TILE) != int(rect.right() // TILE)
        if placed.point:
            _tile(layout, rect.left(), rect.top()).points.setdefault(key, []).append(rect)
        elif crosses:  # drawn once (a translucent bar drawn per tile would darken)
            band = layout.wide.setdefault(int(rect.top() // TILE), {})
            band.setdefault(key, []).append(rect)
        else:
            _tile(layout, rect.left(), rect.top()).bars.setdefault(key, []).append(rect)
        if placed.point or rect.width() < 40:
            room = placed.label_room - 4
            if room >= LABEL_MIN:
                text = metrics.elidedText(_label_text(placed.item),
                                          Qt.TextElideMode.ElideRight, room)
                if text and text != "…":
                    _tile(layout, rect.right(), rect.top()).labels.append(
                        (QRectF(rect.right() + 4, placed.y, room, ROW), text))
        elif crosses:
            layout.inside.setdefault(int(rect.top() // TILE), []).append(placed)
        else:
            _tile(layout, rect.left(), rect.top()).inside.append(placed)


def _batch_density(layout: Layout) -> None:
    """The density bars of every lane, in tiles, by colour."""
    density = layout.density
    assert density is not None
    if layout.density_max <= 0:
        return
    edges = [(edge - layout.t_ref) / layout.spp for edge in density.edges]
    stacked = layout.lane_column is None and density.column == layout.colour_column
    for lane in layout.lanes:
        top = lane.y + (CAPTION if layout.lane_column else 4.0)
        bottom = lane.y + lane.height - 4.0
        usable = bottom - top
        if layout.lane_column:
            series_list = [(lane.value, density.counts.get(lane.value, ()))]
        elif stacked:
            series_list = list(density.counts.items())
        else:
            series_list = [(None, tuple(density.totals()))]
        heights = [0.0] * density.bins
        for value, series in series_list:
            colour = (value_colour(layout.colour_column, value).name() if stacked
                      else DENSITY_COLOUR)
            for number, count in enumerate(series):
                if count <= 0:
                    continue
                x0, x1 = edges[number], edges[number + 1]
                height = count / layout.density_max * usable
                if height < 0.35:
                    continue
                gap = 1.0 if x1 - x0 > 4 else 0.0
                rect = QRectF(x0, bottom - heights[number] - height, max(x1 - x0 - gap, 1.0),
                              height)
                heights[number] += height
                _tile(layout, x0, bottom - 1).density.setdefault(colour, []).append(rect)


def _place_items(layout: Layout, data: WindowData, x_of: object, index_of: dict,
                 lane_column: str | None, metrics: QFontMetricsF) -> None:
    assert data.items is not None
    to_x = x_of  # type: ignore[assignment]
    per_lane: dict[int, tuple[list[_Entry], list[_Entry]]] = {}
    with_labels = len(data.items) <= LABELS_IN_PACKING
    for item in data.items:
        lane = index_of.get(item.value(lane_column) if lane_column else None)
        if lane is None:
            lane = len(layout.lanes)
            index_of[item.value(lane_column)] = lane
            layout.lanes.append(Lane(item.value(lane_column),
                                     value_label(lane_column, item.value(lane_column))))
        x0, x1 = to_x(item.start), to_x(item.end)  # type: ignore[operator]
        point = item.is_point and x1 - x0 < POINT_BAR_MIN
        if point:
            left, right = x0 - MARK / 2, x0 + MARK / 2
        else:
            left, right = x0, max(x1, x0 + 3.0)
        label = metrics.horizontalAdvance(_label_text(item)) + 6 if with_labels else 0.0
        # Incidents known to the day or better first, so that they take the top
        # rows; month- and year-long bars (across the whole view when zoomed in)
        # stack under them.
        pair = per_lane.get(lane)
        if pair is None:
            pair = per_lane[lane] = ([], [])
        pair[item.precision in _LONG].append((left, right, item, point, label))
    for group in data.long_bands:
        lane = index_of.get(group.value if lane_column else None)
        if lane is not None:
            layout.lanes[lane].band.append(group)
    by_x = itemgetter(0, 1)
    for lane_number, (fine, long) in per_lane.items():
        fine.sort(key=by_x)  # already in start order from SQL: a linear pass
        long.sort(key=by_x)
        entries = fine + long
        rows = _pack([(left, right + label) for left, right, _i, _p, label in fine])
        below = max(rows, default=-1) + 1
        rows += [below + row for row in _pack([(left, right + label)
                                               for left, right, _i, _p, label in long])]
        last_in_row: dict[int, Placed] = {}
        lane = layout.lanes[lane_number]
        for (left, right, item, point, _label), row in zip(entries, rows, strict=True):
            x0 = left + MARK / 2 if point else left
            placed = Placed(item, lane_number, row, x0, right, point)
            previous = last_in_row.get(row)
            if previous is not None:
                previous.label_room = left - previous.x1 - GAP
            placed.label_room = 1e9
            last_in_row[row] = placed
            layout.placed.append(placed)
            lane.rows = max(lane.rows, row + 1)
            lane.count += 1


_LONG = frozenset({"month", "year"})
_Entry = tuple[float, float, TimelineItem, bool, float]


def _label_text(item: TimelineItem) -> str:
    return item.title if len(item.title) <= 60 else item.title[:59] + "…"


def _density_max(density: Density, lane_column: str | None) -> float:
    if lane_column:
        return max((max(series, default=0.0) for series in density.counts.values()),
                   default=0.0)
    return max(density.totals(), default=0.0)


# --- painting --------------------------------------------------------------------------------


@dataclass
class PaintState:
    """What painting needs besides the layout."""

    t0: float
    width: float
    exposed: QRectF
    palette: QPalette
    font: QFont
    current_uid: str | None = None
    selected: frozenset[str] = frozenset()


def paint_layout(painter: QPainter, layout: Layout, state: PaintState) -> None:
    """Lanes, marks and quotes of ``layout`` that fall in ``state.exposed``."""
    palette = state.palette
    text_colour = palette.color(QPalette.ColorRole.Text)
    base = palette.color(QPalette.ColorRole.Base)
    stripe = QColor(text_colour)
    stripe.setAlphaF(0.035)
    rule = QColor(text_colour)
    rule.setAlphaF(0.14)
    exposed = state.exposed
    small = QFont(state.font)
    small.setPointSizeF(max(small.pointSizeF() - 1, 7.0))
    painter.setFont(small)
    metrics = QFontMetricsF(small)

    # Lane backgrounds: every other lane faintly striped, a rule between lanes.
    for number, lane in enumerate(layout.lanes):
        if lane.y > exposed.bottom() or lane.y + lane.height < exposed.top():
            continue
        if number % 2 == 1:
            painter.fillRect(QRectF(exposed.left(), lane.y, exposed.width(), lane.height),
                             stripe)
        if layout.lane_column:
            painter.setPen(QPen(rule, 1))
            painter.drawLine(QLineF(exposed.left(), lane.y, exposed.right(), lane.y))

    shift = layout.x_shift(state.t0)
    painter.save()
    painter.translate(shift, 0)
    visible = QRectF(exposed.translated(-shift, 0))
    if layout.density is not None:
        _paint_density(painter, layout, visible)
    elif layout.data is not None and layout.data.items is not None:
        _paint_bands(painter, layout, visible, metrics, text_colour)
        _paint_items(painter, layout, visible, metrics, text_colour, base, state)
    _paint_quotes(painter, layout, visible, metrics, text_colour, base, state)
    painter.restore()


def _paint_density(painter: QPainter, layout: Layout, visible: QRectF) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    for tile in _tiles_in_columns(layout, visible):
        for colour, rects in tile.density.items():
            painter.setBrush(QColor(colour))
            painter.drawRects(rects)


def _tiles_in_columns(layout: Layout, visible: QRectF) -> list[Tile]:
    """Density bars sit at the bottom of their lane: pick tiles by column and lane rows."""
    return _tiles_in(layout, visible.adjusted(0, -TILE, 0, TILE))


def _paint_bands(painter: QPainter, layout: Layout, visible: QRectF,
                 metrics: QFontMetricsF, text_colour: QColor) -> None:
    """Month- and year-long incidents too many to draw: one hatched band per lane."""
    for lane in layout.lanes:
        if not lane.band or lane.y > visible.bottom() or lane.y + lane.height < visible.top():
            continue
        y = lane.y + (CAPTION if layout.lane_column else 0.0) + (ROW - BAR) / 2
        count = sum(group.count for group in lane.band)
        rect = QRectF(visible.left(), y, visible.width(), BAR)
        colour = QColor(DENSITY_COLOUR)
        colour.setAlphaF(0.35)
        painter.fillRect(rect, QBrush(colour, Qt.BrushStyle.BDiagPattern))
        painter.setPen(text_colour)
        text = _tr("Timeline", "%1 incidents dated only to a month or a year").replace(
            "%1", f"{count:,}")
        painter.drawText(QRectF(visible.left() + 8, y - 3, metrics.horizontalAdvance(text) + 8,
                                ROW), int(Qt.AlignmentFlag.AlignVCenter), text)


def _paint_items(painter: QPainter, layout: Layout, visible: QRectF, metrics: QFontMetricsF,
                 text_colour: QColor, base: QColor, state: PaintState) -> None:
    tiles = _tiles_in(layout, visible)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    top, bottom = visible.top(), visible.bottom()
    bands = range(int(top // TILE), int(bottom // TILE) + 1)
    wide = [layout.wide[band] for band in bands if band in layout.wide]
    for batch in [*wide, *(tile.bars for tile in tiles)]:
        for (colour, approximate), rects in batch.items():
            fill = QColor(colour)
            if approximate:
                fill.setAlphaF(0.38)
                painter.setPen(QPen(QColor(colour), 1.0))  # a dashed pen costs 10x
            else:
                painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRects(rects)
    vector = _is_vector(painter)
    for tile in tiles:
        for (colour, approximate), rects in tile.points.items():
            if vector:  # SVG: real circles
                _draw_points(painter, rects, colour, approximate, base)
                continue
            sprite = _sprite(colour, approximate, base, painter.device().devicePixelRatioF())
            offset = (sprite.width() / sprite.devicePixelRatioF() - MARK) / 2
            for rect in rects:  # a pre-drawn antialiased mark: a blit, not a path
                painter.drawPixmap(QPointF(rect.left() - offset, rect.top() - offset), sprite)
    # The current incident and the selection: a ring in the highlight colour.
    highlight = state.palette.color(QPalette.ColorRole.Highlight)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for uid in {state.current_uid, *state.selected} - {None}:
        placed = layout.by_uid.get(uid)  # type: ignore[arg-type]
        if placed is None:
            continue
        rect = placed.rect().adjusted(-3, -3, 3, 3)
        painter.setPen(QPen(highlight, 2.4 if uid == state.current_uid else 1.6))
        if placed.point:
            painter.drawEllipse(rect)
        else:
            painter.drawRoundedRect(rect, 3, 3)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    painter.setPen(text_colour)
    flags = int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
    right_edge = visible.right()
    for tile in tiles:
        for rect, text in tile.labels:
            if rect.left() < right_edge and rect.bottom() >= visible.top():
                painter.drawText(rect, flags, text)
    # Labels inside wide bars, kept in view while the bar is.
    column = layout.colour_column
    crossing = [placed for band in bands for placed in layout.inside.get(band, ())]
    for placed in [*crossing, *(placed for tile in tiles for placed in tile.inside)]:
        if placed.y > bottom or placed.y + ROW < top:
            continue
        rect = placed.rect()
        if rect.right() < visible.left() or rect.left() > right_edge:
            continue
        x = max(rect.left(), visible.left()) + 4
        room = min(rect.right(), right_edge) - x - 3
        if room < LABEL_MIN:
            continue
        text = metrics.elidedText(_label_text(placed.item), Qt.TextElideMode.ElideRight,
                                  room)
        if not text or text == "…":
            continue
        fill = value_colour(column, placed.item.value(column))
        dark = placed.item.approximate or fill.lightnessF() > 0.62
        painter.setPen(text_colour if dark else QColor("#ffffff"))
        painter.drawText(QRectF(x, placed.y, room, ROW), flags, text)


_SPRITES: dict[tuple[str, bool, str, float], QPixmap] = {}


def _sprite(colour: str, approximate: bool, base: QColor, ratio: float) -> QPixmap:
    """A point mark drawn once (per colour, style and pixel ratio) and blitted many times:
    thousands of antialiased ellipse paths cost tens of milliseconds a frame."""
    key = (colour, approximate, base.name(), ratio)
    sprite = _SPRITES.get(key)
    if sprite is None:
        side = MARK + 4
        sprite = QPixmap(int(side * ratio), int(side * ratio))
        sprite.setDevicePixelRatio(ratio)
        sprite.fill(Qt.GlobalColor.transparent)
        painter = QPainter(sprite)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        _draw_points(painter, [QRectF(2, 2, MARK, MARK)], colour, approximate, base)
        painter.end()
        _SPRITES[key] = sprite
    return sprite


def _draw_points(painter: QPainter, rects: Sequence[QRectF], colour: str, approximate: bool,
                 base: QColor) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    if approximate:  # a ring: the time is "about"
        painter.setPen(QPen(QColor(colour), 2.2))
        painter.setBrush(base)
        rects = [rect.adjusted(1, 1, -1, -1) for rect in rects]
    else:
        painter.setPen(QPen(base, 1.0))
        painter.setBrush(QColor(colour))
    for rect in rects:
        painter.drawEllipse(rect)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)


def _draw_diamonds(painter: QPainter, rects: Sequence[QRectF], colour: QColor,
                   base: QColor) -> None:
    """Quotes: a diamond (a quote, not an incident), or a rounded bar when it is long."""
    marks = QPainterPath()
    for rect in rects:
        if rect.width() > MARK:
            marks.addRoundedRect(rect, 3, 3)
            continue
        centre = rect.center()
        marks.moveTo(centre.x(), rect.top() - 1)
        marks.lineTo(rect.right() + 1, centre.y())
        marks.lineTo(centre.x(), rect.bottom() + 1)
        marks.lineTo(rect.left() - 1, centre.y())
        marks.closeSubpath()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QPen(base, 1.0))
    painter.setBrush(colour)
    painter.drawPath(marks)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)


def _is_vector(painter: QPainter) -> bool:
    engine = painter.paintEngine()
    return engine is not None and engine.type() not in (QPaintEngine.Type.Raster,
                                                        QPaintEngine.Type.OpenGL2)


def _paint_quotes(painter: QPainter, layout: Layout, visible: QRectF, metrics: QFontMetricsF,
                  text_colour: QColor, base: QColor, state: PaintState) -> None:
    y, height = layout.quote_track
    if height <= 0:
        return
    colour = QColor(QUOTE_COLOUR)
    data = layout.data
    if layout.quotes or (data is not None and data.quotes is not None):
        shown = [q for q in layout.quotes
                 if q.x1 >= visible.left() - MARK and q.x0 <= visible.right() + MARK
                 and visible.top() - ROW <= q.y <= visible.bottom()]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        link_colour = QColor(colour)
        link_colour.setAlphaF(0.75)
        links = QPainterPath()
        current_links = QPainterPath()
        draw_all = len(shown) <= LINK_LIMIT
        for placed in shown:
            target = layout.by_uid.get(placed.quote.incident_uid or "")
            if target is None:
                continue
            is_current = placed.quote.incident_uid == state.current_uid
            if not (draw_all or is_current):
                continue
            start = placed.rect().center()
            end_rect = target.rect()
            end = QPointF(end_rect.center().x() if target.point
                          else min(max(start.x(), end_rect.left()), end_rect.right()),
                          end_rect.top())
            path = current_links if is_current else links
            path.moveTo(QPointF(start.x(), placed.rect().bottom()))
            path.lineTo(end)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(link_colour, 1.3))
        painter.drawPath(links)
        painter.setPen(QPen(state.palette.color(QPalette.ColorRole.Highlight), 1.6))
        painter.drawPath(current_links)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if _is_vector(painter):
            _draw_diamonds(painter, [placed.rect() for placed in shown], colour, base)
        else:
            sprite = _SPRITES.get(("quote", False, base.name(), 0.0))
            ratio = painter.device().devicePixelRatioF()
            if sprite is None or sprite.devicePixelRatioF() != ratio:
                side = MARK + 4
                sprite = QPixmap(int(side * ratio), int(side * ratio))
                sprite.setDevicePixelRatio(ratio)
                sprite.fill(Qt.GlobalColor.transparent)
                sprite_painter = QPainter(sprite)
                _draw_diamonds(sprite_painter, [QRectF(2, 2, MARK, MARK)], colour, base)
                sprite_painter.end()
                _SPRITES[("quote", False, base.name(), 0.0)] = sprite
            wide = [placed.rect() for placed in shown if placed.rect().width() > MARK]
            if wide:
                _draw_diamonds(painter, wide, colour, base)
            for placed in shown:
                rect = placed.rect()
                if rect.width() <= MARK:
                    painter.drawPixmap(QPointF(rect.left() - 2, rect.top() - 2), sprite)
    elif data is not None and data.quote_density is not None and layout.quote_density_max > 0:
        density = data.quote_density
        edges = [edge.timestamp() for edge in data.request.edges]
        if len(edges) == len(density) + 1:
            painter.setPen(Qt.PenStyle.NoPen)
            fill = QColor(colour)
            fill.setAlphaF(0.75)
            painter.setBrush(fill)
            rects = []
            bottom = y + height - 2
            usable = height - CAPTION - 4
            for number, count in enumerate(density):
                x0 = (edges[number] - layout.t_ref) / layout.spp
                x1 = (edges[number + 1] - layout.t_ref) / layout.spp
                if count <= 0 or x1 < visible.left() or x0 > visible.right():
                    continue
                h = count / layout.quote_density_max * usable
                rects.append(QRectF(x0, bottom - h, max(x1 - x0 - (1 if x1 - x0 > 4 else 0),
                                                        1.0), h))
            painter.drawRects(rects)
