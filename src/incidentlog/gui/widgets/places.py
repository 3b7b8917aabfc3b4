"""Time zones and countries: combos that complete by contains and resolve what was typed.

"Baghdad" becomes ``Asia/Baghdad`` and "Iraq" or "IQ" becomes ``IQ`` when the
field is left, so Tab is enough: no need to pick from a popup.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QWidget,
)

from incidentlog.domain.countries import all_countries, country_name, find_country
from incidentlog.domain.when import all_zone_names, is_zone
from incidentlog.gui.widgets.completers import contains_completer


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
        line = self.lineEdit()
        assert line is not None  # editable, so it has one
        line.editingFinished.connect(self.resolve)

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
