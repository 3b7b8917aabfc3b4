"""The dialogs of the incident form's Sources tab: pick a known source, or paste a citation."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.citation import CitationGuess, parse_citation
from incidentlog.domain.errors import IncidentLogError
from incidentlog.domain.query import TextFilter
from incidentlog.gui.context import AppContext
from incidentlog.gui.widgets.notices import report_error
from incidentlog.gui.widgets.text import name_field, source_caption, source_details

SOURCE_UID_ROLE = Qt.ItemDataRole.UserRole + 1
MAX_SEARCH_RESULTS = 200



class _ListKeys(QObject):
    """Up/Down/PageUp/PageDown typed in a search box move the result list (keyboard-first)."""

    def __init__(self, target: QListWidget, parent: QObject) -> None:
        super().__init__(parent)
        self._target = target

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        moves = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in moves):
            QCoreApplication.sendEvent(self._target, QKeyEvent(
                event.type(), event.key(), event.modifiers(), event.text()))
            return True
        return False


class LinkSourceDialog(QDialog):
    """Find an existing source by words of its title, outlet, URL, handle or text."""

    def __init__(self, context: AppContext, parent: QWidget | None = None, *,
                 link_to: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("linkSourceDialog")
        self.setWindowTitle(self.tr("Link an existing source"))
        self._context = context
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.search = QLineEdit(self)
        name_field(self.search, "sourceSearch")
        self.search.setPlaceholderText(self.tr("words of the title, outlet, URL or handle"))
        self.search.setClearButtonEnabled(True)
        label = QLabel(self.tr("&Find:"), self)
        label.setBuddy(self.search)
        form.addRow(label, self.search)
        layout.addLayout(form)
        self.results = QListWidget(self)
        name_field(self.results, "sourceResults")
        self.results.setAlternatingRowColors(True)
        self.results.setWordWrap(True)
        layout.addWidget(self.results, 1)
        self.search.installEventFilter(_ListKeys(self.results, self))
        note_form = QFormLayout()
        self.note = QLineEdit(self)
        name_field(self.note, "linkNote")
        self.note.setPlaceholderText(self.tr("what this source supports, e.g. time, casualties"))
        note_label = QLabel(self.tr("&Note for {0}:").format(link_to) if link_to
                            else self.tr("&Note:"), self)
        note_label.setBuddy(self.note)
        note_form.addRow(note_label, self.note)
        layout.addLayout(note_form)
        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        ok = self.button_box.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("&Link"))
        self.button_box.accepted.connect(self._accept_if_chosen)
        self.button_box.rejected.connect(self.reject)
        layout.addWidget(self.button_box)
        self.results.itemActivated.connect(lambda _item: self._accept_if_chosen())
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.search_now)
        self.search.textChanged.connect(lambda _text: self._timer.start())
        self.resize(520, 460)
        self.search_now()

    def search_now(self) -> None:
        """Run the search (also called by the debounce timer)."""
        self._timer.stop()
        text = self.search.text().strip() or None
        try:
            found = self._context.services.source_query.list(TextFilter(text=text))
        except IncidentLogError as exc:
            report_error(self, exc)
            return
        self.results.clear()
        for source in found[:MAX_SEARCH_RESULTS]:
            item = QListWidgetItem(f"{source_caption(source)}\n{source_details(source)}",
                                   self.results)
            item.setData(SOURCE_UID_ROLE, source.uid)
            item.setToolTip(source.url or source.label)
        if self.results.count():
            self.results.setCurrentRow(0)

    def chosen_uid(self) -> str | None:
        item = self.results.currentItem()
        if item is None:  # the stubs say there is always one; not in an empty list
            return None  # type: ignore[unreachable]
        uid = item.data(SOURCE_UID_ROLE)
        return str(uid) if uid is not None else None

    def note_text(self) -> str | None:
        return self.note.text().strip() or None

    def _accept_if_chosen(self) -> None:
        if self.chosen_uid():
            self.accept()


class CitationDialog(QDialog):
    """Paste a citation (clipboard by default) and see what will be filled before going on."""

    def __init__(self, parent: QWidget | None = None, *, text: str | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("citationDialog")
        self.setWindowTitle(self.tr("Paste a citation"))
        layout = QVBoxLayout(self)
        explanation = QLabel(self.tr(
            "Paste a post's attribution line (— U.S. Central Command (@CENTCOM) January 20, "
            "2024), a whole embedded post, a headline or a URL."), self)
        explanation.setWordWrap(True)
        layout.addWidget(explanation)
        self.text = QPlainTextEdit(self)
        self.text.setTabChangesFocus(True)
        name_field(self.text, "citationText")
        layout.addWidget(self.text, 1)
        self.preview = QLabel(self)
        self.preview.setObjectName("citationPreview")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.preview)
        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.button_box.button(QDialogButtonBox.StandardButton.Ok).setText(
            self.tr("&Continue…"))
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)
        layout.addWidget(self.button_box)
        self.text.textChanged.connect(self._update_preview)
        if text is None:
            text = QGuiApplication.clipboard().text()
        self.text.setPlainText(text or "")
        self.text.selectAll()
        self.resize(520, 360)

    def guess(self) -> CitationGuess:
        return parse_citation(self.text.toPlainText())

    def _update_preview(self) -> None:
        guess = self.guess()
        parts = [
            (self.tr("kind"), guess.kind.label if guess.kind else None),
            (self.tr("title"), guess.title),
            (self.tr("outlet"), guess.outlet),
            (self.tr("handle"), guess.handle),
            (self.tr("published"), guess.published.display(with_zone=False)
             if guess.published else None),
            (self.tr("URL"), guess.url),
        ]
        found = [f"{name}: {value}" for name, value in parts if value]
        self.preview.setText(
            self.tr("Recognised — {0}").format("; ".join(found)) if found
            else self.tr("Nothing recognised yet; you can still fill the source by hand."))
