"""Edit ▸ Actors…: the actors' vocabulary, with aliases and how many incidents name each.

Rename an actor, add or remove an alias, merge one actor into another (every
incident naming it names the other from then on). Each edit is one step of the
window's undo stack (gui/actor_commands.py); what an edit refuses (an empty name,
an alias another actor has) is said in a message box. The list reads itself again
whenever the log's vocabulary changes (an undo from the window, another desk).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.errors import Cancelled, IncidentLogError
from incidentlog.gui import plain_text
from incidentlog.gui.actor_commands import AliasCommand, MergeActorsCommand, RenameActorCommand
from incidentlog.gui.errors import show_error
from incidentlog.gui.undo import ServiceCommand, push_command, push_done
from incidentlog.services.actors import Progress
from incidentlog.services.changes import Changes
from incidentlog.store.actor_edits import ActorEntry

if TYPE_CHECKING:
    from incidentlog.gui.context import AppContext
    from incidentlog.gui.workers import Task

#: The table's columns.
COLUMNS = ("Actor", "Aliases", "Incidents", "Attributes")


class ActorsDialog(QDialog):
    """The vocabulary of the open log; edits go through the context's undo stack."""

    def __init__(self, context: AppContext, *, read_only: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("actorsDialog")
        self.setWindowTitle(self.tr("Actors"))
        self.resize(760, 480)
        self.context = context
        self._read_only = read_only
        #: The rename or merge running in the background, if any (``_run_long_edit``).
        self.edit_task: Task | None = None
        self.entries: list[ActorEntry] = []
        self.search = QLineEdit(self)
        self.search.setObjectName("actorsFind")
        self.search.setPlaceholderText(self.tr("Find an actor by name or alias"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("actorsTable")
        self.table.setAccessibleName(self.tr("Actors and their aliases"))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.resizeSection(0, 260)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemDoubleClicked.connect(lambda _item: self.rename_clicked())
        self.summary = plain_text.plain_label("", self)
        self.summary.setObjectName("actorsSummary")
        self.summary.setWordWrap(True)

        self.rename_button = self._button(self.tr("&Rename…"), self.rename_clicked,
                                          self.tr("Give the actor another name, in every "
                                                  "incident that names it"))
        self.add_alias_button = self._button(self.tr("&Add alias…"), self.add_alias_clicked,
                                             self.tr("Another name the actor is known by"))
        self.remove_alias_button = self._button(self.tr("Re&move alias…"),
                                                self.remove_alias_clicked,
                                                self.tr("The name no longer finds the actor"))
        self.merge_button = self._button(self.tr("Mer&ge into…"), self.merge_clicked,
                                         self.tr("The same actor entered twice: its incidents "
                                                 "and aliases go to the other one"))
        side = QVBoxLayout()
        for button in (self.rename_button, self.add_alias_button, self.remove_alias_button,
                       self.merge_button):
            side.addWidget(button)
        side.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.table, 1)
        middle.addLayout(side)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addLayout(middle, 1)
        layout.addWidget(self.summary)
        layout.addWidget(close)
        context.bus.changed.connect(self._on_changes)
        self.reload()

    def _button(self, text: str, slot: Callable[[], object], tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setAutoDefault(False)
        button.setToolTip(tip)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    # --- what it shows ------------------------------------------------------------------

    def reload(self) -> None:
        """Read the vocabulary again, keeping the chosen actor chosen."""
        chosen = self.current()
        self.entries = self.context.services.actors.entries()
        self.table.setRowCount(len(self.entries))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for row, entry in enumerate(self.entries):
            aliases = "; ".join(entry.aliases)
            counts = [QTableWidgetItem(f"{number:,}" if number else "")
                      for number in (entry.incidents, entry.attributions)]
            for item in counts:
                item.setTextAlignment(right)
            for column, item in enumerate((QTableWidgetItem(entry.name),
                                           QTableWidgetItem(aliases), *counts)):
                item.setToolTip(entry.name if column == 0 else aliases if column == 1 else "")
                self.table.setItem(row, column, item)
        used = sum(1 for entry in self.entries if entry.incidents or entry.attributions)
        self.summary.setText(self.tr("{0:,} actors, {1:,} named by incidents (the trash "
                                     "included). A rename or a merge changes every incident "
                                     "naming the actor; Edit ▸ Undo takes it back.")
                             .format(len(self.entries), used))
        self._filter(self.search.text())
        if chosen is not None:
            self.choose(chosen.name)
        self._selection_changed()

    def _filter(self, text: str) -> None:
        folded = text.strip().casefold()
        for row, entry in enumerate(self.entries):
            shown = not folded or any(folded in name.casefold()
                                      for name in (entry.name, *entry.aliases))
            self.table.setRowHidden(row, not shown)

    def choose(self, name: str) -> bool:
        """Select the actor ``name`` names, as its name or an alias (ignoring case); False
        if there is none."""
        folded = " ".join(name.split()).casefold()
        matches = [row for row, entry in enumerate(self.entries)
                   if entry.name.casefold() == folded]
        matches += [row for row, entry in enumerate(self.entries)
                    if any(alias.casefold() == folded for alias in entry.aliases)]
        for row in matches[:1]:
            self.table.selectRow(row)
            self.table.scrollTo(self.table.model().index(row, 0))
            return True
        return False

    def current(self) -> ActorEntry | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.entries):
            return None
        return self.entries[rows[0].row()]

    def _selection_changed(self) -> None:
        entry = self.current()
        editable = entry is not None and not self._read_only
        for button in (self.rename_button, self.add_alias_button, self.merge_button):
            button.setEnabled(editable)
        self.remove_alias_button.setEnabled(editable and bool(entry and entry.aliases))

    def _on_changes(self, changes: Changes) -> None:
        if changes.vocabulary:
            self.reload()

    # --- asking (a test answers in place of the person) --------------------------------

    def ask_text(self, title: str, label: str, text: str = "") -> str | None:
        return plain_text.get_text(self, title, label, text)  # the label quotes a name

    def ask_choice(self, title: str, label: str, items: Sequence[str]) -> str | None:
        return plain_text.get_item(self, title, label, list(items))

    # --- the edits ----------------------------------------------------------------------

    def rename_clicked(self) -> bool:
        entry = self.current()
        if entry is None or self._read_only:
            return False
        new = self.ask_text(self.tr("Rename actor"),
                            self.tr("New name of {0}:").format(entry.name), entry.name)
        if new is None:
            return False
        actors, name, text = self.context.services.actors, entry.name, \
            self.tr("Rename actor {0}").format(entry.name)
        self._run_long_edit(
            self.tr("Renaming {0} in every incident…").format(name),
            lambda progress: actors.rename(name, new, progress=progress).record,
            lambda receipt: RenameActorCommand(self.context.services, name, new, text,
                                               done=receipt),
            new.strip())
        return True

    def add_alias_clicked(self) -> bool:
        entry = self.current()
        if entry is None or self._read_only:
            return False
        alias = self.ask_text(self.tr("Add alias"),
                              self.tr("Another name of {0}:").format(entry.name))
        if alias is None:
            return False
        command = AliasCommand(self.context.services, entry.name, alias, add=True,
                               text=self.tr("Add alias {0}").format(alias.strip()))
        return self._push(command, entry.name)

    def remove_alias_clicked(self) -> bool:
        entry = self.current()
        if entry is None or self._read_only or not entry.aliases:
            return False
        alias = self.ask_choice(self.tr("Remove alias"),
                                self.tr("Alias of {0} to remove:").format(entry.name),
                                entry.aliases)
        if alias is None:
            return False
        command = AliasCommand(self.context.services, entry.name, alias, add=False,
                               text=self.tr("Remove alias {0}").format(alias))
        return self._push(command, entry.name)

    def merge_clicked(self) -> bool:
        entry = self.current()
        if entry is None or self._read_only:
            return False
        others = [other.name for other in self.entries if other.name != entry.name]
        survivor = self.ask_choice(
            self.tr("Merge actors"),
            self.tr("{0} and its {1} incidents go to:").format(entry.name, entry.incidents),
            others)
        if survivor is None:
            return False
        actors, name = self.context.services.actors, entry.name
        text = self.tr("Merge actor {0} into {1}").format(name, survivor)
        self._run_long_edit(
            self.tr("Merging {0} into {1} in every incident…").format(name, survivor),
            lambda progress: actors.merge(name, survivor, progress=progress).record,
            lambda receipt: MergeActorsCommand(self.context.services, name, survivor, text,
                                               done=receipt),
            survivor)
        return True

    def _run_long_edit(self, title: str, edit: Callable[[Progress], Any],
                       command: Callable[[Any], ServiceCommand], then_choose: str) -> None:
        """An edit that rewrites every incident naming an actor (a sixth of a large log):
        off the window's thread behind a progress dialog with Cancel, which rolls it all
        back; once done it becomes one step on the undo stack."""
        from incidentlog.gui.exchange_dialogs import run_with_progress

        def work(report: Progress, cancelled: Callable[[], bool]) -> Any:
            def progress(done: int, total: int) -> None:
                if cancelled():
                    raise Cancelled()
                report(done, total)

            return edit(progress)

        def succeeded(receipt: Any) -> None:
            push_done(self.context.undo_stack, command(receipt), receipt)
            self.reload()
            self.choose(then_choose)

        def failed(error: BaseException) -> None:
            if isinstance(error, Cancelled):
                return
            if isinstance(error, IncidentLogError):
                show_error(self, error)
                return
            raise error  # a bug: the excepthook reports it

        self.edit_task = run_with_progress(self.context, self, title, work, succeeded, failed)

    def _push(self, command: ServiceCommand, then_choose: str) -> bool:
        error: IncidentLogError | None = push_command(self.context.undo_stack, command)
        if error is not None:
            show_error(self, error)
            return False
        self.reload()
        self.choose(then_choose)
        return True
