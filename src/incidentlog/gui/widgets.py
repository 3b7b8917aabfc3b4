"""Input widgets and the form scaffolding shared by the incident, source and quote forms.

Why these exist rather than stock widgets:

* ``MomentEdit`` is a masked line edit, not a ``QDateTimeEdit``: typing
  ``2024-01-20 18:30`` into a ``QDateTimeEdit`` silently skips sections after
  an automatic section advance, which a desk officer typing fast would not
  notice. A mask accepts both ``2024-01-20 18:30`` and ``202401201830``, and
  the mask changes with the precision, so only what the precision keeps is
  editable.
* ``OptionalIntEdit`` and ``CountEdit`` keep "unknown" apart from 0 (DESIGN §2).
* ``TimeZoneCombo`` and ``CountryCombo`` complete by contains and resolve what
  was typed ("Baghdad" → ``Asia/Baghdad``, "Iraq" or "IQ" → ``IQ``) when the
  field is left, so Tab is enough: no need to pick from a popup.
* ``FormBase`` keeps what the three forms share: messages beside the fields,
  dirty tracking against a snapshot of the widgets, the Save / Discard /
  Cancel question, read-only mode and the conflict offer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFocusEvent,
    QKeySequence,
    QMouseEvent,
    QPalette,
    QRegularExpressionValidator,
    QShortcut,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.countries import all_countries, country_name, find_country
from incidentlog.domain.enums import CountQualifier, TimePrecision
from incidentlog.domain.errors import ConflictError, IncidentLogError
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Count, Source
from incidentlog.domain.urls import url_host
from incidentlog.domain.when import Moment, all_zone_names, is_zone, parse_local
from incidentlog.gui.context import AppContext
from incidentlog.gui.errors import show_error
from incidentlog.services import Services

#: The colours of problems and notices. Applied through palettes, not a style sheet:
#: a style sheet on the form would re-polish every child (0.3 s per form) and
#: would override the platform's look of every input.
ERROR_RED = QColor("#c62828")
NOTICE_AMBER = QColor("#f4c20d")


def _blend(base: QColor, tint: QColor, amount: float) -> QColor:
    return QColor.fromRgbF(
        base.redF() + (tint.redF() - base.redF()) * amount,
        base.greenF() + (tint.greenF() - base.greenF()) * amount,
        base.blueF() + (tint.blueF() - base.blueF()) * amount,
    )


def _is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def name_field(widget: QWidget, name: str, accessible: str | None = None) -> QWidget:
    """Object name and accessible name: what tests and screen readers find a field by."""
    widget.setObjectName(name)
    widget.setAccessibleName(accessible or name)
    return widget


def mark_invalid(widget: QWidget, message: str | None) -> None:
    """Draw ``widget`` as having a problem (or not); the message is read by screen readers."""
    invalid = bool(message)
    if bool(widget.property("invalid")) == invalid and widget.accessibleDescription() == (
        message or ""
    ):
        return
    widget.setProperty("invalid", invalid)
    widget.setAccessibleDescription(message or "")
    if not invalid:
        widget.setPalette(QPalette())  # back to the inherited palette
        return
    parent = widget.parentWidget()
    palette = QPalette(parent.palette() if parent is not None else widget.palette())
    for role in (QPalette.ColorRole.Base, QPalette.ColorRole.Button):
        palette.setColor(role, _blend(palette.color(role), ERROR_RED, 0.16))
    widget.setPalette(palette)


def report_error(parent: QWidget, error: IncidentLogError | str, title: str | None = None) -> None:
    """Tell the user about an error that belongs to no field (read-only file, disk full).

    Field problems never come here: they are shown beside their field. Errors
    go through the window's shared presenter (``gui.errors.show_error``), so
    they read the same everywhere and tests patch one static ``QMessageBox``.
    """
    if isinstance(error, IncidentLogError):
        show_error(parent, error)
        return
    QMessageBox.warning(parent, title or parent.tr("incidentlog"), str(error))


class ErrorLabel(QLabel):
    """The small red message under a field (its form row is hidden while it is empty)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "error")
        palette = self.palette()
        dark = _is_dark(palette)
        palette.setColor(QPalette.ColorRole.WindowText,
                         ERROR_RED.lighter(170) if dark else ERROR_RED)
        self.setPalette(palette)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.font()
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() * 0.92)
        self.setFont(font)

    def set_message(self, text: str | None) -> None:
        self.setText(text or "")


