"""Edit ▸ Edit selection…: the one change to apply to every selected incident.

Each field is optional: "Keep as it is" leaves each record's value alone, "Clear"
empties it. The dialog only builds the ``BulkChange``; applying it (one undo step)
is the bulk edit workflow's (gui/workflows/bulk_edit.py).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.countries import all_countries, find_country
from incidentlog.domain.enums import CONFIDENCE_MEANING, Status
from incidentlog.gui import plain_text
from incidentlog.services.bulk_edit import KEEP, BulkChange, Keep

_KEEP = "\x00keep"
_CLEAR = "\x00clear"


def _tags(text: str) -> tuple[str, ...]:
    return tuple(tag.strip() for tag in text.replace(";", ",").split(",") if tag.strip())


class BulkEditDialog(QDialog):
    """Tags to add and remove, event type, country, status, confidence; each optional."""

    def __init__(self, count: int, event_types: list[str], tags: list[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bulkEditDialog")
        self.setWindowTitle(self.tr("Edit {0} incidents").format(count))
        intro = plain_text.plain_label(self.tr(
            "The change applies to the {0} selected incidents; Undo (Ctrl+Z) takes it back "
            "in one step.").format(count), self)
        intro.setWordWrap(True)
        self.add_tags = self._line("addTags", self.tr("Tags to add, separated by commas"))
        self.remove_tags = self._line("removeTags",
                                      self.tr("Tags to remove, separated by commas"))
        if tags:
            self.remove_tags.setToolTip(self.tr("In use: {0}").format(", ".join(tags[:30])))
        self.event_type = self._combo("bulkEventType", editable=True,
                                      items=[(value, value) for value in event_types])
        self.country = self._combo("bulkCountry", editable=True,
                                   items=[(f"{name} ({code})", code)
                                          for code, name in all_countries()])
        self.status = self._combo("bulkStatus", clear=False,
                                  items=[(s.label.capitalize(), s.value) for s in Status])
        self.confidence = self._combo(
            "bulkConfidence",
            items=[(f"{n} – {CONFIDENCE_MEANING[n]}" if n in CONFIDENCE_MEANING else str(n),
                    str(n)) for n in range(1, 7)])
        form = QFormLayout()
        form.addRow(self.tr("&Add tags:"), self.add_tags)
        form.addRow(self.tr("&Remove tags:"), self.remove_tags)
        form.addRow(self.tr("&Event type:"), self.event_type)
        form.addRow(self.tr("&Country:"), self.country)
        form.addRow(self.tr("&Status:"), self.status)
        form.addRow(self.tr("C&onfidence:"), self.confidence)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _line(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.setAccessibleName(placeholder)
        return edit

    def _combo(self, name: str, *, items: list[tuple[str, str]], editable: bool = False,
               clear: bool = True) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setEditable(editable)
        combo.addItem(self.tr("Keep as it is"), _KEEP)
        if clear:
            combo.addItem(self.tr("Clear"), _CLEAR)
        for text, value in items:
            combo.addItem(text, value)
        combo.setCurrentIndex(0)
        return combo

    @staticmethod
    def _value(combo: QComboBox) -> Any:
        """The chosen item's value, or the text typed into an editable list."""
        text = combo.currentText().strip()
        found = combo.findText(text)
        if found >= 0:
            data = combo.itemData(found)
            return KEEP if data == _KEEP else None if data == _CLEAR else data
        return text or KEEP

    def change(self) -> BulkChange:
        """What the fields ask for (checked by the service when applied)."""
        country = self._value(self.country)
        if isinstance(country, str):
            country = find_country(country) or country
        status = self._value(self.status)
        confidence = self._value(self.confidence)
        return BulkChange(
            add_tags=_tags(self.add_tags.text()),
            remove_tags=_tags(self.remove_tags.text()),
            event_type=self._value(self.event_type),
            country=country,
            status=status if isinstance(status, Keep) else Status(status),
            confidence=confidence if confidence is None or isinstance(confidence, Keep)
            else int(confidence),
        )
