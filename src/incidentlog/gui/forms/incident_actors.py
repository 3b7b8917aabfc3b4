"""The Actors section of the incident form: who took part, in which role, and who says so.

One row per actor (domain/actors.py), on three lines so that it fits a narrow
pane: the role and the actor's name (completed over the vocabulary's names and
aliases; an alias typed becomes the name when the field is left), then how the
role is known and who attributes it, then the source that reports it (one of the
sources the incident cites). Everything is reachable with the keyboard: Tab walks the rows in
order, "Add actor" (Alt+D) adds a row and puts the focus on its role, each row's ✕
button removes it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.actors import ActorRole, IncidentActor
from incidentlog.domain.enums import Attribution
from incidentlog.gui.widgets.completers import set_completions
from incidentlog.gui.widgets.text import set_text_read_only
from incidentlog.services import Services

#: What a role is called in the form.
ROLE_LABELS = {
    ActorRole.PERPETRATOR: "perpetrator",
    ActorRole.CLAIMANT: "claimant (claimed it)",
    ActorRole.TARGET: "target",
    ActorRole.VICTIM: "victim",
    ActorRole.ATTRIBUTED_BY: "attributed by",
    ActorRole.INTERVENING: "intervening",
}

#: (what the vocabulary offers: names and aliases, alias folded → name)
Vocabulary = tuple[list[str], dict[str, str]]


class ActorRow(QWidget):
    """One actor: role, name, how known, attributed by, source, and a remove button."""

    changed = Signal()
    removeRequested = Signal(object)

    def __init__(self, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role = QComboBox(self)
        for role, label in ROLE_LABELS.items():
            self.role.addItem(self.tr(label), role.value)
        self.actor = QLineEdit(self)
        self.actor.setPlaceholderText(self.tr("name or alias, e.g. IRI"))
        self.remove = QPushButton("✕", self)
        self.remove.setAutoDefault(False)
        self.remove.setToolTip(self.tr("Remove this actor"))
        self.remove.setMaximumWidth(self.fontMetrics().horizontalAdvance("✕") + 24)
        self.basis = QComboBox(self)
        self.basis.addItem(self.tr("— how known —"), Attribution.UNKNOWN.value)
        for how in (Attribution.CLAIMED, Attribution.ATTRIBUTED, Attribution.SUSPECTED):
            self.basis.addItem(self.tr(how.label), how.value)
        self.attributed_by = QLineEdit(self)
        self.attributed_by.setPlaceholderText(self.tr("attributed by, e.g. Pentagon"))
        self.source = QComboBox(self)
        self.source.addItem(self.tr("— no source —"), None)
        # Narrow at least as the form's other inputs: a long title or role must not
        # widen the form beyond its pane (the text shows in full in the list).
        for combo, letters in ((self.role, 8), (self.basis, 8), (self.source, 10)):
            combo.setMinimumContentsLength(letters)
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        for edit in (self.actor, self.attributed_by):
            edit.setMinimumWidth(self.fontMetrics().horizontalAdvance("0") * 6)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 4)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        grid.addWidget(self.role, 0, 0)
        grid.addWidget(self.actor, 0, 1)
        grid.addWidget(self.remove, 0, 2)
        grid.addWidget(self.basis, 1, 0)
        grid.addWidget(self.attributed_by, 1, 1)
        grid.addWidget(self.source, 2, 0, 1, 2)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 5)
        self.set_number(number)
        self.role.currentIndexChanged.connect(self._role_changed)
        for combo in (self.role, self.basis, self.source):
            combo.currentIndexChanged.connect(self.changed)
        for edit in (self.actor, self.attributed_by):
            edit.textChanged.connect(self.changed)
            edit.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            edit.customContextMenuRequested.connect(
                lambda at, edit=edit: self._show_menu(edit, at))
        self.remove.clicked.connect(lambda: self.removeRequested.emit(self))

    def context_menu(self, edit: QLineEdit) -> QMenu:
        """The text field's own menu, and the actors' vocabulary (Edit ▸ Actors…) opened on
        the name it holds: where its aliases are added or two actors merged."""
        from incidentlog.gui.workflows.actors import show_actors_from

        menu = edit.createStandardContextMenu()
        menu.addSeparator()
        # After a tab, a menu shows the window's shortcut as a hint (not a second binding).
        hint = QKeySequence("Ctrl+Shift+A").toString(QKeySequence.SequenceFormat.NativeText)
        action = menu.addAction(self.tr("Actors: names and aliases…") + f"\t{hint}")
        action.setObjectName("actorsVocabularyAction")
        action.triggered.connect(lambda: show_actors_from(self, edit.text()))
        return menu

    def _show_menu(self, edit: QLineEdit, at: QPoint) -> None:
        menu = self.context_menu(edit)
        menu.exec(edit.mapToGlobal(at))
        menu.deleteLater()

    def set_number(self, number: int) -> None:
        """Accessible names say which row: a screen reader hears "Actor 2: role"."""
        for widget, what in ((self.role, "role"), (self.actor, "name"),
                             (self.basis, "how known"), (self.attributed_by, "attributed by"),
                             (self.source, "source"), (self.remove, "remove")):
            widget.setAccessibleName(self.tr("Actor {0}: {1}").format(number, self.tr(what)))
            widget.setObjectName(f"actor{number}_{what.replace(' ', '_')}")

    def _role_changed(self) -> None:
        claimant = self.role.currentData() == ActorRole.CLAIMANT.value
        if claimant:
            self.basis.setCurrentIndex(self.basis.findData(Attribution.CLAIMED.value))
        self.basis.setEnabled(not claimant and self.isEnabled())

    def tab_widgets(self) -> list[QWidget]:
        return [self.role, self.actor, self.remove, self.basis, self.attributed_by, self.source]

    def set_sources(self, sources: Sequence[tuple[str, str]]) -> None:
        """The sources the incident cites, ``(uid, label)``; the chosen one is kept."""
        chosen = self.source.currentData()
        self.source.blockSignals(True)
        try:
            while self.source.count() > 1:
                self.source.removeItem(1)
            for uid, label in sources:
                self.source.addItem(label, uid)
                self.source.setItemData(self.source.count() - 1, uid, Qt.ItemDataRole.ToolTipRole)
            self._choose_source(chosen)
        finally:
            self.source.blockSignals(False)

    def _choose_source(self, uid: str | None) -> None:
        index = self.source.findData(uid) if uid else 0
        if index < 0:  # a source not cited (any more): kept, shown by its uid
            self.source.addItem(uid or "", uid)
            index = self.source.count() - 1
        self.source.setCurrentIndex(index)

    def set_actor(self, actor: IncidentActor) -> None:
        self.role.setCurrentIndex(max(self.role.findData(actor.role.value), 0))
        self.actor.setText(actor.actor or "")
        self.basis.setCurrentIndex(max(self.basis.findData(actor.attribution.value), 0))
        self.attributed_by.setText(actor.attributed_by or "")
        self._choose_source(actor.source_uid)

    def value(self) -> IncidentActor:
        return IncidentActor(
            role=ActorRole(self.role.currentData()),
            actor=self.actor.text().strip() or None,
            attribution=Attribution(self.basis.currentData()),
            attributed_by=self.attributed_by.text().strip() or None,
            source_uid=self.source.currentData(),
        )

    def is_blank(self) -> bool:
        value = self.value()
        return (value.actor is None and value.attributed_by is None and value.source_uid is None
                and value.role is not ActorRole.CLAIMANT
                and value.attribution is Attribution.UNKNOWN)

    def raw(self) -> tuple[Any, ...]:
        return (self.role.currentIndex(), self.actor.text(), self.basis.currentIndex(),
                self.attributed_by.text(), self.source.currentData())

    def set_read_only(self, read_only: bool) -> None:
        for edit in (self.actor, self.attributed_by):
            set_text_read_only(edit, read_only)
        for widget in (self.role, self.source, self.remove):
            widget.setEnabled(not read_only)
        self.basis.setEnabled(not read_only
                              and self.role.currentData() != ActorRole.CLAIMANT.value)


class ActorsEditor(QWidget):
    """The incident's actors as rows, with "Add actor"; ``changed`` on every edit."""

    changed = Signal()

    def __init__(self, vocabulary: Callable[[], Vocabulary], parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        # Not in the Tab chain itself (its rows are), but its label's mnemonic reaches it.
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._vocabulary = vocabulary
        self._loaded: Vocabulary | None = None
        #: Rows whose completions are older than the vocabulary: completed when entered.
        self._stale: list[ActorRow] = []
        self._sources: list[tuple[str, str]] = []
        self._rows: list[ActorRow] = []
        self._read_only = False
        self._neighbours: tuple[QWidget | None, QWidget | None] = (None, None)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        self._rows_box = QVBoxLayout()
        self._rows_box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(self._rows_box)
        self.empty = QLabel(self.tr("No actors yet: who did it, who claimed it, who was hit?"),
                            self)
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setEnabled(False)
        self.empty.setWordWrap(True)
        box.addWidget(self.empty)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(self.tr("A&dd actor"), self)
        self.add_button.setObjectName("addActorButton")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self._add_clicked)
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        box.addLayout(buttons)

    # --- what the form asks -------------------------------------------------------------------

    def set_actors(self, actors: Sequence[IncidentActor],
                   sources: Sequence[tuple[str, str]] = ()) -> None:
        """Show ``actors``; ``sources``: ``(uid, label)`` of the sources the incident cites."""
        if (list(sources) == self._sources and len(self._rows) == len(actors)
                and self.actors() == tuple(actors)):
            return  # what the rows hold already (the incident just saved from them)
        self._sources = list(sources)
        for row in self._rows:
            self._discard(row)
        self._rows = []
        for actor in actors:
            self.add_row().set_actor(actor)
        self._rows_changed()

    def sources(self) -> list[tuple[str, str]]:
        """``(uid, label)`` of the sources the rows offer."""
        return list(self._sources)

    def update_sources(self, sources: Sequence[tuple[str, str]]) -> None:
        """The incident cites other sources now: offered by every row, each keeping its own."""
        self._sources = list(sources)
        for row in self._rows:
            row.set_sources(self._sources)

    def actors(self) -> tuple[IncidentActor, ...]:
        """The rows as actors, blank rows left out."""
        return tuple(row.value() for row in self._rows if not row.is_blank())

    def rows(self) -> list[ActorRow]:
        return list(self._rows)

    def raw(self) -> tuple[Any, ...]:
        return tuple(row.raw() for row in self._rows)

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.add_button.setEnabled(not read_only)
        for row in self._rows:
            row.set_read_only(read_only)

    def refresh_vocabulary(self) -> None:
        """Read the names and aliases again (the log's actors may have grown) when a row's
        name is next entered: not on every save, which refreshes the form's vocabularies."""
        self._loaded = None
        self._stale = list(self._rows)
        focus = QApplication.focusWidget()
        if any(focus in (row.actor, row.attributed_by) for row in self._rows):
            self._complete_stale()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if event.type() == QEvent.Type.FocusIn and self._stale:
            self._complete_stale()
        return False

    def _complete_stale(self) -> None:
        stale, self._stale = self._stale, []
        for row in stale:
            self._complete(row)

    def set_tab_neighbours(self, before: QWidget, after: QWidget) -> None:
        """The widgets Tab reaches just before and after the section: the rows come and go,
        so the chain is stitched again each time."""
        self._neighbours = (before, after)
        self._chain_tabs()

    def tab_widgets(self) -> list[QWidget]:
        return [*itertools.chain.from_iterable(row.tab_widgets() for row in self._rows),
                self.add_button]

    # --- rows ---------------------------------------------------------------------------------

    def add_row(self) -> ActorRow:
        row = ActorRow(len(self._rows) + 1, self)
        row.set_sources(self._sources)
        row.changed.connect(self.changed)
        row.removeRequested.connect(self._remove)
        row.actor.editingFinished.connect(lambda r=row: self._to_name(r.actor))
        row.attributed_by.editingFinished.connect(lambda r=row: self._to_name(r.attributed_by))
        self._complete(row)
        for edit in (row.actor, row.attributed_by):
            edit.installEventFilter(self)
        self._rows.append(row)
        self._rows_box.addWidget(row)
        row.show()  # now, not when the layout gets round to it: Tab skips hidden widgets
        row.set_read_only(self._read_only)
        return row

    def _add_clicked(self) -> None:
        row = self.add_row()
        self._rows_changed()
        self.changed.emit()
        row.role.setFocus(Qt.FocusReason.OtherFocusReason)

    def _remove(self, row: ActorRow) -> None:
        index = self._rows.index(row)
        self._rows.remove(row)
        self._discard(row)
        for number, other in enumerate(self._rows, start=1):
            other.set_number(number)
        self._rows_changed()
        self.changed.emit()
        following = self._rows[index] if index < len(self._rows) else None
        (following.role if following else self.add_button).setFocus(
            Qt.FocusReason.OtherFocusReason)

    def _discard(self, row: ActorRow) -> None:
        """Out of the layout and hidden now, deleted when the event loop comes round."""
        self._rows_box.removeWidget(row)
        if row in self._stale:
            self._stale.remove(row)
        row.hide()
        row.deleteLater()

    def _rows_changed(self) -> None:
        self.empty.setVisible(not self._rows)
        self._chain_tabs()

    def _chain_tabs(self) -> None:
        before, after = self._neighbours
        if before is None or after is None:
            return
        for first, second in itertools.pairwise([before, *self.tab_widgets(), after]):
            QWidget.setTabOrder(first, second)

    # --- names --------------------------------------------------------------------------------

    def _names(self) -> Vocabulary:
        if self._loaded is None:
            try:
                self._loaded = self._vocabulary()
            except Exception:  # completion is a help; a busy file must not stop the form
                return [], {}
        return self._loaded

    def _complete(self, row: ActorRow) -> None:
        offered, _ = self._names()
        for edit in (row.actor, row.attributed_by):
            set_completions(edit, offered)

    def _to_name(self, edit: QLineEdit) -> None:
        """An alias typed becomes the vocabulary's name: "IRI" → Islamic Resistance in Iraq."""
        _, by_alias = self._names()
        name = by_alias.get(edit.text().strip().casefold())
        if name is not None and name != edit.text():
            edit.setText(name)

    def focusInEvent(self, event: QFocusEvent) -> None:  # Qt override
        """The label's mnemonic (Alt+R) lands in the first row, or on "Add actor"."""
        target = self._rows[0].role if self._rows else self.add_button
        target.setFocus(event.reason())


def cited_sources(services: Services, uid: str | None) -> list[tuple[str, str]]:
    """``(uid, label)`` of the live sources the incident ``uid`` cites, for the source combo."""
    if uid is None:
        return []
    return [(link.source_uid, source.label) for link, source in services.incidents.cited(uid)
            if source.meta.deleted_at is None]


def vocabulary_from(entries: Sequence[tuple[str, Sequence[str]]]) -> Vocabulary:
    """What the editor offers, from ``(name, aliases)`` pairs: every name and alias, and
    each folded alias → its name."""
    offered: list[str] = []
    by_alias: dict[str, str] = {}
    for name, aliases in entries:
        offered.append(name)
        for alias in aliases:
            offered.append(alias)
            by_alias[alias.casefold()] = name
    return offered, by_alias