def hint_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """Grey explanatory text under a field (e.g. the UTC equivalent of a local time)."""
    label = QLabel(text, parent)
    label.setProperty("role", "hint")
    set_hint_colour(label)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def set_hint_colour(label: QLabel) -> None:
    """Secondary text: the palette's placeholder colour, readable in light and dark themes."""
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText,
                     palette.color(QPalette.ColorRole.PlaceholderText))
    label.setPalette(palette)


def section_header(text: str, parent: QWidget | None = None) -> QWidget:
    """A bold heading with a rule, spanning both columns of a QFormLayout."""
    box = QWidget(parent)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 10, 0, 2)
    layout.setSpacing(2)
    label = QLabel(text, box)
    label.setProperty("role", "section")
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    rule = QFrame(box)
    rule.setFrameShape(QFrame.Shape.HLine)
    rule.setFrameShadow(QFrame.Shadow.Sunken)
    layout.addWidget(label)
    layout.addWidget(rule)
    box.setAccessibleName(text)
    return box


class NoticeBar(QFrame):
    """A non-modal message with actions ("changed by someone else — Reload").

    Used instead of a dialog for things that do not need an answer right now,
    so the officer can keep typing.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notice")
        self.setAccessibleName(self.tr("Notice"))
        self.setProperty("role", "notice")
        self.setFrameShape(QFrame.Shape.Box)
        self.setFrameShadow(QFrame.Shadow.Plain)
        palette = self.palette()
        window = palette.color(QPalette.ColorRole.Window)
        palette.setColor(QPalette.ColorRole.Window, _blend(window, NOTICE_AMBER, 0.35))
        palette.setColor(QPalette.ColorRole.WindowText, _blend(window, NOTICE_AMBER, 0.9)
                         if _is_dark(palette) else QColor("#7a5c00"))
        self.setPalette(palette)
        self.setAutoFillBackground(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.label, 1)
        self._buttons_box = QHBoxLayout()
        layout.addLayout(self._buttons_box)
        self._buttons: list[QPushButton] = []
        self.setVisible(False)

    def show_notice(
        self, text: str, actions: Sequence[tuple[str, Callable[[], object]]] = ()
    ) -> None:
        self.clear()
        self.label.setText(text)
        for caption, callback in actions:
            button = QPushButton(caption, self)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, cb=callback: cb())
            self._buttons_box.addWidget(button)
            self._buttons.append(button)
        self.setVisible(True)

    def clear(self) -> None:
        for button in self._buttons:
            button.hide()
            button.deleteLater()
        self._buttons = []
        self.label.clear()
        self.setVisible(False)

    def text(self) -> str:
        return self.label.text() if self.isVisibleTo(self.parentWidget()) else ""

    def buttons(self) -> list[QPushButton]:
        return list(self._buttons)

    def button(self, caption: str) -> QPushButton | None:
        wanted = caption.replace("&", "")
        return next((b for b in self._buttons if b.text().replace("&", "") == wanted), None)


def source_caption(source: Source) -> str:
    """What a person recognises a source by: its title, else whose post it is, else the URL."""
    if source.title:
        return source.title
    if source.handle:
        return f"{source.handle} {source.kind.label}"
    return source.url or source.label


def source_details(source: Source) -> str:
    """The second line: outlet, date, kind and the site."""
    host = url_host(source.url) if source.url else None
    published = source.published.display(with_zone=False) if source.published else None
    kind = source.kind.label if source.title else None  # else the caption says it
    return " · ".join(p for p in (source.outlet, published, kind, host) if p)


# --- simple inputs ---------------------------------------------------------------------------


class OptionalIntEdit(QLineEdit):
    """A count that may be unknown: empty means unknown, never 0."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setValidator(QRegularExpressionValidator(r"\d{0,9}", self))
        self.setPlaceholderText(self.tr("unknown"))
        self.setMaxLength(9)

    def value(self) -> int | None:
        text = self.text().strip()
        return int(text) if text else None

    def set_value(self, value: int | None) -> None:
        self.setText("" if value is None else str(value))


