"""A local wall time and its precision, typed through a mask.

``MomentEdit`` is a masked line edit, not a ``QDateTimeEdit``: typing
``2024-01-20 18:30`` into a ``QDateTimeEdit`` silently skips sections after an
automatic section advance, which a desk officer typing fast would not notice. A
mask accepts both ``2024-01-20 18:30`` and ``202401201830``, and the mask
changes with the precision, so only what the precision keeps is editable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import (
    QFocusEvent,
    QMouseEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QWidget,
)

from incidentlog.domain.enums import TimePrecision
from incidentlog.domain.when import Moment, parse_local
from incidentlog.gui.widgets.text import set_text_read_only

_MASKS = {
    TimePrecision.MINUTE: "0000-00-00 00:00;_",
    TimePrecision.HOUR: "0000-00-00 00\\h;_",
    TimePrecision.DAY: "0000-00-00;_",
    TimePrecision.WEEK: "0000-\\W00;_",
    TimePrecision.MONTH: "0000-00;_",
    TimePrecision.YEAR: "0000;_",
}
_EXAMPLES = {
    TimePrecision.MINUTE: "2024-01-20 18:30",
    TimePrecision.HOUR: "2024-01-20 18h",
    TimePrecision.DAY: "2024-01-20",
    TimePrecision.WEEK: "2024-W03",
    TimePrecision.MONTH: "2024-01",
    TimePrecision.YEAR: "2024",
}


def format_wall(wall: datetime, precision: TimePrecision) -> str:
    """The text a ``MomentEdit`` shows for a local wall time at ``precision``."""
    match precision:
        case TimePrecision.MINUTE:
            return wall.strftime("%Y-%m-%d %H:%M")
        case TimePrecision.HOUR:
            return wall.strftime("%Y-%m-%d %Hh")
        case TimePrecision.DAY:
            return wall.strftime("%Y-%m-%d")
        case TimePrecision.WEEK:
            year, week, _ = wall.isocalendar()
            return f"{year:04d}-W{week:02d}"
        case TimePrecision.MONTH:
            return wall.strftime("%Y-%m")
    return wall.strftime("%Y")


class _MaskedEdit(QLineEdit):
    """A masked line edit that starts typing at the first digit while it is empty.

    Qt leaves the cursor after the mask's last position when the text is
    cleared or the field is clicked, where typing does nothing.
    """

    def _home_if_empty(self) -> None:
        if not any(char.isdigit() for char in self.text()):
            self.setCursorPosition(0)

    def focusInEvent(self, event: QFocusEvent) -> None:  # Qt override
        super().focusInEvent(event)
        self._home_if_empty()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # Qt override
        super().mouseReleaseEvent(event)
        self._home_if_empty()


class MomentEdit(QWidget):
    """A local wall time and its precision (minute … year).

    The value is the LOCAL time the report gave; the form combines it with the
    time zone and the "approximate" flag into a ``Moment``. Changing the
    precision keeps what the new precision can hold and changes the mask, so
    "day" accepts ``2024-01-20`` and nothing more.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, optional: bool = False) -> None:
        super().__init__(parent)
        self._optional = optional
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = _MaskedEdit(self)
        self.precision = QComboBox(self)
        labels = {
            TimePrecision.MINUTE: self.tr("minute"),
            TimePrecision.HOUR: self.tr("hour"),
            TimePrecision.DAY: self.tr("day"),
            TimePrecision.WEEK: self.tr("week"),
            TimePrecision.MONTH: self.tr("month"),
            TimePrecision.YEAR: self.tr("year"),
        }
        for precision in TimePrecision:
            self.precision.addItem(labels[precision], precision.value)
        self.precision.setToolTip(self.tr("How precisely the report gives the time"))
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.precision)
        self.setFocusProxy(self.edit)
        self._current = TimePrecision.MINUTE
        self._apply_mask(TimePrecision.MINUTE)
        metrics = self.edit.fontMetrics()
        self.edit.setMinimumWidth(metrics.horizontalAdvance("0000-00-00 00:00") + 16)
        self.edit.textChanged.connect(self.changed)
        self.precision.currentIndexChanged.connect(self._precision_changed)

    def _apply_mask(self, precision: TimePrecision) -> None:
        self.edit.setInputMask(_MASKS[precision])
        self.edit.setToolTip(self.tr("Local time as the report gives it, e.g. {0}").format(
            _EXAMPLES[precision]))

    def _precision_changed(self) -> None:
        new = self.current_precision()
        try:
            wall = self._parse(self._current)
        except ValueError:
            wall = None
        self._current = new
        self.edit.blockSignals(True)
        try:
            self._apply_mask(new)
            self.edit.setText(format_wall(wall, new) if wall is not None else "")
            self.edit._home_if_empty()
        finally:
            self.edit.blockSignals(False)
        self.changed.emit()

    def current_precision(self) -> TimePrecision:
        return TimePrecision(self.precision.currentData())

    def is_empty(self) -> bool:
        return not any(char.isdigit() for char in self.edit.text())

    def _parse(self, precision: TimePrecision) -> datetime | None:
        if self.is_empty():
            return None
        text = self.edit.text().strip()
        if not self.edit.hasAcceptableInput() or "_" in self.edit.displayText():
            raise ValueError(self.tr("is incomplete: write it as {0}").format(
                _EXAMPLES[precision]))
        return parse_local(text, "UTC").utc.replace(tzinfo=None)

    def wall(self) -> datetime | None:
        """The local wall time typed, None when empty; ``ValueError`` when it is not a date."""
        return self._parse(self._current)

    def moment(self, tz: str, approximate: bool = False) -> Moment | None:
        wall = self.wall()
        if wall is None:
            return None
        return Moment.from_local(wall, self.current_precision(), tz, approximate)

    def set_wall(self, wall: datetime | None, precision: TimePrecision) -> None:
        self.precision.blockSignals(True)
        self.edit.blockSignals(True)
        try:
            self.precision.setCurrentIndex(list(TimePrecision).index(precision))
            self._current = precision
            self._apply_mask(precision)
            self.edit.setText(format_wall(wall, precision) if wall is not None else "")
            self.edit._home_if_empty()
        finally:
            self.precision.blockSignals(False)
            self.edit.blockSignals(False)
        self.changed.emit()

    def set_moment(self, moment: Moment | None, default: TimePrecision = TimePrecision.MINUTE
                   ) -> None:
        if moment is None:
            self.set_wall(None, default)
        else:
            self.set_wall(moment.local().replace(tzinfo=None), moment.precision)

    def set_read_only(self, read_only: bool) -> None:
        set_text_read_only(self.edit, read_only)
        self.precision.setEnabled(not read_only)

    def inputs(self) -> tuple[QWidget, ...]:
        return (self.edit,)

    def raw(self) -> tuple[Any, ...]:
        return (self.current_precision(), self.edit.text() if not self.is_empty() else "")
