"""Named periods on the timeline: the dialog that creates and edits one, and the undo
commands that store it.

A period is a span of whole days ("campaign of 17 Oct 2023 – 4 Feb 2024"), so
the dialog asks for dates, not times: both days are included, in the time zone
the timeline shows. Saving goes through the undo stack with the generic record
commands of ``gui/undo.py`` (``services.periods`` is a record service like the
others), so Edit ▸ Undo takes a period back like any other edit.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from PySide6.QtCore import QDate
from PySide6.QtGui import QColor, QIcon, QPixmap, QUndoStack
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.enums import TimePrecision
from incidentlog.domain.errors import IncidentLogError, ValidationError
from incidentlog.domain.records import Period
from incidentlog.domain.when import Moment
from incidentlog.gui.undo import (
    CreateRecordCommand,
    DeleteRecordCommand,
    UpdateRecordCommand,
    push_command,
)
from incidentlog.services import Services

#: Colours offered for a period band (muted: a band sits behind the incidents).
PERIOD_COLOURS: tuple[tuple[str, str], ...] = (
    ("#8b5cf6", "Violet"),
    ("#d62728", "Red"),
    ("#f59e0b", "Amber"),
    ("#2ca02c", "Green"),
    ("#1f77b4", "Blue"),
    ("#17becf", "Cyan"),
    ("#7f7f7f", "Grey"),
)


def _swatch(colour: str) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class PeriodDialog(QDialog):
    """Name, first day, last day and colour of a period."""

    def __init__(self, period: Period | None, tz: str, parent: QWidget | None = None,
                 *, first: date | None = None, last: date | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("periodDialog")
        self._tz = tz
        self._period = period
        self.setWindowTitle(self.tr("Edit period") if period else self.tr("New period"))
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("periodName")
        self.name_edit.setAccessibleName(self.tr("Period name"))
        self.name_edit.setPlaceholderText(self.tr("e.g. Campaign of 17 Oct 2023 – 4 Feb 2024"))
        self.start_edit = self._date_edit("periodStart", self.tr("First day"))
        self.end_edit = self._date_edit("periodEnd", self.tr("Last day"))
        self.colour_combo = QComboBox(self)
        self.colour_combo.setObjectName("periodColour")
        self.colour_combo.setAccessibleName(self.tr("Band colour"))
        for value, name in PERIOD_COLOURS:
            self.colour_combo.addItem(_swatch(value), self.tr(name), value)
        self.colour_combo.addItem(self.tr("Other…"), None)
        self.colour_combo.activated.connect(self._maybe_pick_colour)
        self.notes_edit = QLineEdit(self)
        self.notes_edit.setObjectName("periodNotes")
        self.notes_edit.setAccessibleName(self.tr("Notes"))
        self.error_label = QLabel(self)
        self.error_label.setObjectName("periodError")
        self.error_label.setStyleSheet("color: #c62828")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        form = QFormLayout()
        form.addRow(self.tr("&Name:"), self.name_edit)
        form.addRow(self.tr("&First day:"), self.start_edit)
        form.addRow(self.tr("&Last day:"), self.end_edit)
        form.addRow(self.tr("&Colour:"), self.colour_combo)
        form.addRow(self.tr("N&otes:"), self.notes_edit)
        hint = QLabel(self.tr("Both days are included, in the time zone %1.").replace("%1", tz),
                      self)
        hint.setEnabled(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setTabOrder(self.name_edit, self.start_edit)
        self.setTabOrder(self.start_edit, self.end_edit)
        self.setTabOrder(self.end_edit, self.colour_combo)
        self.setTabOrder(self.colour_combo, self.notes_edit)

        self._fill(period, first, last)
        self.name_edit.textChanged.connect(self._validate)
        self.start_edit.dateChanged.connect(self._validate)
        self.end_edit.dateChanged.connect(self._validate)
        self._validate()

    def _fill(self, period: Period | None, first: date | None, last: date | None) -> None:
        """The period's values, or a new one's: the days given (else today), the first colour."""
        if period is not None and period.start is not None and period.end is not None:
            self.name_edit.setText(period.name or "")
            self.start_edit.setDate(_qdate(period.start.local().date()))
            self.end_edit.setDate(_qdate(period.end.local().date()))
            self.set_colour(period.color)
            self.notes_edit.setText(period.notes or "")
        else:
            today = date.today()
            self.start_edit.setDate(_qdate(first or today))
            self.end_edit.setDate(_qdate(last or first or today))
            self.set_colour(PERIOD_COLOURS[0][0])

    def _date_edit(self, name: str, accessible: str) -> QDateEdit:
        edit = QDateEdit(self)
        edit.setObjectName(name)
        edit.setAccessibleName(accessible)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setDateRange(QDate(1900, 1, 1), QDate(2200, 12, 31))
        return edit

    def set_colour(self, colour: str | None) -> None:
        colour = colour or PERIOD_COLOURS[0][0]
        index = self.colour_combo.findData(colour)
        if index < 0:
            index = self.colour_combo.count() - 1
            self.colour_combo.insertItem(index, _swatch(colour), colour, colour)
        self.colour_combo.setCurrentIndex(index)

    def colour(self) -> str:
        value = self.colour_combo.currentData()
        return str(value) if value else PERIOD_COLOURS[0][0]

    def _maybe_pick_colour(self, index: int) -> None:
        if self.colour_combo.itemData(index) is not None:
            return
        chosen = QColorDialog.getColor(QColor(PERIOD_COLOURS[0][0]), self,
                                       self.tr("Band colour"))
        self.set_colour(chosen.name() if chosen.isValid() else PERIOD_COLOURS[0][0])

    def _validate(self) -> None:
        problem = None
        if not self.name_edit.text().strip():
            problem = self.tr("Give the period a name.")
        elif self.end_edit.date() < self.start_edit.date():
            problem = self.tr("The last day is before the first day.")
        self.show_error(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)

    def show_error(self, message: str | None) -> None:
        self.error_label.setText(message or "")
        self.error_label.setVisible(bool(message))

    def period(self) -> Period:
        """The period as entered: day-precision moments in the timeline's time zone."""
        start = Moment.from_local(_pydate(self.start_edit.date()), TimePrecision.DAY, self._tz)
        end = Moment.from_local(_pydate(self.end_edit.date()), TimePrecision.DAY, self._tz)
        name, notes = self.name_edit.text().strip(), self.notes_edit.text().strip() or None
        if self._period is not None:
            return replace(self._period, name=name, start=start, end=end, color=self.colour(),
                           notes=notes)
        return Period(name=name, start=start, end=end, color=self.colour(), notes=notes)


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _pydate(value: QDate) -> datetime:
    return datetime(value.year(), value.month(), value.day())