class OptionalFloatEdit(QLineEdit):
    """A coordinate that may be absent; a comma is accepted as the decimal mark."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setValidator(QRegularExpressionValidator(r"[-+−]?\d{0,3}([.,]\d{0,10})?", self))

    def value(self) -> float | None:
        """The number, None when empty; ``ValueError`` for a sign without digits."""
        text = self.text().strip().replace(",", ".").replace("−", "-")
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            raise ValueError(self.tr("“{0}” is not a number such as 33.79").format(
                self.text())) from None

    def set_value(self, value: float | None) -> None:
        self.setText("" if value is None else f"{value:.6f}".rstrip("0").rstrip("."))


def plain_text_edit(parent: QWidget | None = None, *, lines: int = 4) -> QPlainTextEdit:
    """Multi-line text where Enter is a new line and Tab leaves the field (keyboard-first)."""
    edit = QPlainTextEdit(parent)
    edit.setTabChangesFocus(True)
    edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    height = edit.fontMetrics().lineSpacing() * lines + 12
    edit.setMinimumHeight(height)
    edit.setFixedHeight(height + edit.fontMetrics().lineSpacing())
    return edit


class CountEdit(QWidget):
    """A casualty count: qualifier (unknown / exact / at least / about) and a number.

    The number is disabled while the qualifier is unknown, so unknown can never
    be stored as 0.
    """

    changed = Signal()

    _ORDER = (
        CountQualifier.UNKNOWN,
        CountQualifier.EXACT,
        CountQualifier.AT_LEAST,
        CountQualifier.ABOUT,
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.qualifier = QComboBox(self)
        labels = {
            CountQualifier.UNKNOWN: self.tr("unknown"),
            CountQualifier.EXACT: self.tr("exactly"),
            CountQualifier.AT_LEAST: self.tr("at least"),
            CountQualifier.ABOUT: self.tr("about"),
        }
        for qualifier in self._ORDER:
            self.qualifier.addItem(labels[qualifier], qualifier.value)
        self.number = QSpinBox(self)
        self.number.setRange(0, 10_000_000)
        self.number.setAccelerated(True)
        self.number.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.UpDownArrows)
        layout.addWidget(self.qualifier)
        layout.addWidget(self.number)
        layout.addStretch(1)
        self.setFocusProxy(self.qualifier)
        self.qualifier.currentIndexChanged.connect(self._qualifier_changed)
        self.number.valueChanged.connect(self.changed)
        self._read_only = False
        self._sync()

    def setObjectName(self, name: str) -> None:  # Qt name
        super().setObjectName(name)
        self.qualifier.setObjectName(f"{name}_qualifier")
        self.number.setObjectName(f"{name}_number")

    def setAccessibleName(self, name: str) -> None:  # Qt name
        super().setAccessibleName(name)
        self.qualifier.setAccessibleName(self.tr("{0}: qualifier").format(name))
        self.number.setAccessibleName(self.tr("{0}: number").format(name))

    def _qualifier_changed(self) -> None:
        self._sync()
        self.changed.emit()

    def _sync(self) -> None:
        unknown = self.current_qualifier() is CountQualifier.UNKNOWN
        self.number.setEnabled(not unknown and not self._read_only)
        self.number.setSpecialValueText("—" if unknown else "")

    def current_qualifier(self) -> CountQualifier:
        return CountQualifier(self.qualifier.currentData())

    def value(self) -> Count:
        qualifier = self.current_qualifier()
        if qualifier is CountQualifier.UNKNOWN:
            return Count()
        return Count(self.number.value(), qualifier)

    def set_value(self, count: Count) -> None:
        qualifier = count.qualifier if count.known else CountQualifier.UNKNOWN
        self.qualifier.setCurrentIndex(self._ORDER.index(qualifier))
        self.number.setValue(count.value or 0)
        self._sync()

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.qualifier.setEnabled(not read_only)
        self._sync()

    def inputs(self) -> tuple[QWidget, ...]:
        return (self.qualifier, self.number)

    def raw(self) -> tuple[Any, ...]:
        qualifier = self.current_qualifier()
        return (qualifier, None if qualifier is CountQualifier.UNKNOWN else self.number.value())


# --- dates with precision --------------------------------------------------------------------

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
        self.edit.setReadOnly(read_only)
        self.precision.setEnabled(not read_only)

    def inputs(self) -> tuple[QWidget, ...]:
        return (self.edit,)

    def raw(self) -> tuple[Any, ...]:
        return (self.current_precision(), self.edit.text() if not self.is_empty() else "")


# --- completing combos -----------------------------------------------------------------------


def contains_completer(model: Any, parent: QObject) -> QCompleter:
    """Completion by "contains", case-insensitive: "Baghdad" finds Asia/Baghdad."""
    completer = StringCompleter(model, parent)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    completer.setMaxVisibleItems(12)
    return completer


class _ResolvingCombo(QComboBox):
    """Editable combo that turns what was typed into one of its items when left."""

    resolved = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(14)
        self.setMaxVisibleItems(15)
        self.lineEdit().editingFinished.connect(self.resolve)

    def _install_completer(self) -> None:
        completer = contains_completer(self.model(), self)
        self.setCompleter(completer)
        completer.activated.connect(lambda _text: self.resolve())

    def _candidate(self, text: str) -> str | None:
        raise NotImplementedError

    def resolve(self) -> bool:
        """Replace the typed text by the item it names; False if it names none."""
        text = self.currentText().strip()
        if not text:
            if self.currentIndex() != -1:
                self.setCurrentIndex(-1)
            self.setEditText("")
            return True
        found = self._candidate(text)
        if found is None:
            return False
        index = self.findText(found, Qt.MatchFlag.MatchExactly)
        if index >= 0 and index != self.currentIndex():
            self.setCurrentIndex(index)
        if self.currentText() != found:
            self.setEditText(found)
        self.resolved.emit()
        return True

    def set_read_only(self, read_only: bool) -> None:
        self.setEnabled(not read_only)


class TimeZoneCombo(_ResolvingCombo):
    """Every IANA zone; typing any part ("Baghdad", "new york") finds it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names = all_zone_names()
        self.addItems(list(self._names))
        self._install_completer()
        self.setToolTip(self.tr("IANA time zone of the local time the report used; "
                                "type a city, e.g. Baghdad"))

    def _candidate(self, text: str) -> str | None:
        if is_zone(text) and text in self._names:
            return text
        key = text.replace(" ", "_").casefold()
        exact = [n for n in self._names if n.casefold() == key]
        if exact:
            return exact[0]
        city = [n for n in self._names if n.rsplit("/", 1)[-1].casefold() == key]
        if len(city) == 1:
            return city[0]
        found = [n for n in self._names if key in n.casefold()]
        return found[0] if len(found) == 1 else None

    def zone_name(self) -> str:
        return self.currentText().strip()

    def set_zone(self, name: str) -> None:
        index = self.findText(name, Qt.MatchFlag.MatchExactly)
        self.setCurrentIndex(index)
        self.setEditText(name)

    def is_valid(self) -> bool:
        name = self.zone_name()
        return bool(name) and is_zone(name)


