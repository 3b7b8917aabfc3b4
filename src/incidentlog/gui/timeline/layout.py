"""Where each mark of the timeline goes: the layout of one answer at one zoom.

The layout is computed once per answer from the database and per zoom level,
in pixels at that zoom: items are packed into rows per lane so that no two
marks overlap (two incidents of the same day stack), labels get the room
left before the next mark of their row. A pan at the same zoom only
translates the painter: nothing is laid out again.

What to paint is sorted here too, once per layout, into tiles of rectangles
batched per colour: a frame (``paint_marks``) then walks the tiles it shows
and makes a few dozen calls into Qt for 5,000 incidents, where one
``QGraphicsItem`` per incident costs 577 MiB and 1.5 s per frame for 100,000
(docs/timeline.md, Speed).
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF

from incidentlog.gui.timeline.style import (
    BAR,
    CAPTION,
    DENSITY_COLOUR,
    GAP,
    LABEL_MIN,
    LABELS_IN_PACKING,
    MARK,
    POINT_BAR_MIN,
    QUOTE_ROWS,
    ROW,
    value_colour,
    value_label,
)
from incidentlog.services.timeline import (
    Density,
    LongGroup,
    TimelineItem,
    TimelineQuote,
    WindowData,
)


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


def tiles_in(layout: Layout, visible: QRectF) -> list[Tile]:
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
    by_uid: dict[str, Placed] = field(default_factory=dict)  # in several lanes: the topmost
    #: Lanes by actor: the other places of an incident drawn in several lanes.
    also: dict[str, list[Placed]] = field(default_factory=dict)
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

    def hit(self, x: float, y: float) -> Placed | PlacedQuote | None:
        """The incident or quote at layout ``x`` and scene ``y`` (a little slack around
        each mark), the one drawn last first."""
        for placed in reversed(self.placed):
            if placed.y <= y < placed.y + ROW:
                rect = placed.rect().adjusted(-2, -3, 2, 3)
                if rect.left() <= x <= rect.right():
                    return placed
        for quote in reversed(self.quotes):
            if quote.y <= y < quote.y + ROW:
                rect = quote.rect().adjusted(-2, -3, 2, 3)
                if rect.left() <= x <= rect.right():
                    return quote
        return None


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

    def x_of(t: float) -> float:
        return (t - t0) / spp

    # Quotes: their own track above the lanes.
    y = _place_quote_track(layout, data, x_of, content_top + 4)
    if data.items is not None:
        _place_items(layout, data, x_of, index_of, lane_column, metrics)
        y = _stack_item_lanes(layout, y)
        _batch_items(layout, metrics)
    else:
        y = _stack_density_lanes(layout, density or data.density, y, available_height)
    layout.content_height = y + 8
    return layout


def _place_quote_track(layout: Layout, data: WindowData, x_of: Callable[[float], float],
                       y: float) -> float:
    """The quotes (at most QUOTE_ROWS deep) or their counts; the y below the track."""
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
        return y + height + 6
    if data.quote_density is not None or data.quotes_pending or (
        data.quotes is None and data.mode == "density"
    ):
        height = CAPTION + 30.0
        layout.quote_track = (y, height)
        layout.quote_density_max = max(data.quote_density or (0.0,))
        return y + height + 6
    return y


def _stack_item_lanes(layout: Layout, y: float) -> float:
    """Lanes as tall as their rows (and band), one under the other; the y below them."""
    caption = CAPTION * bool(layout.lane_column)
    for lane in layout.lanes:
        lane.y = y
        band_rows = 1 if lane.band else 0
        lane.height = caption + (lane.rows + band_rows) * ROW + 4
        y += lane.height
    for placed in layout.placed:
        lane = layout.lanes[placed.lane]
        band_rows = 1 if lane.band else 0
        placed.y = lane.y + caption + (placed.row + band_rows) * ROW
        first = layout.by_uid.get(placed.item.uid)
        if first is None:
            layout.by_uid[placed.item.uid] = placed
            continue
        if placed.lane < first.lane:  # the topmost lane is where the view scrolls to
            layout.by_uid[placed.item.uid], placed = placed, first
        layout.also.setdefault(placed.item.uid, []).append(placed)
    return y


def _stack_density_lanes(layout: Layout, density: Density | None, y: float,
                         available_height: float) -> float:
    """Lanes sharing the height left for their counts; the y below them."""
    lanes, lane_column = layout.lanes, layout.lane_column
    layout.density = density
    free = max(available_height - (y - layout.content_top) - 8, 60.0)
    each = max(free / max(len(lanes), 1), 44.0)
    if lane_column:
        each = min(each, 140.0)
    for lane in lanes:
        lane.y = y
        lane.height = each
        y += each
    if density is not None:
        layout.density_max = _density_max(density, lane_column)
        for lane in lanes:
            if lane_column:
                lane.count = round(sum(density.counts.get(lane.value, ())))
            else:
                lane.count = round(sum(density.totals()))
        _batch_density(layout)
    return y

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
                text = metrics.elidedText(label_text(placed.item),
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


def _place_items(layout: Layout, data: WindowData, to_x: Callable[[float], float],
                 index_of: dict[str | None, int], lane_column: str | None,
                 metrics: QFontMetricsF) -> None:
    assert data.items is not None
    per_lane: dict[int, tuple[list[_Entry], list[_Entry]]] = {}
    with_labels = len(data.items) <= LABELS_IN_PACKING
    for item in data.items:
        x0, x1 = to_x(item.start), to_x(item.end)
        point = item.is_point and x1 - x0 < POINT_BAR_MIN
        if point:
            left, right = x0 - MARK / 2, x0 + MARK / 2
        else:
            left, right = x0, max(x1, x0 + 3.0)
        label = metrics.horizontalAdvance(label_text(item)) + 6 if with_labels else 0.0
        # Lanes by actor: an incident with two actors is drawn in both lanes.
        for value in item.lane_values(lane_column) if lane_column else (None,):
            lane = index_of.get(value)
            if lane is None:
                lane = len(layout.lanes)
                index_of[value] = lane
                layout.lanes.append(Lane(value, value_label(lane_column, value)))
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
        shown_in = layout.lanes[lane_number]
        for (left, right, item, point, _label), row in zip(entries, rows, strict=True):
            x0 = left + MARK / 2 if point else left
            placed = Placed(item, lane_number, row, x0, right, point)
            previous = last_in_row.get(row)
            if previous is not None:
                previous.label_room = left - previous.x1 - GAP
            placed.label_room = 1e9
            last_in_row[row] = placed
            layout.placed.append(placed)
            shown_in.rows = max(shown_in.rows, row + 1)
            shown_in.count += 1


_LONG = frozenset({"month", "year"})
_Entry = tuple[float, float, TimelineItem, bool, float]


def label_text(item: TimelineItem) -> str:
    return item.title if len(item.title) <= 60 else item.title[:59] + "…"


def _density_max(density: Density, lane_column: str | None) -> float:
    if lane_column:
        return max((max(series, default=0.0) for series in density.counts.values()),
                   default=0.0)
    return max(density.totals(), default=0.0)
