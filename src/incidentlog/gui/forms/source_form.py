"""The source form: one article, post, video or statement, and the incidents that cite it.

A source cited twice must stay one row (docs/entering-incidents.md), so the form looks the URL
up as soon as it is typed or pasted: if the normalized address is known, a
notice offers the existing source in one click ("Use the existing source") or
lets the officer say "Not a duplicate" (then the row is created with
``distinct=True``).
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.citation import CitationGuess
from incidentlog.domain.enums import Reliability, SourceKind, TimePrecision
from incidentlog.domain.errors import ConflictError, IncidentLogError, ValidationError
from incidentlog.domain.records import Source
from incidentlog.domain.validation import clean_source, source_errors
from incidentlog.domain.when import utc_now
from incidentlog.gui.context import AppContext
from incidentlog.gui.forms.base import Field, FormBase, Section, show_from_top
from incidentlog.gui.forms.evidence_panel import EvidencePanel, install_drop_target
from incidentlog.gui.plain_text import plain_label
from incidentlog.gui.undo import CreateRecordCommand, UpdateRecordCommand, push_command
from incidentlog.gui.widgets.moments import MomentEdit
from incidentlog.gui.widgets.notices import NoticeBar, report_error
from incidentlog.gui.widgets.places import TimeZoneCombo
from incidentlog.gui.widgets.text import name_field, plain_text_edit, section_header, source_caption
from incidentlog.services import Changes


class _CreateDistinctSourceCommand(CreateRecordCommand):
    """Create a source although its URL is known: the officer said "not a duplicate".

    ``CreateRecordCommand`` calls ``create(record)`` without ``distinct``; this
    is the one place that needs it.
    """

    def do(self) -> Any:
        if self.uid is None:
            outcome = self._service.create(self._record, distinct=True)  # type: ignore[attr-defined]
            self.uid = outcome.record.meta.uid
            return outcome.record
        return self._service.restore(self.uid).record


def _source_summary(source: Source) -> str:
    parts = [source.outlet or source.handle, source.published.display() if source.published
             else None]
    extra = ", ".join(p for p in parts if p)
    return f"“{source_caption(source)}”" + (f" ({extra})" if extra else "")


def _language_edit(parent: QWidget) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setMaxLength(20)
    return edit


class SourceForm(FormBase):
    """Edit one source; embeddable in a pane, a dialog or a full window.

    ``saved(uid)`` means "this form now stands for source ``uid``": after a
    save, and also after "Use the existing source", when nothing was written.
    """

    reused = Signal(str)
    incidentActivated = Signal(str)

    # The inputs, made by ``build_fields`` from ``_declarations()``.
    kind: QComboBox
    title: QLineEdit
    url: QLineEdit
    outlet: QLineEdit
    author: QLineEdit
    handle: QLineEdit
    published: MomentEdit
    published_tz: TimeZoneCombo
    archive_url: QLineEdit
    excerpt: QPlainTextEdit
    language: QLineEdit
    reliability: QComboBox
    sha256: QLineEdit
    notes: QPlainTextEdit

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("sourceForm")
        self.setAccessibleName(self.tr("Source form"))
        self._services = context.services
        self._source: Source | None = None
        self._distinct_url: str | None = None
        self._duplicates: list[Source] = []
        self._saving = False
        self._build()
        context.bus.changed.connect(self._on_changes)
        self.new_source()
        if context.read_only:
            self.set_read_only(True)

    # --- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        self.header = plain_label("", self)  # the record's own words
        self.header.setObjectName("sourceHeader")
        self.header.setWordWrap(True)
        font = self.header.font()
        font.setBold(True)
        self.header.setFont(font)
        self.header.setContentsMargins(6, 4, 6, 0)
        root.addWidget(self.header)
        self.duplicate_notice = NoticeBar(self)
        self.duplicate_notice.setObjectName("duplicateNotice")
        self.duplicate_notice.setAccessibleName(self.tr("Possible duplicate"))
        self.notice = NoticeBar(self)
        root.addWidget(self.duplicate_notice)
        root.addWidget(self.notice)

        self._scroll = scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        content = QWidget(scroll)
        form = QFormLayout(content)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        scroll.setWidget(content)
        root.addWidget(scroll, 1)

        self.build_fields(form, self._declarations())
        self.url.editingFinished.connect(self.check_duplicates)
        self.accessed_now.setAccessibleName(self.tr("Set accessed to now"))
        form.addRow(section_header(self.tr("Cited by"), content))
        self.cited_by = QListWidget(content)
        self.cited_by.setMaximumHeight(110)
        self.cited_by.itemActivated.connect(self._cited_activated)
        name_field(self.cited_by, "citedBy", self.tr("Cited by"))
        form.addRow(self.cited_by)
        form.addRow(section_header(self.tr("Evidence"), content))
        self.evidence = EvidencePanel(self._context, content)
        form.addRow(self.evidence)
        self._build_buttons(root)
        install_drop_target(self, self.evidence)
        order = [
            self.kind, self.title, self.url, self.outlet, self.author, self.handle,
            self.published.edit, self.published.precision, self.published_tz,
            self.accessed_at, self.accessed_now, self.excerpt, self.language,
            self.reliability, self.archive_url, self.sha256, self.notes, self.cited_by,
            self.revert_button, self.save_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    def _declarations(self) -> tuple[Field | Section, ...]:
        tr = self.tr
        return (
            Section(tr("Source")),
            Field("kind", tr("&Kind"), self._kind_combo),
            Field("title", tr("Tit&le"), QLineEdit),
            Field("url", tr("&URL"), QLineEdit, "https://…"),
            Field("outlet", tr("&Outlet"), QLineEdit, tr("e.g. Reuters, CENTCOM")),
            Field("author", tr("&Author"), QLineEdit),
            Field("handle", tr("Handle"), QLineEdit, "@CENTCOM"),
            Section(tr("When")),
            Field("published_at", tr("&Published"), partial(MomentEdit, optional=True),
                  attr="published", precision="published_precision"),
            Field("published_tz", tr("Time &zone"), TimeZoneCombo),
            Field("accessed_at", tr("Accesse&d (UTC)"), self._accessed_row,
                  "2024-01-21T10:00:00Z", attr=None),
            Section(tr("Content")),
            Field("excerpt", tr("E&xcerpt"), partial(plain_text_edit, lines=4),
                  label_on_top=True),
            Field("language", tr("Lan&guage"), _language_edit, tr("e.g. en, ar, fa")),
            Field("reliability", tr("&Reliability"), self._reliability_combo),
            Section(tr("Preservation")),
            Field("archive_url", tr("Ar&chive URL"), QLineEdit, "https://web.archive.org/…"),
            Field("sha256", tr("SHA-&256"), QLineEdit,
                  tr("of a captured copy, if one was recorded")),
            Field("notes", tr("&Notes"), partial(plain_text_edit, lines=3), label_on_top=True),
        )

    def _kind_combo(self, parent: QWidget) -> QComboBox:
        combo = QComboBox(parent)
        for kind in SourceKind:
            combo.addItem(kind.label, kind.value)
        return combo

    def _reliability_combo(self, parent: QWidget) -> QComboBox:
        combo = QComboBox(parent)
        combo.addItem(self.tr("— not graded —"), None)
        for grade in Reliability:
            combo.addItem(grade.label, grade.value)
        return combo

    def _accessed_row(self, parent: QWidget) -> QWidget:
        """The access time and a Now button; the line edit is the row's input."""
        row = QWidget(parent)
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        self.accessed_at = QLineEdit(row)
        self.accessed_now = QPushButton(self.tr("Now"), row)
        self.accessed_now.setAutoDefault(False)
        self.accessed_now.setToolTip(self.tr("Set to the current time (UTC)"))
        self.accessed_now.clicked.connect(
            lambda: self.accessed_at.setText(utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")))
        box.addWidget(self.accessed_at, 1)
        box.addWidget(self.accessed_now)
        row.setFocusProxy(self.accessed_at)
        return row

    def _build_buttons(self, root: QVBoxLayout) -> None:
        self.buttons = QWidget(self)
        buttons = QHBoxLayout(self.buttons)
        buttons.setContentsMargins(6, 4, 6, 6)
        self.revert_button = QPushButton(self.tr("Revert"), self.buttons)
        self.revert_button.setObjectName("revertButton")
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton(self.tr("Save"), self.buttons)
        self.save_button.setObjectName("saveButton")
        self.save_button.setToolTip(self.tr("Save ({0})").format(
            QKeySequence(QKeySequence.StandardKey.Save).toString(
                QKeySequence.SequenceFormat.NativeText)))
        self.save_button.clicked.connect(lambda: self.save())
        buttons.addWidget(self.revert_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        root.addWidget(self.buttons)

    def _edit_buttons(self) -> list[QAbstractButton]:
        return [self.save_button, self.revert_button, self.accessed_now]

    def set_buttons_visible(self, visible: bool) -> None:
        """A dialog that has its own Save/Cancel hides the form's button row."""
        self.buttons.setVisible(visible)

    # --- loading ------------------------------------------------------------------------------

    def uid(self) -> str | None:
        return self._source.uid if self._source else None

    def source(self) -> Source | None:
        """The source as last loaded or saved (None for a new one)."""
        return self._source

    def record_label(self) -> str:
        if self._source is None:
            return self.tr("The new source")
        return self.tr("The source {0}").format(_source_summary(self._source))

    def new_source(self) -> None:
        self._show(None)
        self.title.setFocus(Qt.FocusReason.OtherFocusReason)

    def load(self, uid: str | None) -> None:
        if uid is None:
            self.new_source()
            return
        source = self._services.sources.find(uid)
        if source is None:
            self.new_source()
            self.notice.show_notice(self.tr("That source no longer exists."))
            return
        self._show(source)

    def _show(self, source: Source | None) -> None:
        self._source = source
        self._distinct_url = None
        self._duplicates = []
        record = source or Source(accessed_at=utc_now().strftime("%Y-%m-%dT%H:%M:%SZ"))
        self._loading += 1
        try:
            self.kind.setCurrentIndex(list(SourceKind).index(record.kind))
            self.title.setText(record.title or "")
            self.url.setText(record.url or "")
            self.outlet.setText(record.outlet or "")
            self.author.setText(record.author or "")
            self.handle.setText(record.handle or "")
            self.published.set_moment(record.published, TimePrecision.DAY)
            self.published_tz.set_zone(record.published.tz if record.published else "UTC")
            self.accessed_at.setText(record.accessed_at or "")
            self.archive_url.setText(record.archive_url or "")
            self.excerpt.setPlainText(record.excerpt or "")
            self.language.setText(record.language or "")
            grade = record.reliability
            self.reliability.setCurrentIndex(0 if grade is None else list(Reliability).index(grade)
                                             + 1)
            self.sha256.setText(record.sha256 or "")
            self.notes.setPlainText(record.notes or "")
        finally:
            self._loading -= 1
        self.clear_errors()
        self.duplicate_notice.clear()
        self.notice.clear()
        self._mark_clean()
        self._refresh_cited_by()
        self.evidence.set_source(self.uid())
        self._update_header()
        self._apply_read_only()
        show_from_top(self._scroll)

    def _update_header(self) -> None:
        if self._source is None:
            self.header.setText(self.tr("New source"))
        else:
            self.header.setText(self._source.label)

    def _refresh_cited_by(self) -> None:
        self.cited_by.clear()
        uid = self.uid()
        citing = self._services.sources.citing(uid) if uid else []
        for incident_uid, ref, title in citing:
            item = QListWidgetItem(f"{ref} — {title}", self.cited_by)
            item.setData(Qt.ItemDataRole.UserRole, incident_uid)
        if not citing:
            placeholder = QListWidgetItem(self.tr("No incident cites this source yet."),
                                          self.cited_by)
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)

    def citing_texts(self) -> list[str]:
        """The "REF — title" lines of the incidents that cite this source."""
        return [
            self.cited_by.item(i).text()
            for i in range(self.cited_by.count())
            if self.cited_by.item(i).data(Qt.ItemDataRole.UserRole)
        ]

    def _cited_activated(self, item: QListWidgetItem) -> None:
        uid = item.data(Qt.ItemDataRole.UserRole)
        if uid:
            self.incidentActivated.emit(uid)

    def fill_from_guess(self, guess: CitationGuess) -> None:
        """Prefill from a parsed citation; only what the paste stated is changed."""
        if guess.kind is not None:
            self.kind.setCurrentIndex(list(SourceKind).index(guess.kind))
        for edit, value in (
            (self.title, guess.title), (self.url, guess.url), (self.outlet, guess.outlet),
            (self.author, guess.author), (self.handle, guess.handle),
        ):
            if value:
                edit.setText(value)
        if guess.published is not None:
            self.published.set_moment(guess.published)
            self.published_tz.set_zone(guess.published.tz)
        if guess.excerpt:
            self.excerpt.setPlainText(guess.excerpt)
        self.check_duplicates()

    # --- duplicates ---------------------------------------------------------------------------

    def check_duplicates(self) -> list[Source]:
        """Look the URL up; show the reuse offer when the address is already known."""
        url = self.url.text().strip()
        if not url or url == self._distinct_url or self._read_only:
            self._duplicates = []
            self.duplicate_notice.clear()
            return []
        try:
            found = self._services.sources.duplicates_of(url, except_uid=self.uid())
        except IncidentLogError:
            found = []
        self._duplicates = found
        if not found:
            self.duplicate_notice.clear()
            return []
        existing = found[0]
        text = self.tr("This address is already in the log as {0}.").format(
            _source_summary(existing))
        if self._source is None:
            actions = [
                (self.tr("Use the &existing source"), lambda: self.use_existing(existing.uid)),
                (self.tr("Not a duplicate"), self._not_a_duplicate),
            ]
        else:
            actions = [(self.tr("Not a duplicate"), self._not_a_duplicate)]
        self.duplicate_notice.show_notice(text, actions)
        return found

    def duplicates(self) -> list[Source]:
        return list(self._duplicates)

    def use_existing(self, uid: str | None) -> None:
        """Reuse the known source instead of creating a copy (nothing is written)."""
        if not uid:
            return
        self._show(self._services.sources.get(uid))
        self.reused.emit(uid)
        self.saved.emit(uid)

    def _not_a_duplicate(self) -> None:
        self._distinct_url = self.url.text().strip()
        self._duplicates = []
        self.duplicate_notice.clear()

    # --- saving -------------------------------------------------------------------------------

    def _collect(self) -> tuple[Source, dict[str, str]]:
        errors: dict[str, str] = {}
        published = None
        tz = self.published_tz.zone_name() or "UTC"
        if not self.published_tz.is_valid():
            errors["published_tz"] = self.zone_problem(self.published_tz.zone_name())
            tz = "UTC"
        try:
            published = self.published.moment(tz)
        except ValueError as exc:
            errors["published_at"] = str(exc)
        grade = self.reliability.currentData()
        base = self._source or Source()
        source = replace(
            base,
            kind=SourceKind(self.kind.currentData()),
            title=self.title.text(),
            url=self.url.text(),
            outlet=self.outlet.text(),
            author=self.author.text(),
            handle=self.handle.text(),
            published=published,
            accessed_at=self.accessed_at.text(),
            archive_url=self.archive_url.text(),
            excerpt=self.excerpt.toPlainText(),
            language=self.language.text(),
            reliability=Reliability(grade) if grade else None,
            sha256=self.sha256.text(),
            notes=self.notes.toPlainText(),
        )
        cleaned = clean_source(source)
        return cleaned, {**source_errors(cleaned), **errors}

    def save(self, *, force: bool = False) -> bool:
        """Validate beside the fields, then create or update through the undo stack."""
        if self._effectively_read_only():
            return False
        self.published_tz.resolve()
        source, errors = self._collect()
        if errors:
            self.present_errors(errors)
            return False
        self.clear_errors()
        creating = self._source is None
        if creating:
            distinct = self._distinct_url is not None and self._distinct_url == (source.url or "")
            if not distinct and self.check_duplicates():
                self.duplicate_notice.setFocus()
                buttons = self.duplicate_notice.buttons()
                if buttons:
                    buttons[0].setFocus(Qt.FocusReason.OtherFocusReason)
                return False
            text = self.tr("New source {0}").format(_source_summary(source))
            command: CreateRecordCommand | UpdateRecordCommand = (
                _CreateDistinctSourceCommand(self._services.sources, source, text)
                if distinct else
                CreateRecordCommand(self._services.sources, source, text)
            )
        else:
            assert self._source is not None
            if not self.is_dirty() and not force:
                return True
            before = self._source
            if force:
                before = self._services.sources.find(self._source.uid or "") or before
            command = UpdateRecordCommand(
                self._services.sources, before, source,
                self.tr("Edit source {0}").format(_source_summary(source)), force=force)
        self._saving = True
        try:
            error = push_command(self._context.undo_stack, command)
        finally:
            self._saving = False
        if error is not None:
            self._handle_error(error)
            return False
        stored: Source = command.result
        self._show(stored)
        self.saved.emit(stored.uid or "")
        return True

    def _handle_error(self, error: IncidentLogError) -> None:
        if isinstance(error, ValidationError):
            self.present_errors(error.fields, focus=False)
        elif isinstance(error, ConflictError):
            self._conflict_notice(self.notice, error, self.reload)
        else:
            report_error(self, error, self.tr("Could not save the source"))

    def reload(self) -> None:
        """Show the stored version, dropping unsaved edits."""
        self.load(self.uid())

    def revert(self) -> None:
        self._show(self._source)

    # --- outside changes ----------------------------------------------------------------------

    def _on_changes(self, changes: Changes) -> None:
        uid = self.uid()
        if self._saving or uid is None:
            return
        if changes.incidents or uid in changes.sources:
            self._refresh_cited_by()
        if uid not in changes.sources:
            return
        stored = self._services.sources.find(uid)
        if stored is None or self._source is None:
            return
        if stored.meta.version == self._source.meta.version:
            return
        if not self.is_dirty():
            self._show(stored)
        else:
            self.notice.show_notice(
                self.tr("This source was changed by {0} — your edits are not saved.").format(
                    stored.meta.updated_by or self.tr("someone else")),
                [(self.tr("Reload"), self.reload)],
            )



class SourceDialog(QDialog):
    """A ``SourceForm`` in a dialog, optionally with the note of the incident's link.

    Opened non-modally to the rest of the app (``open()``), so nothing blocks;
    ``source_uid`` and ``note()`` hold the result once it is accepted.
    """

    def __init__(
        self,
        context: AppContext,
        parent: QWidget | None = None,
        *,
        link_to: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sourceDialog")
        self.setWindowTitle(self.tr("Source"))
        self.source_uid: str | None = None
        layout = QVBoxLayout(self)
        self.form = SourceForm(context, self)
        self.form.set_buttons_visible(False)
        # Ctrl+S anywhere in the dialog, the link note included.
        self.form.save_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        layout.addWidget(self.form, 1)
        self.note_edit = QLineEdit(self)
        name_field(self.note_edit, "linkNote")
        if link_to is not None:
            self.note_edit.setPlaceholderText(
                self.tr("what it supports for {0}, e.g. time, casualties").format(link_to))
            row = QFormLayout()
            row.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            label = QLabel(self.tr("Link &note"), self)
            label.setBuddy(self.note_edit)
            row.addRow(label, self.note_edit)
            layout.addWidget(section_header(self.tr("Link to {0}").format(link_to), self))
            layout.addLayout(row)
        else:
            self.note_edit.hide()
        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.button_box.accepted.connect(lambda: self.form.save())
        self.button_box.rejected.connect(self.reject)
        layout.addWidget(self.button_box)
        QWidget.setTabOrder(self.form.notes, self.note_edit)
        self.form.saved.connect(self._saved)
        self.resize(560, 760)

    def note(self) -> str | None:
        return self.note_edit.text().strip() or None

    def _saved(self, uid: str) -> None:
        self.source_uid = uid
        self.accept()

    def reject(self) -> None:
        if self.source_uid is None and not self.form.maybe_leave():
            return
        if self.source_uid is None:
            super().reject()
