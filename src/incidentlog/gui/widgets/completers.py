"""Completion from the vocabulary of earlier records, and the incident picker."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QStringListModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QApplication,
    QCompleter,
    QLineEdit,
    QWidget,
)

from incidentlog.domain.query import IncidentFilter
from incidentlog.gui.widgets.text import set_text_read_only
from incidentlog.services import Services


def contains_completer(model: Any, parent: QObject) -> QCompleter:
    """Completion by "contains", case-insensitive: "Baghdad" finds Asia/Baghdad."""
    completer = StringCompleter(model, parent)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    completer.setMaxVisibleItems(12)
    return completer


class StringCompleter(QCompleter):
    """A completer that keeps its source model at hand (``model()`` may be a proxy)."""

    def __init__(self, model: Any, parent: QObject) -> None:
        super().__init__(model, parent)
        self.source = model
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._close_when_focus_leaves)

    def _close_when_focus_leaves(self, _old: QWidget | None, new: QWidget | None) -> None:
        # A mnemonic (Alt+W) moves the focus while the popup is open; Qt leaves the
        # popup up, and the next keys typed would go to the field just left.
        popup = self.popup()
        if popup is not None and new is not None and new is not self.widget() \
                and new is not popup and popup.isVisible():
            popup.hide()

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

    def pathFromIndex(self, index: QModelIndex | QPersistentModelIndex) -> str:  # Qt override
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
    # The stubs say a line edit always has one; it has none until given one.
    completer: QCompleter | None = edit.completer()
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
        # The QModelIndex overload of the signal; the stubs do not type the subscript.
        completer.activated[QModelIndex].connect(self._chosen)  # type: ignore[index]
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
        set_text_read_only(self, read_only)
