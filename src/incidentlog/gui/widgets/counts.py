"""Numbers that may be unknown: empty means unknown, never 0 (see docs/entering-incidents.md)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import (
    QRegularExpressionValidator,
)
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from incidentlog.domain.enums import CountQualifier
from incidentlog.domain.records import Count


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