_CODE_IN_PARENS = re.compile(r"\(([A-Za-z]{2})\)\s*$")


def country_item_text(code: str) -> str:
    return f"{country_name(code)} ({code})"


class CountryCombo(_ResolvingCombo):
    """ISO 3166-1 countries shown as "Iraq (IQ)"; "Iraq", "iq" or "IRQ" all find it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for code, name in all_countries():
            self.addItem(f"{name} ({code})", code)
        self.setCurrentIndex(-1)
        self._install_completer()
        self.setToolTip(self.tr("Country name or ISO code, e.g. Iraq or IQ"))

    def _code_for(self, text: str) -> str | None:
        match = _CODE_IN_PARENS.search(text)
        if match and self.findData(match.group(1).upper()) >= 0:
            return match.group(1).upper()
        return find_country(text)

    def _candidate(self, text: str) -> str | None:
        code = self._code_for(text)
        return country_item_text(code) if code and self.findData(code) >= 0 else None

    def code(self) -> str | None:
        """The ISO code chosen or typed; None when empty or when the text names no country."""
        text = self.currentText().strip()
        return self._code_for(text) if text else None

    def raw_text(self) -> str:
        return self.currentText().strip()

    def set_code(self, code: str | None) -> None:
        if not code:
            self.setCurrentIndex(-1)
            self.setEditText("")
            return
        index = self.findData(code)
        self.setCurrentIndex(index)
        self.setEditText(country_item_text(code) if index >= 0 else code)


class StringCompleter(QCompleter):
    """A completer that keeps its source model at hand (``model()`` may be a proxy)."""

    def __init__(self, model: Any, parent: QObject) -> None:
        super().__init__(model, parent)
        self.source = model

    def set_values(self, values: Iterable[str]) -> None:
        if isinstance(self.source, QStringListModel):
            self.source.setStringList(list(values))


class ListCompleter(StringCompleter):
    """Completes the last item of a comma-separated list (tags, weapons)."""

    def __init__(self, values: Iterable[str], parent: QObject) -> None:
        super().__init__(QStringListModel(list(values)), parent)
        self.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setMaxVisibleItems(12)

    def pathFromIndex(self, index: QModelIndex) -> str:  # Qt override
        completion = super().pathFromIndex(index)
        widget = self.widget()
        text = widget.text() if isinstance(widget, QLineEdit) else ""
        head, comma, _ = text.rpartition(",")
        return f"{head}, {completion}" if comma else completion

    def splitPath(self, path: str) -> list[str]:  # Qt override
        return [path.rpartition(",")[2].strip()]


def set_completions(edit: QLineEdit, values: Iterable[str], *, multiple: bool = False) -> None:
    """Give ``edit`` (or refresh) completion over ``values``: a vocabulary, values in use."""
    unique = list(dict.fromkeys(v for v in values if v))
    completer = edit.completer()
    if completer is None:
        completer = (
            ListCompleter(unique, edit) if multiple else contains_completer(
                QStringListModel(unique), edit)
        )
        edit.setCompleter(completer)
        return
    if isinstance(completer, StringCompleter):
        completer.set_values(unique)


def split_list(text: str) -> tuple[str, ...]:
    """``"rockets, ballistic missiles,"`` → ``("rockets", "ballistic missiles")``."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


