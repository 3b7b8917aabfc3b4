"""The incident form: every field of an incident (docs/entering-incidents.md), with its quotes,
sources and history.

It is the pane beside the table and also works as a whole window: it assumes
nothing about its parent, talks to the rest of the app only through the
``AppContext`` (services, shared selection, change bus, undo stack,
settings), and follows the shared current incident.

Edits of the Details tab are kept in the widgets until Save (Ctrl+S), which
validates with the domain rules, shows each problem beside its field, and
pushes one undoable command. Links, quotes and review actions are separate
records and act at once, each one undoable.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.enums import (
    Status,
)
from incidentlog.domain.errors import ConflictError, IncidentLogError, ValidationError
from incidentlog.domain.records import Incident
from incidentlog.gui.context import AppContext
from incidentlog.gui.forms.base import show_from_top
from incidentlog.gui.forms.duplicate_panel import DuplicatePanel
from incidentlog.gui.forms.incident_actors import cited_sources
from incidentlog.gui.forms.incident_details import IncidentDetails
from incidentlog.gui.forms.incident_links import IncidentQuotesTab, IncidentSourcesTab
from incidentlog.gui.forms.incident_related import IncidentRelatedTab
from incidentlog.gui.history import HistoryView
from incidentlog.gui.merge_dialog import merge_into
from incidentlog.gui.plain_text import plain_label
from incidentlog.gui.settings import LAST_TIME_ZONE
from incidentlog.gui.undo import (
    CreateRecordCommand,
    SetStatusCommand,
    UpdateRecordCommand,
    push_command,
)
from incidentlog.gui.widgets.notices import NoticeBar, report_error
from incidentlog.services import Changes

DETAILS_TAB, SOURCES_TAB, QUOTES_TAB, RELATED_TAB, HISTORY_TAB = range(5)


def _first_focusable(page: QWidget) -> QWidget | None:
    """The first widget of ``page`` that Tab would reach."""
    widget = page.nextInFocusChain()
    while widget is not page and widget is not None:
        if (page.isAncestorOf(widget) and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
                and widget.isVisible() and widget.isEnabled()):
            return widget
        widget = widget.nextInFocusChain()
    return None


class IncidentForm(IncidentDetails):
    """View and edit one incident; follows the shared current incident."""


    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("incidentForm")
        self.setAccessibleName(self.tr("Incident form"))
        self._services = context.services
        self._vocabulary = context.services.vocabulary
        self._incident: Incident | None = None
        self._saving = False
        self._following = False
        self._stale_completions: set[QLineEdit] = set()
        self._build()
        for edit in self._completing_edits():
            edit.installEventFilter(self)
        self._refresh_completions()
        context.state.currentIncidentChanged.connect(self._on_current_incident_changed)
        context.bus.changed.connect(self._on_changes)
        self.dirtyChanged.connect(lambda _dirty: self._update_header())
        if context.read_only:
            self._read_only = True
        self._show(self._services.incidents.find(context.state.current_incident)
                   if context.state.current_incident else None)

    # --- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(4)
        self.header = plain_label("", self)  # the record's own words
        self.header.setObjectName("incidentHeader")
        self.header.setWordWrap(True)
        self.header.setContentsMargins(8, 6, 8, 0)
        font = self.header.font()
        font.setBold(True)
        font.setPointSizeF(max(font.pointSizeF(), 9.0) * 1.1)
        self.header.setFont(font)
        root.addWidget(self.header)
        self.notice = NoticeBar(self)
        root.addWidget(self.notice)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("incidentTabs")
        self.tabs.setDocumentMode(True)
        root.addWidget(self.tabs, 1)
        self._build_tabs()
        # Ctrl+Tab and Ctrl+Shift+Tab switch the tabs wherever the focus is in the form,
        # even in a table or a text field that would otherwise keep the key.
        for keys, step in ((QKeySequence.StandardKey.NextChild, 1),
                           (QKeySequence.StandardKey.PreviousChild, -1)):
            shortcut = QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda step=step: self.step_tab(step))
        self._build_buttons(root)
        self._set_tab_order()

    def _build_tabs(self) -> None:
        self._scroll = scroll = QScrollArea(self.tabs)
        scroll.setObjectName("detailsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        content = QWidget(scroll)
        content.setObjectName("details")
        self._details = content
        form = QFormLayout(content)
        form.setContentsMargins(8, 6, 8, 8)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFormAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        form.setVerticalSpacing(6)
        scroll.setWidget(content)
        self._build_fields(form, content)

        self.sources_tab = IncidentSourcesTab(self._context, self._ensure_saved, self.tabs)
        self.quotes_tab = IncidentQuotesTab(self._context, self._ensure_saved, self.tabs)
        self.related_tab = IncidentRelatedTab(self._context, self._ensure_saved, parent=self.tabs)
        self.history = HistoryView(self._context, self.tabs)
        self.tabs.addTab(scroll, self.tr("Details"))
        self.tabs.addTab(self.sources_tab, self.tr("Sources"))
        self.tabs.addTab(self.quotes_tab, self.tr("Quotes"))
        self.tabs.addTab(self.related_tab, self.tr("Related"))
        self.tabs.addTab(self.history, self.tr("History"))
        self.sources_tab.countChanged.connect(
            lambda n: self._set_tab_count(SOURCES_TAB, self.tr("Sources"), n))
        self.quotes_tab.countChanged.connect(
            lambda n: self._set_tab_count(QUOTES_TAB, self.tr("Quotes"), n))
        self.related_tab.countChanged.connect(
            lambda n: self._set_tab_count(RELATED_TAB, self.tr("Related"), n))

    def _build_buttons(self, root: QVBoxLayout) -> None:
        buttons = QHBoxLayout()
        buttons.setContentsMargins(8, 0, 8, 8)
        self.revert_button = QPushButton(self.tr("Revert"), self)
        self.revert_button.setObjectName("revertButton")
        self.revert_button.setToolTip(self.tr("Drop the unsaved changes"))
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton(self.tr("Save"), self)
        self.save_button.setObjectName("saveButton")
        self.save_button.setToolTip(self.tr("Save ({0})").format(
            QKeySequence(QKeySequence.StandardKey.Save).toString(
                QKeySequence.SequenceFormat.NativeText)))
        self.save_button.clicked.connect(lambda: self.save())
        self.save_button.setDefault(False)
        buttons.addWidget(self.revert_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        self.duplicates = DuplicatePanel(self._context, self)  # "possibly the same as …"
        self.duplicates.openRequested.connect(self._context.state.set_current_incident)
        self.duplicates.mergeRequested.connect(self._merge_into)
        root.addWidget(self.duplicates)
        root.addLayout(buttons)

    def _set_tab_order(self) -> None:
        order = [
            self.title, self.ref, self.occurred.edit, self.occurred.precision, self.tz,
            self.approximate, self.place, self.admin1, self.country, self.latitude,
            self.longitude, self.geo_precision, self.event_type, self.weapons, self.launched,
            self.intercepted, self.summary, *self.actors.tab_widgets(), self.target,
            *self.killed.inputs(), *self.injured.inputs(),
            self.confidence, self.tags, *self._review_buttons.values(),
            self.revert_button, self.save_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        self.actors.set_tab_neighbours(self.summary, self.target)

    def step_tab(self, step: int) -> None:
        """Show the next (``step`` 1) or previous (-1) tab, and put the focus in it."""
        index = (self.tabs.currentIndex() + step) % self.tabs.count()
        self.tabs.setCurrentIndex(index)
        page = self.tabs.widget(index)
        if page is None:
            return
        # Back where the focus was when the tab was left, else at its first field.
        target: QWidget | None = page.focusWidget()
        if target is not None and not (target.isVisible() and target.isEnabled()):
            target = None
        target = target or _first_focusable(page)
        if target is not None:
            target.setFocus(Qt.FocusReason.TabFocusReason)

    def _set_tab_count(self, index: int, title: str, count: int) -> None:
        self.tabs.setTabText(index, f"{title} ({count})" if count else title)

    def _edit_buttons(self) -> list[QAbstractButton]:
        return [self.save_button, self.revert_button]

    # --- state --------------------------------------------------------------------------------

    def uid(self) -> str | None:
        return self._incident.uid if self._incident else None

    def incident(self) -> Incident | None:
        """The incident as last loaded or saved (None while a new one is being entered)."""
        return self._incident

    def record_label(self) -> str:
        if self._incident is None:
            return self.tr("The new incident")
        return self.tr("Incident {0}").format(self._incident.label)

    def _effectively_read_only(self) -> bool:
        trashed = self._incident is not None and self._incident.meta.deleted_at is not None
        return self._read_only or trashed

    def set_read_only(self, read_only: bool) -> None:
        super().set_read_only(read_only)
        self._update_review()

    def _apply_read_only(self) -> None:
        super()._apply_read_only()
        read_only = self._effectively_read_only()
        self.sources_tab.set_read_only(read_only)
        self.quotes_tab.set_read_only(read_only)
        self.related_tab.set_read_only(read_only)
        self.duplicates.set_merge_enabled(not read_only)

    def _set_state_current(self, uid: str | None) -> None:
        self._following = True
        try:
            self._context.state.set_current_incident(uid)
        finally:
            self._following = False

    # --- loading ------------------------------------------------------------------------------

    def new_incident(self) -> None:
        """A blank incident: last used time zone, minute precision, draft."""
        if not self.maybe_leave():
            return
        self._show(None)
        self._set_state_current(None)
        self.tabs.setCurrentIndex(DETAILS_TAB)
        self.title.setFocus(Qt.FocusReason.OtherFocusReason)

    def load(self, uid: str | None) -> None:
        """Show incident ``uid`` (None: a new one); asks first if there are unsaved edits."""
        if uid is None:
            self.new_incident()
            return
        if uid != self.uid() and not self.maybe_leave():
            return
        incident = self._services.incidents.find(uid)
        if incident is None:
            self._show(None)
            self.notice.show_notice(self.tr("That incident no longer exists."))
            return
        self._show(incident)

    def reload(self) -> None:
        """Show the stored version, dropping unsaved edits."""
        uid = self.uid()
        self._show(self._services.incidents.find(uid) if uid else None)

    def revert(self) -> None:
        self._show(self._incident)

    def _show(self, incident: Incident | None, *, tabs_current: bool = False) -> None:
        """``tabs_current``: the Sources and Quotes tabs already show this incident (a save
        of its own fields changes neither; they follow their own changes)."""
        self._incident = incident
        record = incident or Incident()
        self._loading += 1
        try:
            # A save of the incident's own fields cites the same sources as before.
            self._fill_fields(record, self.actors.sources() if tabs_current and (
                self.sources_tab.incident_uid() == record.uid) else None)
        finally:
            self._loading -= 1
        self.clear_errors()
        self.notice.clear()
        self._mark_clean()
        uid = record.uid
        if not (tabs_current and self.sources_tab.incident_uid() == uid):
            self.sources_tab.set_incident(uid)
            self.quotes_tab.set_incident(uid)
            self.related_tab.set_incident(uid)
        self.history.set_uid(uid)
        show_from_top(self._scroll)
        if record.meta.deleted_at is not None:
            self.notice.show_notice(self.tr("This incident is in the trash: restore it (Undo, "
                                            "or from the trash) to edit it."))
        self.duplicates.probe(None)  # only what is being typed is looked up
        self._apply_read_only()
        self._update_header()
        self._update_review()
        self._update_hint()
        self._update_meta()

    def _update_header(self) -> None:
        if self._incident is None:
            text = self.tr("New incident")
        else:
            text = " · ".join(p for p in (self._incident.ref, self._incident.title) if p)
        if self.is_dirty():
            text += self.tr(" — unsaved changes")
        self.header.setText(text)

    def _update_review(self) -> None:
        self.show_review_state(self._incident, editable=not self._effectively_read_only())

    def _after_edit(self) -> None:
        self._update_hint()
        self.duplicates.probe(self._collect()[0])

    def _merge_into(self, survivor_uid: str) -> None:
        """Merge this incident (saved first if new) into the one the panel offers."""
        mine = self._ensure_saved()
        if mine and mine != survivor_uid and merge_into(self._context, self, survivor_uid, mine):
            self._set_state_current(survivor_uid)
            self.load(survivor_uid)

    def _update_meta(self) -> None:
        meta = self._incident.meta if self._incident else None
        if meta is None or meta.created_at is None:
            self.meta.setText("")
            return
        def when(text: str | None) -> str:
            return (text or "?").replace("T", " ").replace(":00Z", " UTC").replace("Z", " UTC")

        self.meta.setText(self.tr("Created {0} by {1}\nLast saved {2} by {3} · version {4}")
                          .format(when(meta.created_at), meta.created_by,
                                  when(meta.updated_at), meta.updated_by, meta.version))

    # --- following the shared state -----------------------------------------------------------

    def _on_current_incident_changed(self, uid: object) -> None:
        if self._following or uid == self.uid():
            return
        self._following = True
        try:
            leave = self.maybe_leave()
            if not leave:
                self._context.state.set_current_incident(self.uid())
                return
        finally:
            self._following = False
        if uid is None:
            self._show(None)
        else:
            self.load(str(uid))

    def _on_changes(self, changes: Changes) -> None:
        if changes.vocabulary:
            self._refresh_completions()
        uid = self.uid()
        if uid is None or self._saving or uid not in changes.incidents:
            return
        stored = self._services.incidents.find(uid)
        self.history.refresh()
        loaded = self._incident
        if stored is None or loaded is None:
            self.notice.show_notice(self.tr("This incident was deleted for good elsewhere."))
            return
        if (stored.meta.version == loaded.meta.version
                and stored.meta.deleted_at == loaded.meta.deleted_at):
            # A link or a quote changed: the tabs refresh themselves, the actors' sources here.
            self.actors.update_sources(cited_sources(self._services, uid))
            return
        if not self.is_dirty():
            tab = self.tabs.currentIndex()
            self._show(stored)
            self.tabs.setCurrentIndex(tab)
            return
        self.notice.show_notice(
            self.tr("This incident was changed by {0} at {1} — your edits are not saved.")
            .format(stored.meta.updated_by or self.tr("someone else"),
                    (stored.meta.updated_at or "?").replace("T", " ")),
            [(self.tr("Reload"), self.reload), (self.tr("Keep editing"), self.notice.clear)],
        )

    # --- saving -------------------------------------------------------------------------------

    def save(self, *, force: bool = False) -> bool:
        """Validate, then create or update through the undo stack; ``saved(uid)`` on success.

        ``force`` saves over a newer stored version (the user chose "Keep mine").
        """
        if self._effectively_read_only():
            return False
        self.tz.resolve()
        self.country.resolve()
        incident, errors = self._collect()
        if errors:
            self.tabs.setCurrentIndex(DETAILS_TAB)
            self.present_errors(errors)
            return False
        self.clear_errors()
        creating = self._incident is None
        if self._incident is None:
            command: CreateRecordCommand | UpdateRecordCommand = CreateRecordCommand(
                self._services.incidents, incident,
                self.tr("New incident “{0}”").format(incident.title))
        else:
            if not self.is_dirty() and not force:
                return True
            before = self._incident
            if force:
                before = self._services.incidents.find(self._incident.uid or "") or before
            command = UpdateRecordCommand(
                self._services.incidents, before, incident,
                self.tr("Edit incident {0}").format(self._incident.label), force=force)
        self._saving = True
        try:
            error = push_command(self._context.undo_stack, command)
        finally:
            self._saving = False
        if error is not None:
            self._handle_error(error)
            return False
        stored: Incident = command.result
        if stored.occurred is not None:
            self._context.settings.set(LAST_TIME_ZONE, stored.occurred.tz)
        tab = self.tabs.currentIndex()
        self._show(stored, tabs_current=True)
        self.tabs.setCurrentIndex(tab)
        self._refresh_completions()
        if creating and not self._following:
            self._set_state_current(stored.uid)
        self.saved.emit(stored.uid or "")
        return True

    def _handle_error(self, error: IncidentLogError) -> None:
        if isinstance(error, ValidationError):
            self.tabs.setCurrentIndex(DETAILS_TAB)
            self.present_errors(error.fields)
        elif isinstance(error, ConflictError):
            self._conflict_notice(self.notice, error, self.reload)
        else:
            report_error(self, error, self.tr("Could not save the incident"))

    def _ensure_saved(self) -> str | None:
        """For the Sources and Quotes tabs: a new incident is saved before anything links to it."""
        if self._incident is not None:
            return self._incident.uid
        if self.save():
            return self.uid()
        self.tabs.setCurrentIndex(DETAILS_TAB)
        return None

    # --- review -------------------------------------------------------------------------------

    def set_status(self, status: Status) -> bool:
        """A review action (submit, verify, dispute, archive, re-open), recorded in the audit log.

        Unsaved edits are saved first, so the status never applies to a
        version the reviewer did not see.
        """
        if self._effectively_read_only() or self._incident is None:
            return False
        if self.is_dirty() and not self.save():
            return False
        incident = self._incident
        captions = {s: b.text() for s, b in self._review_buttons.items()}
        command = SetStatusCommand(self._services, incident, status,
                                   self.tr("{0} {1}").format(captions[status], incident.label))
        self._saving = True
        try:
            error = push_command(self._context.undo_stack, command)
        finally:
            self._saving = False
        if error is not None:
            if isinstance(error, ValidationError):
                self.show_errors(error.fields)
            elif isinstance(error, ConflictError):
                self.notice.show_notice(error.message, [(self.tr("Reload"), self.reload)])
            else:
                report_error(self, error, self.tr("Could not change the status"))
            return False
        tab = self.tabs.currentIndex()
        self._show(command.result)
        self.tabs.setCurrentIndex(tab)
        return True
