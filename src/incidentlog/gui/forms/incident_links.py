"""The Sources and Quotes tabs of the incident form.

Links and quotes are their own records with their own undo commands, so
these tabs act at once (each action is one entry on the undo stack) instead
of waiting for the incident's Save. An incident that was never saved is
saved first (the ``ensure_incident`` callback), since a link needs its uid.

Dialogs are opened with ``open()``: window-modal, never blocking the event
loop, and ``active_dialog`` lets the window (and the tests) reach them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.citation import CitationGuess
from incidentlog.domain.evidence import OwnerKind
from incidentlog.domain.query import TextFilter
from incidentlog.domain.records import Quote, Source
from incidentlog.gui.context import AppContext
from incidentlog.gui.forms.evidence_panel import preserved_text
from incidentlog.gui.forms.link_dialogs import SOURCE_UID_ROLE, CitationDialog, LinkSourceDialog
from incidentlog.gui.forms.paste_post import PastePostCommand, PastePostDialog, clipboard_post_text
from incidentlog.gui.forms.quote_form import QuoteDialog
from incidentlog.gui.forms.source_form import SourceDialog
from incidentlog.gui.undo import (
    DeleteRecordCommand,
    LinkSourceCommand,
    UnlinkSourceCommand,
    push_command,
)
from incidentlog.gui.widgets.notices import report_error
from incidentlog.gui.widgets.text import hint_label, name_field, source_caption, source_details
from incidentlog.services import Changes

EnsureIncident = Callable[[], str | None]
# Rows hold several lines: every cell starts at the top, so a row reads across.
LEFT_TOP = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop


def _published(source: Source) -> str:
    return source.published.display(with_zone=False) if source.published else ""


class WrappingTable(QTableWidget):
    """A table whose rows grow to show wrapped text at whatever width the pane has."""

    def __init__(self, rows: int, columns: int, parent: QWidget | None = None) -> None:
        super().__init__(rows, columns, parent)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        # Tab leaves the table (arrows move in it), and Ctrl+Tab reaches the form's tabs.
        self.setTabKeyNavigation(False)
        self.horizontalHeader().sectionResized.connect(lambda *_: self.resizeRowsToContents())

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override
        super().resizeEvent(event)
        self.resizeRowsToContents()

    def sizeHintForRow(self, row: int) -> int:  # Qt override: a little air between rows
        return super().sizeHintForRow(row) + 8

    def make_read_only_list(self) -> None:
        """One row chosen at a time, nothing edited in place (a tab's list of records)."""
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)



def _appeared_or_vanished(uid: str, changes: Changes) -> bool:
    """The incident was created, trashed, restored or merged: its links and quotes with it."""
    return changes.rows_changed and uid in changes.incidents


