"""Lines between the marks of related incidents (docs/timeline.md, "Related incidents").

Once a layout is built, the links among its placed incidents are read in the background
(``QueryOp``, the latest request wins); a line is drawn for each link whose two marks are
laid out and which crosses the part of the view on screen. Each kind has its own colour
and dash, and the line ends in an arrowhead at the incident the link points to ("the
strikes → the attack they answer"). Density views (too many marks to draw one by one)
draw no lines. View ▸ Timeline ▸ Related Incident Lines toggles them, kept in the settings.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QLineF, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF

from incidentlog.domain.links import IncidentLink, LinkKind
from incidentlog.gui.operations import Latest, QueryOp
from incidentlog.gui.timeline.layout import Layout, Placed
from incidentlog.gui.workers import TaskRunner
from incidentlog.services import Services

#: Laid-out incidents beyond which no links are asked for (the view is then a crowd).
MAX_UIDS = 5000

#: (colour, dash pattern) per kind: never the colour alone (dashes differ too).
KIND_STYLE: dict[LinkKind, tuple[str, Qt.PenStyle]] = {
    LinkKind.RETALIATION_FOR: ("#b3261e", Qt.PenStyle.SolidLine),
    LinkKind.PART_OF: ("#5b5fc7", Qt.PenStyle.DashLine),
    LinkKind.FOLLOW_UP_OF: ("#8a5a00", Qt.PenStyle.DotLine),
    LinkKind.SAME_AS: ("#5f6368", Qt.PenStyle.DashDotLine),
}
_ARROW = 6.0


class RelatedLines(QObject):
    """The links among the laid-out incidents of one timeline view, and their painting."""

    def __init__(self, services: Services, runner: TaskRunner, on_arrived: Callable[[], None],
                 enabled: bool, parent: QObject) -> None:
        super().__init__(parent)
        self._services = services
        self._runner = runner
        self._on_arrived = on_arrived
        self.enabled = enabled
        self.links: list[IncidentLink] = []
        self._asked: frozenset[str] = frozenset()
        self._ops = Latest()

    def set_enabled(self, enabled: bool, layout: Layout | None) -> None:
        self.enabled = enabled
        self.forget()
        if enabled:
            self.layout_changed(layout)

    def forget(self) -> None:
        """Links changed (or may have): ask again at the next layout."""
        self._asked = frozenset()
        self._ops.drop()

    def layout_changed(self, layout: Layout | None) -> None:
        """Ask for the links among the incidents of a new layout (if they are others)."""
        if not self.enabled or layout is None or layout.density is not None:
            self.links, self._asked = [], frozenset()
            return
        uids = frozenset(layout.by_uid)
        if uids == self._asked or len(uids) > MAX_UIDS:
            return
        self._asked = uids
        if len(uids) < 2:
            self.links = []
            return
        services, wanted = self._services, sorted(uids)
        QueryOp(parent=self, op=lambda _cancelled: services.links.among(wanted),
                success=self._arrived).latest_in(self._ops).run_in_background(self._runner)

    def _arrived(self, links: list[IncidentLink]) -> None:
        self.links = links
        self._on_arrived()

    # --- painting ----------------------------------------------------------------------------

    def paint(self, painter: QPainter, layout: Layout, t0: float, exposed: QRectF) -> None:
        if not self.enabled or not self.links or layout.density is not None:
            return
        shift = layout.x_shift(t0)
        visible = exposed.translated(-shift, 0)
        paths: dict[LinkKind, QPainterPath] = {}
        heads: dict[LinkKind, list[QPolygonF]] = {}
        for link in self.links:
            start, end = layout.by_uid.get(link.from_uid), layout.by_uid.get(link.to_uid)
            if start is None or end is None:
                continue
            a, b = _anchor(start), _anchor(end)
            if not visible.intersects(QRectF(a, b).normalized().adjusted(-30, -30, 30, 30)):
                continue
            path = paths.setdefault(link.kind, QPainterPath())
            control = _control(a, b)
            path.moveTo(a)
            path.quadTo(control, b)
            heads.setdefault(link.kind, []).append(_arrowhead(control, b))
        painter.save()
        painter.translate(shift, 0)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for kind, path in paths.items():
            colour, dash = KIND_STYLE[kind]
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(colour), 1.6, dash))
            painter.drawPath(path)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colour))
            for head in heads.get(kind, ()):
                painter.drawPolygon(head)
        painter.restore()


def _anchor(placed: Placed) -> QPointF:
    """Where a line meets a mark: the top middle of a point, the top start of a bar."""
    rect = placed.rect()
    x = rect.center().x() if placed.point else rect.left() + min(rect.width(), 6.0)
    return QPointF(x, rect.top())


def _control(a: QPointF, b: QPointF) -> QPointF:
    """An arc above both marks, higher the further apart they are (capped)."""
    lift = min(12.0 + abs(b.x() - a.x()) * 0.18, 60.0)
    return QPointF((a.x() + b.x()) / 2, min(a.y(), b.y()) - lift)


def _arrowhead(control: QPointF, tip: QPointF) -> QPolygonF:
    line = QLineF(control, tip)
    angle = math.atan2(line.dy(), line.dx())
    left = QPointF(tip.x() - _ARROW * math.cos(angle - 0.45),
                   tip.y() - _ARROW * math.sin(angle - 0.45))
    right = QPointF(tip.x() - _ARROW * math.cos(angle + 0.45),
                    tip.y() - _ARROW * math.sin(angle + 0.45))
    return QPolygonF([tip, left, right])