# --- through the undo stack ---------------------------------------------------------------


def create_period(stack: QUndoStack, services: Services, period: Period
                  ) -> tuple[str | None, IncidentLogError | None]:
    """Store a new period (undoable); its uid, or the error to show."""
    command = CreateRecordCommand(services.periods, period,  # type: ignore[arg-type]
                                  stack.tr("New period “%1”").replace("%1", period.label))
    error = push_command(stack, command)
    return command.uid, error


def update_period(stack: QUndoStack, services: Services, before: Period, after: Period
                  ) -> IncidentLogError | None:
    command = UpdateRecordCommand(services.periods, before, after,
                                  stack.tr("Edit period “%1”").replace("%1", after.label))
    return push_command(stack, command)


def delete_period(stack: QUndoStack, services: Services, period: Period
                  ) -> IncidentLogError | None:
    command = DeleteRecordCommand(services.periods, period.meta.uid or "",
                                  period.meta.version,
                                  stack.tr("Delete period “%1”").replace("%1", period.label))
    return push_command(stack, command)


def error_text(error: IncidentLogError) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{field} {message}" for field, message in error.fields.items())
    return error.message


__all__ = ["PERIOD_COLOURS", "PeriodDialog", "create_period", "delete_period", "error_text",
           "update_period"]