class _TabBase(QWidget):
    countChanged = Signal(int)

    def __init__(self, context: AppContext, ensure_incident: EnsureIncident,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._services = context.services
        self._ensure_incident = ensure_incident
        self._uid: str | None = None
        self._read_only = False
        self.active_dialog: QDialog | None = None
        self._return_focus: QWidget | None = None  # where the officer goes on after a dialog
        context.bus.changed.connect(self._on_changes)

    def set_incident(self, uid: str | None) -> None:
        self._uid = uid
        self.refresh()

    def incident_uid(self) -> str | None:
        return self._uid

    def refresh(self) -> None:
        raise NotImplementedError

    def _on_changes(self, changes: Changes) -> None:
        raise NotImplementedError

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self._update_buttons()

    def _update_buttons(self) -> None:
        raise NotImplementedError

    def _incident_label(self) -> str:
        incident = self._services.incidents.find(self._uid) if self._uid else None
        return incident.label if incident else self.tr("this incident")

    def _require_incident(self) -> str | None:
        """The incident's uid, saving a new incident first; None if it cannot be saved."""
        if self._read_only:
            return None
        uid = self._ensure_incident()
        if uid and uid != self._uid:
            self._uid = uid
        return uid

    def _push(self, command: object) -> bool:
        error = push_command(self._context.undo_stack, command)  # type: ignore[arg-type]
        if error is not None:
            report_error(self, error)
            return False
        return True

    def _run_from(self, origin: QWidget, action: Callable[[], object]) -> None:
        """Run a button's ``action``; the dialogs it opens give the focus back to ``origin``."""
        self._return_focus = origin
        action()
        if self.active_dialog is None:
            self._return_focus = None

    def _open(self, dialog: QDialog, on_accept: Callable[[QDialog], None]) -> QDialog:
        """Open ``dialog`` window-modal without blocking; run ``on_accept`` when accepted.

        When the last dialog of a chain (a pasted citation, then its source) closes, the
        focus goes back to the button that opened it, or to where it was (a row's Enter):
        see docs/entering-incidents.md.
        """
        self.active_dialog = dialog
        if self._return_focus is None:
            focus = QApplication.focusWidget()
            self._return_focus = focus if focus is not None and self.isAncestorOf(focus) else None

        def finished(result: int) -> None:
            if self.active_dialog is dialog:
                self.active_dialog = None
            if result == QDialog.DialogCode.Accepted:
                on_accept(dialog)
            dialog.deleteLater()
            if self.active_dialog is None:
                self._restore_focus()

        dialog.finished.connect(finished)
        dialog.open()
        return dialog

    def _restore_focus(self) -> None:
        target, self._return_focus = self._return_focus, None
        if target is not None and target.isVisible() and target.isEnabled():
            target.setFocus(Qt.FocusReason.OtherFocusReason)


class IncidentSourcesTab(_TabBase):
    """The incident's sources, each with the note of what it supports."""

    COLUMNS = ("source", "note")

    def __init__(self, context: AppContext, ensure_incident: EnsureIncident,
                 parent: QWidget | None = None) -> None:
        super().__init__(context, ensure_incident, parent)
        self.setObjectName("incidentSources")
        self.setAccessibleName(self.tr("Sources of the incident"))
        self._filling = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.table = WrappingTable(0, len(self.COLUMNS), self)
        name_field(self.table, "sourceLinks", self.tr("Linked sources"))
        self.table.setHorizontalHeaderLabels(
            [self.tr("Source"), self.tr("Note — what it supports")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        self.table.setColumnWidth(1, 170)
        self.table.itemChanged.connect(self._item_changed)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.installEventFilter(self)
        layout.addWidget(self.table, 1)
        self.hint = hint_label(self.tr("Type in the Note column (or press F2) to say what a "
                                       "source supports; Enter opens it; Delete unlinks."), self)
        layout.addWidget(self.hint)

        buttons = QGridLayout()
        self.link_button = QPushButton(self.tr("&Link existing…"), self)
        self.new_button = QPushButton(self.tr("&New source…"), self)
        self.paste_button = QPushButton(self.tr("&Paste citation…"), self)
        self.edit_button = QPushButton(self.tr("Edit s&ource…"), self)
        self.unlink_button = QPushButton(self.tr("&Unlink"), self)
        for index, (button, name, action) in enumerate((
            (self.link_button, "linkSourceButton", self.link_existing),
            (self.new_button, "newSourceButton", self.new_source),
            (self.paste_button, "pasteCitationButton", self.paste_citation),
            (self.edit_button, "editSourceButton", self.edit_source),
            (self.unlink_button, "unlinkSourceButton", self.unlink_selected),
        )):
            button.setObjectName(name)
            button.setAutoDefault(False)
            button.clicked.connect(
                lambda _=False, act=action, origin=button: self._run_from(origin, act))
            buttons.addWidget(button, index // 3, index % 3)
        buttons.setColumnStretch(3, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if (watched is self.table and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and self.table.state() != QAbstractItemView.State.EditingState):
            if event.matches(QKeySequence.StandardKey.Delete):
                self.unlink_selected()
                return True
            note = self.COLUMNS.index("note")
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
                    self.table.currentColumn() != note):
                self.edit_source()
                return True
            plain = not event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                             | Qt.KeyboardModifier.AltModifier)
            typing = event.key() == Qt.Key.Key_F2 or (plain and event.text().isprintable()
                                                       and event.text().strip() != "")
            if typing and self.table.currentRow() >= 0 and self.table.currentColumn() != note:
                # Only the note is editable: typing on a row writes its note.
                self.table.setCurrentCell(self.table.currentRow(), note)
        return super().eventFilter(watched, event)

    # --- display ------------------------------------------------------------------------------

    def refresh(self) -> None:
        self._filling = True
        try:
            current = self.selected_source()
            self.table.setRowCount(0)
            cited = self._services.incidents.cited(self._uid) if self._uid else []
            kept = self._services.evidence.counts(
                OwnerKind.SOURCE, [link.source_uid for link, _source in cited])
            for link, source in cited:
                row = self.table.rowCount()
                self.table.insertRow(row)
                details = source_details(source)
                caption = source_caption(source)
                details = "\n".join(filter(None, (details, preserved_text(
                    *kept.get(link.source_uid, (0, 0))))))
                cells = [f"{caption}\n{details}" if details else caption, link.note or ""]
                for column, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    item.setData(SOURCE_UID_ROLE, source.uid)
                    item.setTextAlignment(LEFT_TOP)
                    if column != self.COLUMNS.index("note"):
                        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                        item.setToolTip(source.url or source.label)
                    self.table.setItem(row, column, item)
                if source.uid == current:
                    self.table.selectRow(row)
            self.table.resizeRowsToContents()
        finally:
            self._filling = False
        self._update_buttons()
        self.countChanged.emit(self.table.rowCount())

    def rows(self) -> list[tuple[str, str | None]]:
        """(first line of the source cell, note) of each linked source as shown."""
        return [
            (self._cell_text(r, 0).split("\n", 1)[0], self._cell_text(r, 1) or None)
            for r in range(self.table.rowCount())
        ]

    def _cell_text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def selected_source(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].data(SOURCE_UID_ROLE) if items else None

    def _update_buttons(self) -> None:
        editable = not self._read_only
        selected = self.selected_source() is not None
        for button in (self.link_button, self.new_button, self.paste_button):
            button.setEnabled(editable)
        self.edit_button.setEnabled(selected)
        self.edit_button.setText(self.tr("Edit s&ource…") if editable
                                 else self.tr("&Open source…"))
        self.unlink_button.setEnabled(editable and selected)
        triggers = (QAbstractItemView.EditTrigger.NoEditTriggers if self._read_only else
                    QAbstractItemView.EditTrigger.DoubleClicked
                    | QAbstractItemView.EditTrigger.EditKeyPressed
                    | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.setEditTriggers(triggers)

    def _on_changes(self, changes: Changes) -> None:
        # A link's change names its source; an incident's own fields do not show here.
        if self._uid and (changes.sources or _appeared_or_vanished(self._uid, changes)):
            self.refresh()

    # --- actions ------------------------------------------------------------------------------

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != self.COLUMNS.index("note") or not self._uid:
            return
        self.set_note(item.data(SOURCE_UID_ROLE), item.text())

    def set_note(self, source_uid: str, note: str | None) -> bool:
        """Change what a linked source supports (one undoable step)."""
        if not self._uid or self._read_only:
            return False
        note = (note or "").strip() or None
        current = {link.source_uid: link.note for link in self._services.incidents.links(self._uid)}
        if current.get(source_uid, "\0") == note:
            return True
        return self._push(LinkSourceCommand(
            self._services, self._uid, source_uid, note,
            self.tr("Note on a source of {0}").format(self._incident_label())))

    def link(self, source_uid: str, note: str | None = None) -> bool:
        """Cite ``source_uid`` (or update its note); nothing happens when already so."""
        uid = self._require_incident()
        if not uid:
            return False
        current = {link.source_uid: link.note for link in self._services.incidents.links(uid)}
        if source_uid in current and (note is None or current[source_uid] == note):
            self._select(source_uid)
            return True
        source = self._services.sources.find(source_uid)
        label = source.label if source else source_uid
        ok = self._push(LinkSourceCommand(
            self._services, uid, source_uid, note,
            self.tr("Link “{0}” to {1}").format(label, self._incident_label())))
        self.refresh()
        self._select(source_uid)
        return ok

    def _select(self, source_uid: str) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(SOURCE_UID_ROLE) == source_uid:
                self.table.selectRow(row)
                self.table.setCurrentCell(row, 0)
                return

    def link_existing(self) -> QDialog | None:
        if not self._require_incident():
            return None
        dialog = LinkSourceDialog(self._context, self, link_to=self._incident_label())

        def accepted(d: QDialog) -> None:
            assert isinstance(d, LinkSourceDialog)
            uid = d.chosen_uid()
            if uid:
                self.link(uid, d.note_text())

        return self._open(dialog, accepted)

    def new_source(self, guess: CitationGuess | None = None) -> QDialog | None:
        """Create a source in a dialog (prefilled from a citation) and link it."""
        if not self._require_incident():
            return None
        dialog = SourceDialog(self._context, self, link_to=self._incident_label())
        dialog.setWindowTitle(self.tr("New source"))
        if guess is not None:
            dialog.form.fill_from_guess(guess)

        def accepted(d: QDialog) -> None:
            assert isinstance(d, SourceDialog)
            if d.source_uid:
                self.link(d.source_uid, d.note())

        return self._open(dialog, accepted)

    def paste_citation(self, text: str | None = None) -> QDialog | None:
        """Parse a pasted citation (the clipboard unless ``text``), then go on to the source."""
        if not self._require_incident():
            return None
        dialog = CitationDialog(self, text=text)

        def accepted(d: QDialog) -> None:
            assert isinstance(d, CitationDialog)
            self.new_source(d.guess())

        return self._open(dialog, accepted)

    def edit_source(self) -> QDialog | None:
        uid = self.selected_source()
        if not uid:
            return None
        dialog = SourceDialog(self._context, self)
        dialog.setWindowTitle(self.tr("Edit source"))
        dialog.form.load(uid)
        if self._read_only:
            dialog.form.set_read_only(True)
        return self._open(dialog, lambda _d: self.refresh())

    def unlink_selected(self) -> bool:
        uid = self.selected_source()
        if not uid or not self._uid or self._read_only:
            return False
        source = self._services.sources.find(uid)
        return self._push(UnlinkSourceCommand(
            self._services, self._uid, uid,
            self.tr("Unlink “{0}” from {1}").format(source.label if source else uid,
                                                   self._incident_label())))


class IncidentQuotesTab(_TabBase):
    """What was said about the incident: add, edit and remove quotes."""

    def __init__(self, context: AppContext, ensure_incident: EnsureIncident,
                 parent: QWidget | None = None) -> None:
        super().__init__(context, ensure_incident, parent)
        self.setObjectName("incidentQuotes")
        self.setAccessibleName(self.tr("Quotes of the incident"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.table = WrappingTable(0, 2, self)
        name_field(self.table, "quoteList", self.tr("Quotes"))
        self.table.setHorizontalHeaderLabels([self.tr("Who, when"), self.tr("Quote")])
        self.table.make_read_only_list()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 170)
        self.table.itemActivated.connect(lambda _item: self.edit_selected())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.installEventFilter(self)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(self.tr("&Add quote…"), self)
        self.edit_button = QPushButton(self.tr("Edit q&uote…"), self)
        self.remove_button = QPushButton(self.tr("&Remove"), self)
        self.paste_button = QPushButton(self.tr("&Paste post…"), self)
        self.paste_button.setToolTip(self.tr("Make the source and the quote of a copied post "
                                             "(Ctrl+Shift+V)"))
        for button, name, action in (
            (self.add_button, "addQuoteButton", self.add_quote),
            (self.paste_button, "pastePostButton", self.paste_post),
            (self.edit_button, "editQuoteButton", self.edit_selected),
            (self.remove_button, "removeQuoteButton", self.remove_selected),
        ):
            button.setObjectName(name)
            button.setAutoDefault(False)
            button.clicked.connect(
                lambda _=False, act=action, origin=button: self._run_from(origin, act))
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._quotes: list[Quote] = []
        self._update_buttons()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if (watched is self.table and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.matches(QKeySequence.StandardKey.Delete)):
            self.remove_selected()
            return True
        return super().eventFilter(watched, event)

    def refresh(self) -> None:
        current = self.selected_quote()
        self._quotes = (self._services.quote_query.list(TextFilter(incident_uid=self._uid))
                        if self._uid else [])
        self.table.setRowCount(0)
        for quote in self._quotes:
            row = self.table.rowCount()
            self.table.insertRow(row)
            who = [quote.speaker or "", _role_or_org(quote),
                   quote.said.display() if quote.said else None]
            for column, text in enumerate(("\n".join(p for p in who if p),
                                           f"“{quote.text or ''}”")):
                item = QTableWidgetItem(text)
                item.setTextAlignment(LEFT_TOP)
                item.setData(Qt.ItemDataRole.UserRole, quote.uid)
                item.setToolTip(quote.text or "")
                self.table.setItem(row, column, item)
            if quote.uid == current:
                self.table.selectRow(row)
        self.table.resizeRowsToContents()
        self._update_buttons()
        self.countChanged.emit(len(self._quotes))

    def quotes(self) -> list[Quote]:
        return list(self._quotes)

    def selected_quote(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def _update_buttons(self) -> None:
        selected = self.selected_quote() is not None
        self.add_button.setEnabled(not self._read_only)
        self.paste_button.setEnabled(not self._read_only)
        self.edit_button.setEnabled(selected)
        self.edit_button.setText(self.tr("&Open quote…") if self._read_only else
                                 self.tr("Edit q&uote…"))
        self.remove_button.setEnabled(selected and not self._read_only)

    def _on_changes(self, changes: Changes) -> None:
        if self._uid and (changes.quotes or _appeared_or_vanished(self._uid, changes)):
            self.refresh()

    def add_quote(self) -> QDialog | None:
        uid = self._require_incident()
        if not uid:
            return None
        dialog = QuoteDialog(self._context, self)
        dialog.setWindowTitle(self.tr("New quote"))
        dialog.form.new_quote(uid)
        return self._open(dialog, lambda _d: self.refresh())

    def paste_post(self, text: str | None = None) -> QDialog | None:
        """One dialog from a pasted post (the clipboard unless ``text``); OK makes the
        source (or reuses it), the quote and the link in one undoable step."""
        uid = self._require_incident()
        if not uid:
            return None
        dialog = PastePostDialog(self._services, uid,
                                 clipboard_post_text() if text is None else text, self)

        def accepted(d: QDialog) -> None:
            assert isinstance(d, PastePostDialog) and d.result_post is not None
            post = d.result_post
            label = post.quote.speaker or self.tr("unknown speaker")
            if self._push(PastePostCommand(self._services, uid, post, self.tr(
                    "Paste post of {0} into {1}").format(label, self._incident_label()))):
                self.refresh()

        return self._open(dialog, accepted)

    def edit_selected(self) -> QDialog | None:
        uid = self.selected_quote()
        if not uid:
            return None
        dialog = QuoteDialog(self._context, self)
        dialog.setWindowTitle(self.tr("Edit quote"))
        dialog.form.load(uid)
        if self._read_only:
            dialog.form.set_read_only(True)
        return self._open(dialog, lambda _d: self.refresh())

    def remove_selected(self) -> bool:
        uid = self.selected_quote()
        if not uid or self._read_only:
            return False
        quote = next((q for q in self._quotes if q.uid == uid), None)
        if quote is None:
            return False
        return self._push(DeleteRecordCommand(
            self._services.quotes, uid, quote.meta.version,
            self.tr("Remove quote {0}").format(quote.label)))


def _role_or_org(quote: Quote) -> str | None:
    """The speaker's role, else their organisation unless that is the speaker again
    (CENTCOM speaking for CENTCOM is named once)."""
    if quote.speaker_role:
        return quote.speaker_role
    org = quote.speaker_org
    if org and quote.speaker and org.strip().casefold() == quote.speaker.strip().casefold():
        return None
    return org
