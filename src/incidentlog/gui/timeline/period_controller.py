"""The named periods of a timeline view: where they are, and asking to create, edit or
delete one (``PeriodController``).

The dialog and the undo commands are ``periods.py``; this holds the view's
list of periods, the row of each name in the strip under the axis (periods
that overlap get their own rows), and the dialogs' workflow.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QPointF
from PySide6.QtWidgets import QMessageBox

from incidentlog.domain.errors import IncidentLogError
from incidentlog.domain.records import Period
from incidentlog.domain.when import zone
from incidentlog.gui import plain_text
from incidentlog.gui.timeline.paint_chrome import PeriodBand
from incidentlog.gui.timeline.periods import (
    PeriodDialog,
    create_period,
    delete_period,
    error_text,
    update_period,
)
from incidentlog.gui.timeline.style import AXIS_HEIGHT, PERIOD_ROW

if TYPE_CHECKING:
    from incidentlog.gui.timeline.view import TimelineView

UTC_MIN = datetime.min.replace(tzinfo=UTC)


class PeriodController:
    """The periods a view shows and the dialogs that change them."""

    def __init__(self, view: TimelineView) -> None:
        self._view = view
        self.periods: list[Period] = []
        self._levels: dict[str, int] = {}

    def load(self) -> None:
        """Read the periods again (the view lays out again after)."""
        try:
            self.periods = self._view.context.services.periods.list()
        except IncidentLogError:  # a database that cannot be read: say so, draw the rest
            self.periods = []
        # Levels: overlapping periods get their own row in the strip.
        levels: dict[str, int] = {}
        ends: list[float] = []
        for period in sorted(self.periods, key=lambda p: p.start.utc if p.start else UTC_MIN):
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
        self._levels = levels

    @property
    def rows(self) -> int:
        """Rows of names in the strip under the axis."""
        return max(self._levels.values(), default=-1) + 1

    def span_x(self, period: Period) -> tuple[float, float] | None:
        """Viewport x of the start of its first day and of the end of its last."""
        if period.start is None or period.end is None:
            return None
        scale = self._view.time_scale
        return (scale.x_of(period.start.interval()[0]),
                scale.x_of(period.end.interval()[1]))

    def bands(self) -> list[PeriodBand]:
        bands = []
        for period in self.periods:
            span = self.span_x(period)
            if span is not None:
                level = self._levels.get(period.meta.uid or "", 0)
                bands.append(PeriodBand(period, span[0], span[1], level))
        return bands

    def at(self, pos: QPointF, header: float) -> Period | None:
        """The period whose name strip or band is under a viewport point."""
        best = None
        for period in self.periods:
            span = self.span_x(period)
            if span is None or not span[0] <= pos.x() <= span[1]:
                continue
            level = self._levels.get(period.meta.uid or "", 0)
            y = AXIS_HEIGHT + level * PERIOD_ROW
            if y <= pos.y() < y + PERIOD_ROW:
                return period
            best = best or period
        return best if pos.y() >= header else None

    # --- the dialogs -----------------------------------------------------------------------
    def new_period(self, first: date | None = None, last: date | None = None) -> None:
        """Ask for a new period (by default the visible days) and store it, undoably."""
        view = self._view
        context = view.context
        if context.read_only:
            return
        if first is None or last is None:
            start, end = view.visible_window()
            tz = zone(view.time_zone)
            first = start.astimezone(tz).date()
            last = (end - timedelta(seconds=1)).astimezone(tz).date()
        dialog = PeriodDialog(None, view.time_zone, view, first=first, last=last)
        while dialog.exec() == PeriodDialog.DialogCode.Accepted:
            _uid, error = create_period(context.undo_stack, context.services, dialog.period())
            if error is None:
                return
            dialog.show_error(error_text(error))

    def edit_period(self, period: Period) -> None:
        view = self._view
        context = view.context
        if context.read_only:
            return
        dialog = PeriodDialog(period, period.start.tz if period.start else view.time_zone, view)
        while dialog.exec() == PeriodDialog.DialogCode.Accepted:
            error = update_period(context.undo_stack, context.services, period,
                                  dialog.period())
            if error is None:
                return
            dialog.show_error(error_text(error))

    def remove_period(self, period: Period) -> None:
        view = self._view
        context = view.context
        if context.read_only:
            return
        answer = plain_text.question(
            view, _tr("Delete period"),
            _tr("Delete the period “%1”? Edit ▸ Undo brings it back.").replace(
                "%1", period.label))
        if answer != QMessageBox.StandardButton.Yes:
            return
        error = delete_period(context.undo_stack, context.services, period)
        if error is not None:
            plain_text.warning(view, _tr("Delete period"), error.message)


def _tr(text: str) -> str:
    return QCoreApplication.translate("TimelineView", text)


__all__ = ["PeriodController"]
