"""The quote form: what someone said, who, when, and where it was reported.

A quote may concern one incident or the whole conflict (no incident), and may
name the source that carries it; the source list offers the sources the
incident cites, since that is where a desk officer found the statement.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.enums import TimePrecision
from incidentlog.domain.errors import ConflictError, IncidentLogError, ValidationError
from incidentlog.domain.records import Quote
from incidentlog.domain.validation import clean_quote, quote_errors
from incidentlog.gui.context import AppContext
from incidentlog.gui.forms.base import Field, FormBase, Section
from incidentlog.gui.plain_text import plain_label
from incidentlog.gui.settings import LAST_TIME_ZONE
from incidentlog.gui.undo import CreateRecordCommand, UpdateRecordCommand, push_command
from incidentlog.gui.widgets.completers import IncidentPicker
from incidentlog.gui.widgets.moments import MomentEdit
from incidentlog.gui.widgets.notices import NoticeBar, report_error
from incidentlog.gui.widgets.places import TimeZoneCombo
from incidentlog.gui.widgets.text import plain_text_edit
from incidentlog.services import Changes


def _language_edit(parent: QWidget) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setMaxLength(20)
    return edit


def _source_combo(parent: QWidget) -> QComboBox:
    combo = QComboBox(parent)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(16)
    return combo


class QuoteForm(FormBase):
    """Edit one quote; embeddable in a pane, a dialog or a full window."""

    # The inputs, made by ``build_fields`` from ``_declarations()``.
    text: QPlainTextEdit
    speaker: QLineEdit
    speaker_role: QLineEdit
    speaker_org: QLineEdit
    said: MomentEdit
    said_tz: TimeZoneCombo
    language: QLineEdit
    context_edit: QPlainTextEdit
    incident: IncidentPicker
    source: QComboBox

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("quoteForm")
        self.setAccessibleName(self.tr("Quote form"))
        self._services = context.services
        self._quote: Quote | None = None
        self._saving = False
        self._build()
        context.bus.changed.connect(self._on_changes)
        self.new_quote()
        if context.read_only:
            self.set_read_only(True)

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        self.header = plain_label("", self)  # the record's own words
        self.header.setObjectName("quoteHeader")
        self.header.setWordWrap(True)
        font = self.header.font()
        font.setBold(True)
        self.header.setFont(font)
        self.header.setContentsMargins(6, 4, 6, 0)
        root.addWidget(self.header)
        self.notice = NoticeBar(self)
        root.addWidget(self.notice)

        scroll = QScrollArea(self)
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
        self.incident.changed.connect(self._incident_changed)
        self._build_buttons(root)
        order = [
            self.text, self.speaker, self.speaker_role, self.speaker_org, self.said.edit,
            self.said.precision, self.said_tz, self.language, self.context_edit, self.incident,
            self.source, self.revert_button, self.save_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    def _declarations(self) -> tuple[Field | Section, ...]:
        tr = self.tr
        return (
            Section(tr("Statement")),
            Field("text", tr("Te&xt"), partial(plain_text_edit, lines=5),
                  tr("The words as reported, without quotation marks"), label_on_top=True),
            Field("speaker", tr("S&peaker"), QLineEdit,
                  tr("e.g. U.S. Central Command, Joe Biden")),
            Field("speaker_role", tr("&Role"), QLineEdit,
                  tr("e.g. President of the United States")),
            Field("speaker_org", tr("&Organisation"), QLineEdit),
            Section(tr("When")),
            Field("said_at", tr("S&aid"), partial(MomentEdit, optional=True), attr="said",
                  precision="said_precision"),
            Field("said_tz", tr("Time &zone"), TimeZoneCombo),
            Section(tr("Context")),
            Field("language", tr("&Language"), _language_edit, tr("e.g. en, ar, fa")),
            Field("context", tr("&Context"), partial(plain_text_edit, lines=3),
                  tr("Where and why it was said"), attr="context_edit", label_on_top=True),
            Field("incident", tr("I&ncident"), partial(IncidentPicker, self._services)),
            Field("source", tr("So&urce"), _source_combo),
        )

    def _build_buttons(self, root: QVBoxLayout) -> None:
        self.buttons = QWidget(self)
        buttons = QHBoxLayout(self.buttons)
        buttons.setContentsMargins(6, 4, 6, 6)
        self.revert_button = QPushButton(self.tr("Revert"), self.buttons)
        self.revert_button.setObjectName("revertButton")
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton(self.tr("Save"), self.buttons)
        self.save_button.setObjectName("saveButton")
        self.save_button.clicked.connect(lambda: self.save())
        buttons.addWidget(self.revert_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        root.addWidget(self.buttons)

    def _edit_buttons(self) -> list[QAbstractButton]:
        return [self.save_button, self.revert_button]

    def set_buttons_visible(self, visible: bool) -> None:
        self.buttons.setVisible(visible)

    # --- loading ------------------------------------------------------------------------------

    def uid(self) -> str | None:
        return self._quote.uid if self._quote else None

    def quote(self) -> Quote | None:
        return self._quote

    def record_label(self) -> str:
        if self._quote is None:
            return self.tr("The new quote")
        return self.tr("The quote {0}").format(self._quote.label)

    def new_quote(self, incident_uid: str | None = None) -> None:
        self._show(Quote(incident_uid=incident_uid), new=True)
        self.text.setFocus(Qt.FocusReason.OtherFocusReason)

    def load(self, uid: str | None) -> None:
        if uid is None:
            self.new_quote()
            return
        quote = self._services.quotes.find(uid)
        if quote is None:
            self.new_quote()
            self.notice.show_notice(self.tr("That quote no longer exists."))
            return
        self._show(quote)

    def _default_tz(self, incident_uid: str | None) -> str:
        incident = self._services.incidents.find(incident_uid) if incident_uid else None
        if incident is not None and incident.occurred is not None:
            return incident.occurred.tz
        return self._context.settings.get(LAST_TIME_ZONE)

    def _show(self, quote: Quote, *, new: bool = False) -> None:
        self._quote = None if new else quote
        self._loading += 1
        try:
            self.text.setPlainText(quote.text or "")
            self.speaker.setText(quote.speaker or "")
            self.speaker_role.setText(quote.speaker_role or "")
            self.speaker_org.setText(quote.speaker_org or "")
            self.said.set_moment(quote.said, TimePrecision.DAY)
            self.said_tz.set_zone(quote.said.tz if quote.said else
                                  self._default_tz(quote.incident_uid))
            self.language.setText(quote.language or "")
            self.context_edit.setPlainText(quote.context or "")
            self.incident.set_uid(quote.incident_uid)
            self._fill_sources(quote.incident_uid, quote.source_uid)
        finally:
            self._loading -= 1
        self.clear_errors()
        self.notice.clear()
        self._mark_clean()
        self.header.setText(self.tr("New quote") if self._quote is None else quote.label)
        self._apply_read_only()

    def _fill_sources(self, incident_uid: str | None, keep: str | None) -> None:
        """The sources the incident cites, plus the quote's own source if it is elsewhere."""
        self.source.blockSignals(True)
        try:
            self.source.clear()
            self.source.addItem(self.tr("— none —"), None)
            uids = [link.source_uid for link in
                    self._services.incidents.links(incident_uid)] if incident_uid else []
            if keep and keep not in uids:
                uids.append(keep)
            for uid in uids:
                source = self._services.sources.find(uid)
                if source is not None:
                    self.source.addItem(source.label, uid)
            index = self.source.findData(keep) if keep else 0
            self.source.setCurrentIndex(max(index, 0))
        finally:
            self.source.blockSignals(False)

    def _incident_changed(self) -> None:
        self._fill_sources(self.incident.uid(), self.source.currentData())
        self._edited()

    # --- saving -------------------------------------------------------------------------------

    def _collect(self) -> tuple[Quote, dict[str, str]]:
        errors: dict[str, str] = {}
        tz = self.said_tz.zone_name() or "UTC"
        if not self.said_tz.is_valid():
            errors["said_tz"] = self.zone_problem(self.said_tz.zone_name())
            tz = "UTC"
        said = None
        try:
            said = self.said.moment(tz, self._quote.said.approximate
                                    if self._quote and self._quote.said else False)
        except ValueError as exc:
            errors["said_at"] = str(exc)
        if not self.incident.is_valid():
            errors["incident"] = self.tr("no incident has the ref “{0}”; type a ref or words "
                                         "of a title and pick one").format(
                                             self.incident.text().strip())
        base = self._quote or Quote()
        quote = replace(
            base,
            text=self.text.toPlainText(),
            speaker=self.speaker.text(),
            speaker_role=self.speaker_role.text(),
            speaker_org=self.speaker_org.text(),
            said=said,
            language=self.language.text(),
            context=self.context_edit.toPlainText(),
            incident_uid=self.incident.uid(),
            source_uid=self.source.currentData(),
        )
        cleaned = clean_quote(quote)
        return cleaned, {**quote_errors(cleaned), **errors}

    def save(self, *, force: bool = False) -> bool:
        if self._effectively_read_only():
            return False
        self.said_tz.resolve()
        self.incident.resolve()
        quote, errors = self._collect()
        if errors:
            self.present_errors(errors)
            return False
        self.clear_errors()
        if self._quote is None:
            command: CreateRecordCommand | UpdateRecordCommand = CreateRecordCommand(
                self._services.quotes, quote, self.tr("New quote {0}").format(quote.label))
        else:
            if not self.is_dirty() and not force:
                return True
            before = self._quote
            if force:
                before = self._services.quotes.find(self._quote.uid or "") or before
            command = UpdateRecordCommand(self._services.quotes, before, quote,
                                          self.tr("Edit quote {0}").format(quote.label),
                                          force=force)
        self._saving = True
        try:
            error = push_command(self._context.undo_stack, command)
        finally:
            self._saving = False
        if error is not None:
            self._handle_error(error)
            return False
        stored: Quote = command.result
        if stored.said is not None:
            self._context.settings.set(LAST_TIME_ZONE, stored.said.tz)
        self._show(stored)
        self.saved.emit(stored.uid or "")
        return True

    def _handle_error(self, error: IncidentLogError) -> None:
        if isinstance(error, ValidationError):
            self.present_errors(error.fields, focus=False)
        elif isinstance(error, ConflictError):
            self._conflict_notice(self.notice, error, self.reload)
        else:
            report_error(self, error, self.tr("Could not save the quote"))

    def reload(self) -> None:
        self.load(self.uid())

    def revert(self) -> None:
        if self._quote is None:
            self._show(Quote(incident_uid=self.incident.uid()), new=True)
        else:
            self._show(self._quote)

    def _on_changes(self, changes: Changes) -> None:
        uid = self.uid()
        if self._saving or uid is None or self._quote is None or uid not in changes.quotes:
            return
        stored = self._services.quotes.find(uid)
        if stored is None or stored.meta.version == self._quote.meta.version:
            return
        if not self.is_dirty():
            self._show(stored)
        else:
            self.notice.show_notice(
                self.tr("This quote was changed by {0} — your edits are not saved.").format(
                    stored.meta.updated_by or self.tr("someone else")),
                [(self.tr("Reload"), self.reload)],
            )



class QuoteDialog(QDialog):
    """A ``QuoteForm`` in a dialog (Save / Cancel), opened with ``open()``."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quoteDialog")
        self.setWindowTitle(self.tr("Quote"))
        self.quote_uid: str | None = None
        layout = QVBoxLayout(self)
        self.form = QuoteForm(context, self)
        self.form.set_buttons_visible(False)
        self.form.save_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        layout.addWidget(self.form, 1)
        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.button_box.accepted.connect(lambda: self.form.save())
        self.button_box.rejected.connect(self.reject)
        layout.addWidget(self.button_box)
        self.form.saved.connect(self._saved)
        self.resize(540, 640)

    def _saved(self, uid: str) -> None:
        self.quote_uid = uid
        self.accept()

    def reject(self) -> None:
        if self.quote_uid is None and not self.form.maybe_leave():
            return
        if self.quote_uid is None:
            super().reject()