class IncidentPicker(QLineEdit):
    """Choose an incident by typing its ref or words of its title (searched in SQL).

    A log may hold a million incidents, so the completion list is a search,
    not a list of everything.
    """

    changed = Signal()
    UID_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._uid: str | None = None
        self._shown = ""
        self._model = QStandardItemModel(self)
        completer = QCompleter(self._model, self)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompleter(completer)
        completer.activated[QModelIndex].connect(self._chosen)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.search_now)
        self.textEdited.connect(lambda _text: self._timer.start())
        self.editingFinished.connect(self.resolve)
        self.setPlaceholderText(self.tr("ref or words of the title; empty for none"))
        self.setClearButtonEnabled(True)

    @staticmethod
    def _display(ref: str | None, title: str | None) -> str:
        return f"{ref or '?'} — {title or ''}".rstrip(" —")

    def search_now(self) -> None:
        text = self.text().strip()
        self._model.clear()
        if not text:
            return
        for incident in self._services.incident_query.page(IncidentFilter(text=text), limit=15):
            item = QStandardItem(self._display(incident.ref, incident.title))
            item.setData(incident.uid, self.UID_ROLE)
            self._model.appendRow(item)

    def _chosen(self, index: QModelIndex) -> None:
        uid = index.data(self.UID_ROLE)
        if uid:
            self.set_uid(uid)
            self.changed.emit()

    def resolve(self) -> bool:
        """Keep the chosen incident, or find the one whose ref was typed."""
        text = self.text().strip()
        if text == self._shown:
            return True
        if not text:
            self._uid, self._shown = None, ""
            self.changed.emit()
            return True
        for row in range(self._model.rowCount()):
            item = self._model.item(row)
            if item.text() == text:
                self.set_uid(item.data(self.UID_ROLE))
                self.changed.emit()
                return True
        ref = text.split(" — ", 1)[0].strip()
        for incident in self._services.incident_query.page(IncidentFilter(text=ref), limit=50):
            if (incident.ref or "").casefold() == ref.casefold():
                self.set_uid(incident.uid)
                self.changed.emit()
                return True
        return False

    def uid(self) -> str | None:
        return self._uid

    def is_valid(self) -> bool:
        return self.text().strip() == self._shown

    def set_uid(self, uid: str | None) -> None:
        incident = self._services.incidents.find(uid) if uid else None
        self._uid = incident.uid if incident else None
        self._shown = self._display(incident.ref, incident.title) if incident else ""
        self.setText(self._shown)
        self.setCursorPosition(0)

    def set_read_only(self, read_only: bool) -> None:
        self.setReadOnly(read_only)


