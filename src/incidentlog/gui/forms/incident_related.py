"""The Related tab of the incident form: typed links to other incidents.

A link is added by choosing its kind, finding the other incident by ref or words of its
title (``IncidentPicker``: a search, not a list of a million), an optional note, and Add.
Links stated by other incidents show too, in their inverse wording ("answered by"), so
both ends read the same link. Enter or a double click opens the other incident; Delete
removes the selected link. Each action is one undo step, as citing a source is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.links import IncidentLink, LinkKind, RelatedIncident
from incidentlog.gui.context import AppContext
from incidentlog.gui.forms.incident_links import LEFT_TOP, EnsureIncident, WrappingTable, _TabBase
from incidentlog.gui.undo import ServiceCommand
from incidentlog.gui.widgets.completers import IncidentPicker
from incidentlog.gui.widgets.notices import report_error
from incidentlog.gui.widgets.text import hint_label, name_field
from incidentlog.services import Changes, Services

LINK_ROLE = Qt.ItemDataRole.UserRole + 7


class RelateCommand(ServiceCommand):
    """Link two incidents (or change the note); undo puts back what was there."""

    def __init__(self, services: Services, link: IncidentLink, text: str) -> None:
        super().__init__(text)
        self._services = services
        self._link = link
        self._previous = next((r.link for r in services.links.related(link.from_uid)
                               if r.outgoing and r.link.key == link.key), None)

    def do(self) -> Any:
        link = self._link
        return self._services.links.link(link.from_uid, link.to_uid, link.kind, link.note).record

    def undo_action(self) -> Any:
        link, previous = self._link, self._previous
        if previous is None:
            return self._services.links.unlink(link.from_uid, link.to_uid, link.kind).record
        return self._services.links.link(link.from_uid, link.to_uid, link.kind,
                                         previous.note).record


class UnrelateCommand(ServiceCommand):
    """Remove a link; undo puts it back with its note."""

    def __init__(self, services: Services, link: IncidentLink, text: str) -> None:
        super().__init__(text)
        self._services = services
        self._link = link

    def do(self) -> Any:
        link = self._link
        return self._services.links.unlink(link.from_uid, link.to_uid, link.kind).record

    def undo_action(self) -> Any:
        link = self._link
        return self._services.links.link(link.from_uid, link.to_uid, link.kind, link.note).record


class IncidentRelatedTab(_TabBase):
    """The incident's related incidents, both the links it states and those stated of it."""

    COLUMNS = ("relation", "incident", "note")

    def __init__(self, context: AppContext, ensure_incident: EnsureIncident,
                 open_incident: Callable[[str], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(context, ensure_incident, parent)
        self.setObjectName("incidentRelated")
        self.setAccessibleName(self.tr("Related incidents"))
        self._open_incident = open_incident or context.state.set_current_incident
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(self._build_adder())
        self.table = WrappingTable(0, len(self.COLUMNS), self)
        name_field(self.table, "relatedLinks", self.tr("Related incidents"))
        self.table.setHorizontalHeaderLabels(
            [self.tr("Relation"), self.tr("Incident"), self.tr("Note")])
        self.table.make_read_only_list()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        self.table.setColumnWidth(2, 160)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.table.installEventFilter(self)
        layout.addWidget(self.table, 1)
        self.hint = hint_label(self.tr("Enter or a double click opens the other incident; "
                                       "Delete removes the link. Links stated by the other "
                                       "incident are shown in their inverse wording."), self)
        layout.addWidget(self.hint)
        buttons = QHBoxLayout()
        self.open_button = QPushButton(self.tr("&Open incident"), self)
        self.remove_button = QPushButton(self.tr("&Remove link"), self)
        for button, name, action in ((self.open_button, "openRelatedButton", self.open_selected),
                                     (self.remove_button, "removeRelatedButton",
                                      self.remove_selected)):
            button.setObjectName(name)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, act=action: act())
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._update_buttons()

    def _build_adder(self) -> QVBoxLayout:
        self.kind_combo = QComboBox(self)
        # Read with its label: "This incident is, retaliation for".
        name_field(self.kind_combo, "relatedKind", self.tr("This incident is"))
        for kind in LinkKind:
            self.kind_combo.addItem(kind.label, kind.value)
        self.picker = IncidentPicker(self._services, self)
        name_field(self.picker, "relatedIncident", self.tr("This incident is: other incident"))
        self.picker.setPlaceholderText(self.tr("other incident: ref or title"))
        self.picker.returnPressed.connect(self._picker_entered)
        self.note_edit = QLineEdit(self)
        name_field(self.note_edit, "relatedNote", self.tr("Note"))
        self.note_edit.setPlaceholderText(self.tr("note (optional)"))
        self.note_edit.returnPressed.connect(self.add_from_fields)
        self.add_button = QPushButton(self.tr("&Add link"), self)
        self.add_button.setObjectName("addRelatedButton")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(lambda _=False: self.add_from_fields())
        label = QLabel(self.tr("This incident is"), self)
        label.setBuddy(self.kind_combo)
        first = QHBoxLayout()
        first.addWidget(label)
        first.addWidget(self.kind_combo)
        first.addWidget(self.picker, 1)
        note_label = QLabel(self.tr("Note:"), self)
        note_label.setBuddy(self.note_edit)
        second = QHBoxLayout()
        second.addWidget(note_label)
        second.addWidget(self.note_edit, 1)
        second.addWidget(self.add_button)
        rows = QVBoxLayout()
        rows.addLayout(first)
        rows.addLayout(second)
        return rows

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if (watched is self.table and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)):
            if event.matches(QKeySequence.StandardKey.Delete):
                self.remove_selected()
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.open_selected()
                return True
        return super().eventFilter(watched, event)

    # --- display ------------------------------------------------------------------------------

    def refresh(self) -> None:
        current = self.selected_link()
        self.table.setRowCount(0)
        related = self._services.links.related(self._uid) if self._uid else []
        for entry in related:
            row = self.table.rowCount()
            self.table.insertRow(row)
            cells = (entry.wording, f"{entry.other_ref} — {entry.other_title}",
                     entry.link.note or "")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(LINK_ROLE, entry)
                item.setTextAlignment(LEFT_TOP)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
            if current is not None and entry.link == current.link:
                self.table.selectRow(row)
        self.table.resizeRowsToContents()
        self._update_buttons()
        self.countChanged.emit(self.table.rowCount())

    def rows(self) -> list[tuple[str, str, str | None]]:
        """(relation, other incident, note) of each row as shown."""
        def text(row: int, column: int) -> str:
            item = self.table.item(row, column)
            return item.text() if item is not None else ""
        return [(text(r, 0), text(r, 1), text(r, 2) or None)
                for r in range(self.table.rowCount())]

    def selected_link(self) -> RelatedIncident | None:
        items = self.table.selectedItems()
        entry = items[0].data(LINK_ROLE) if items else None
        return entry if isinstance(entry, RelatedIncident) else None

    def _update_buttons(self) -> None:
        selected = self.selected_link() is not None
        editable = not self._read_only
        for widget in (self.kind_combo, self.picker, self.note_edit, self.add_button):
            widget.setEnabled(editable)
        self.open_button.setEnabled(selected)
        self.remove_button.setEnabled(selected and editable)

    def _on_changes(self, changes: Changes) -> None:
        # A link's change names both its incidents; one naming this incident alone is a
        # change of its own fields, which the list (the other incidents) does not show.
        if self._uid and (changes.rows_changed or (
                self._uid in changes.incidents and changes.incidents - {self._uid})
                or (changes.incidents - {self._uid}) & self._shown_uids()):
            self.refresh()

    def _shown_uids(self) -> set[str]:
        """The other incidents listed (their titles are shown)."""
        uids: set[str] = set()
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            entry = item.data(LINK_ROLE) if item is not None else None
            if isinstance(entry, RelatedIncident):
                uids.add(entry.other_uid)
        return uids

    # --- actions ------------------------------------------------------------------------------

    def _picker_entered(self) -> None:
        if self.picker.resolve() and self.picker.uid():
            self.note_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def add_from_fields(self) -> bool:
        if not self.picker.resolve() or not self.picker.uid():
            report_error(self, self.tr("Choose the other incident: type its ref or words of "
                                       "its title and pick it from the list."))
            self.picker.setFocus(Qt.FocusReason.OtherFocusReason)
            return False
        kind = LinkKind(self.kind_combo.currentData())
        if not self.add(self.picker.uid() or "", kind, self.note_edit.text()):
            return False
        self.picker.set_uid(None)
        self.note_edit.clear()
        self.picker.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def add(self, other_uid: str, kind: LinkKind, note: str | None = None) -> bool:
        uid = self._require_incident()
        if uid is None:
            return False
        link = IncidentLink(uid, other_uid, kind, (note or "").strip() or None)
        text = self.tr("Link {0} as {1}").format(self._incident_label(), kind.label)
        return self._push(RelateCommand(self._services, link, text))

    def remove_selected(self) -> bool:
        entry = self.selected_link()
        if entry is None or self._read_only:
            return False
        text = self.tr("Remove the link “{0}”").format(entry.describe())
        return self._push(UnrelateCommand(self._services, entry.link, text))

    def open_selected(self) -> bool:
        entry = self.selected_link()
        if entry is None:
            return False
        self._open_incident(entry.other_uid)
        return True


def related_summary(action: str, changes: dict[str, Any],
                    incident_label: Callable[[str], str]) -> str:
    """The History tab's line for a ``relate`` or ``unrelate`` entry."""
    old_uid, new_uid = (changes.get("related") or [None, None])[:2]
    kind_values = changes.get("kind") or [None, None]
    value = kind_values[1] or kind_values[0]
    try:
        words = LinkKind(value).label
    except ValueError:
        words = str(value)
    note = (changes.get("note") or [None, None])[1]
    if action == "unrelate":
        return f"Removed the link: {words} {incident_label(str(old_uid))}"
    if old_uid:
        return f"Changed the note on the link {words} {incident_label(str(new_uid))}: " \
               f"{note or '(none)'}"
    text = f"Linked: {words} {incident_label(str(new_uid))}"
    return f"{text} — {note}" if note else text