# --- forms -----------------------------------------------------------------------------------


@dataclass
class FieldEntry:
    """One field of a form: its label, the widgets marked on error, its message label."""

    name: str
    label: QLabel
    error: ErrorLabel
    marks: tuple[QWidget, ...]
    focus: QWidget
    layout: QFormLayout


def _raw(widget: QWidget) -> Any:
    """What the user sees in a widget, for comparing against the loaded state."""
    raw = getattr(widget, "raw", None)
    if callable(raw):
        return raw()
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QComboBox):
        return widget.currentText() if widget.isEditable() else widget.currentIndex()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QSpinBox):
        return widget.value()
    return None


def _set_widget_read_only(widget: QWidget, read_only: bool) -> None:
    setter = getattr(widget, "set_read_only", None)
    if callable(setter):
        setter(read_only)
    elif isinstance(widget, QLineEdit | QPlainTextEdit):
        widget.setReadOnly(read_only)
    else:
        widget.setEnabled(not read_only)


class FormBase(QWidget):
    """What the incident, source and quote forms share.

    Subclasses build their fields with ``add_field`` and ``track``, and
    implement ``_collect`` (widgets → record and the problems found while
    reading them), ``save`` and ``revert``.
    """

    saved = Signal(str)
    dirtyChanged = Signal(bool)

    #: Where messages that belong to no field go; each form places its own.
    notice: NoticeBar

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._fields: dict[str, FieldEntry] = {}
        self._tracked: list[QWidget] = []
        self._baseline: tuple[Any, ...] = ()
        self._dirty = False
        self._live_validation = False
        self._read_only = False
        self._loading = 0
        self._install_save_shortcut()

    # --- building -----------------------------------------------------------------------------

    def add_field(
        self,
        layout: QFormLayout,
        name: str,
        label_text: str,
        widget: QWidget,
        *,
        marks: Sequence[QWidget] | None = None,
        buddy: QWidget | None = None,
        extra: QWidget | None = None,
        label_on_top: bool = False,
    ) -> QLabel:
        """A row: the label (with its mnemonic and buddy) and the input; under it, in rows
        of their own so that the label stays level with the input, an optional hint
        and the field's message (its row hidden while there is none)."""
        parent = layout.parentWidget()
        label = QLabel(label_text, parent)
        label.setBuddy(buddy or widget)
        if label_on_top:
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            label.setContentsMargins(0, 4, 0, 0)
        layout.addRow(label, widget)
        if extra is not None:
            layout.addRow("", extra)
        error = ErrorLabel(parent)
        error.setObjectName(f"{name}_error")
        layout.addRow("", error)
        layout.setRowVisible(error, False)
        self._fields[name] = FieldEntry(
            name, label, error, tuple(marks or (widget,)), buddy or widget, layout
        )
        return label

    def alias_field(self, name: str, same_as: str) -> None:
        """Show messages about ``name`` (e.g. ``said_at``) beside the field ``same_as``."""
        self._fields[name] = self._fields[same_as]

    def track(self, *widgets: QWidget) -> None:
        """Watch ``widgets`` for edits (dirty state, live validation) and read-only mode."""
        for widget in widgets:
            self._tracked.append(widget)
            changed = getattr(widget, "changed", None)
            if isinstance(widget, CountEdit | MomentEdit | IncidentPicker) and changed is not None:
                changed.connect(self._edited)
                if isinstance(widget, IncidentPicker):
                    widget.textChanged.connect(self._edited)
            elif isinstance(widget, QLineEdit | QPlainTextEdit):
                widget.textChanged.connect(self._edited)
            elif isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(self._edited)
                if widget.isEditable():
                    widget.editTextChanged.connect(self._edited)
            elif isinstance(widget, QCheckBox):
                widget.toggled.connect(self._edited)
            elif isinstance(widget, QSpinBox):
                widget.valueChanged.connect(self._edited)

    # --- messages beside the fields -----------------------------------------------------------

    def field_label(self, name: str) -> str:
        entry = self._fields.get(name)
        if entry is None:
            return name.replace("_", " ")
        text = entry.label.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
        return text.rstrip(":") or entry.focus.accessibleName()

    def message_for(self, name: str, text: str) -> str:
        """Domain messages are predicates ("is required"): give them their subject."""
        first = text.split(" ", 1)[0]
        if first in ("is", "are", "has", "cannot", "must", "was", "needs"):
            return f"{self.field_label(name)} {text}"
        return text[:1].upper() + text[1:]

    def show_errors(self, errors: Mapping[str, str]) -> list[str]:
        """Show each message beside its field; returns those that belong to no field."""
        shown: dict[int, list[str]] = {}
        stray: list[str] = []
        for name, text in errors.items():
            entry = self._fields.get(name)
            if entry is None:
                stray.append(f"{name.replace('_', ' ')}: {text}")
                continue
            shown.setdefault(id(entry), []).append(self.message_for(name, text))
        seen: set[int] = set()
        for entry in self._fields.values():
            if id(entry) in seen:
                continue
            seen.add(id(entry))
            message = "\n".join(shown.get(id(entry), [])) or None
            entry.error.set_message(message)
            entry.layout.setRowVisible(entry.error, bool(message))
            for widget in entry.marks:
                mark_invalid(widget, message)
        return stray

    def clear_errors(self) -> None:
        self.show_errors({})

    def present_errors(self, errors: Mapping[str, str], *, focus: bool = True) -> None:
        """Validation failed: each message beside its field, the rest in the notice bar.

        From then on the messages follow what is typed (live validation).
        """
        self._live_validation = True
        stray = self.show_errors(errors)
        if stray:
            self.notice.show_notice("\n".join(stray))
        if focus:
            self.focus_first_error(errors)

    def error_text(self, name: str) -> str | None:
        """The message shown beside ``name``, None if there is none (tests, accessibility)."""
        entry = self._fields.get(name)
        return entry.error.text() or None if entry is not None else None

    def errors_shown(self) -> dict[str, str]:
        return {name: entry.error.text() for name, entry in self._fields.items()
                if entry.error.text()}

    def focus_first_error(self, errors: Mapping[str, str]) -> None:
        for name, entry in self._fields.items():
            if name in errors:
                entry.focus.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    def _collect(self) -> tuple[Any, dict[str, str]]:
        raise NotImplementedError

    def zone_problem(self, text: str) -> str:
        """What to say about a time zone field that holds no IANA zone."""
        if not text:
            return self.tr("is required: the time zone of the report, e.g. Asia/Baghdad")
        return self.tr("“{0}” is not a time zone; type a city such as Baghdad and pick "
                       "Asia/Baghdad").format(text)

    def validation_errors(self) -> dict[str, str]:
        """Every problem the widgets hold now (parsing and the domain rules)."""
        return self._collect()[1]

    # --- dirty tracking -----------------------------------------------------------------------

    def _snapshot(self) -> tuple[Any, ...]:
        return tuple(_raw(widget) for widget in self._tracked)

    def _edited(self, *_args: object) -> None:
        if self._loading:
            return
        dirty = self._snapshot() != self._baseline
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirtyChanged.emit(dirty)
        if self._live_validation:
            self.show_errors(self.validation_errors())
        self._after_edit()

    def _after_edit(self) -> None:
        """Hook: refresh derived displays (hints) after any edit."""

    def _mark_clean(self) -> None:
        self._baseline = self._snapshot()
        self._live_validation = False
        if self._dirty:
            self._dirty = False
            self.dirtyChanged.emit(False)

    def is_dirty(self) -> bool:
        return self._dirty and not self._read_only

    def save(self, *, force: bool = False) -> bool:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError

    def maybe_leave(self) -> bool:
        """Ask Save / Discard / Cancel when there are unsaved edits; True means "go on"."""
        if not self.is_dirty():
            return True
        answer = QMessageBox.question(
            self,
            self.tr("Unsaved changes"),
            self.tr("{0} has unsaved changes. Save them?").format(self.record_label()),
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            self.revert()
            return True
        return False

    def record_label(self) -> str:
        return self.tr("This record")

    # --- Ctrl+S -------------------------------------------------------------------------------

    def _install_save_shortcut(self) -> None:
        """Ctrl+S (the platform's Save) saves while the focus is in the form.

        A window that has its own Save action with the same key (the main
        window's ``actionSave``) takes precedence: two live shortcuts on one key
        are ambiguous in Qt and neither would fire, so the form's own shortcut
        is switched off whenever its window has one.
        """
        self.save_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self)
        self.save_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.save_shortcut.activated.connect(lambda: self.save())

    def _sync_save_shortcut(self) -> None:
        window = self.window()
        keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Save)
        taken = window is not self and any(
            key in action.shortcuts()
            for action in {*window.findChildren(QAction), *window.actions()}
            for key in keys
        )
        self.save_shortcut.setEnabled(not taken)

    def event(self, event: QEvent) -> bool:  # Qt override
        if event.type() in (QEvent.Type.Show, QEvent.Type.ParentChange):
            self._sync_save_shortcut()
        return super().event(event)

    # --- read-only ----------------------------------------------------------------------------

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self._apply_read_only()

    def is_read_only(self) -> bool:
        return self._read_only

    def _effectively_read_only(self) -> bool:
        return self._read_only

    def _apply_read_only(self) -> None:
        read_only = self._effectively_read_only()
        for widget in self._tracked:
            _set_widget_read_only(widget, read_only)
        for button in self._edit_buttons():
            button.setEnabled(not read_only)

    def _edit_buttons(self) -> Iterable[QAbstractButton]:
        return ()

    # --- conflicts ----------------------------------------------------------------------------

    def _conflict_notice(self, notice: NoticeBar, error: ConflictError, reload: Callable[[], None]
                         ) -> None:
        """Offer Reload (their version) or Keep mine (save over it), without a modal dialog."""
        notice.show_notice(
            error.message,
            [
                (self.tr("Reload"), reload),
                (self.tr("Keep mine"), lambda: self.save(force=True)),
            ],
        )


def show_from_top(scroll: QScrollArea) -> None:
    """After loading a record: scrolled to the top, every line showing its start.

    A long title left with the cursor at its end shows only its tail.
    """
    for line in scroll.findChildren(QLineEdit):
        line.setCursorPosition(0)
    scroll.verticalScrollBar().setValue(0)
