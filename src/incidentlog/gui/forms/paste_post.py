"""Paste a whole post: one dialog, then a source, a quote and the link in one undoable step.

See docs/entering-incidents.md, "Paste a post". The clipboard's HTML is read
when it has some (a browser copies an embed's ``blockquote``), else its text;
``parse_citation`` fills what the paste states and the officer checks the rest.
A source whose normalized URL is already in the log is reused, never duplicated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.citation import CitationGuess, parse_citation
from incidentlog.domain.enums import SourceKind, TimePrecision
from incidentlog.domain.errors import ValidationError
from incidentlog.domain.pasted_html import text_of_clipboard_html
from incidentlog.domain.records import Quote, Source
from incidentlog.domain.validation import checked_quote, checked_source
from incidentlog.domain.when import Moment
from incidentlog.gui.plain_text import plain_label, warning
from incidentlog.gui.undo import ServiceCommand
from incidentlog.gui.widgets.moments import MomentEdit
from incidentlog.services import Services

_URL = re.compile(r"https?://\S+", re.IGNORECASE)

__all__ = ["PastePostCommand", "PastePostDialog", "clipboard_post_text"]


def clipboard_post_text() -> str:
    """What the clipboard holds as text: its HTML read as a post when it has some."""
    data = QGuiApplication.clipboard().mimeData()
    if data.hasHtml():
        text = text_of_clipboard_html(data.html())
        if text.strip():
            return text
    return QGuiApplication.clipboard().text()


def _moment_edit(moment: Moment | None, parent: QWidget) -> MomentEdit:
    edit = MomentEdit(parent, optional=True)
    edit.set_moment(moment, default=TimePrecision.DAY)
    return edit


def _text(edit: QLineEdit | QPlainTextEdit) -> str | None:
    value = edit.toPlainText() if isinstance(edit, QPlainTextEdit) else edit.text()
    return value.strip() or None


@dataclass(frozen=True)
class PastedPost:
    """What the dialog's OK stands for: the source (``existing_uid`` when reused) and the quote."""

    source: Source
    existing_uid: str | None
    quote: Quote


class PastePostDialog(QDialog):
    """Every field of the source and of the quote, prefilled from the paste and editable."""

    def __init__(self, services: Services, incident_uid: str, text: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pastePostDialog")
        self.setWindowTitle(self.tr("Paste post"))
        self._services = services
        self._incident = incident_uid
        guess = parse_citation(text)
        self._tz = guess.published.tz if guess.published else "UTC"
        self.existing: Source | None = next(iter(services.sources.duplicates_of(guess.url)), None)
        layout = QVBoxLayout(self)
        layout.addWidget(self._source_box(guess))
        layout.addWidget(self._quote_box(guess, text))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.accept_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self._accept_if_valid)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        # Ctrl+S accepts, as in every other dialog of the form; Enter cannot while the
        # cursor is in the quote's text.
        self.save_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self)
        self.save_shortcut.activated.connect(self._accept_if_valid)
        self.result_post: PastedPost | None = None

    def _source_box(self, guess: CitationGuess) -> QGroupBox:
        """The source's fields, prefilled; disabled when the log already holds it."""
        source_box = QGroupBox(self.tr("Source"), self)
        form = QFormLayout(source_box)
        self.kind = QComboBox(source_box)
        for kind in SourceKind:
            self.kind.addItem(kind.label, kind.value)
        kind = guess.kind or SourceKind.ARTICLE
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind.value)))
        self.title = QLineEdit(guess.title or "", source_box)
        self.outlet = QLineEdit(guess.outlet or "", source_box)
        self.author = QLineEdit(guess.author or guess.outlet or "", source_box)
        self.handle = QLineEdit(guess.handle or "", source_box)
        self.published = _moment_edit(guess.published, source_box)
        self.url = QLineEdit(guess.url or "", source_box)
        for label, widget, name in (
            (self.tr("&Kind"), self.kind, "pasteKind"),
            (self.tr("&Title"), self.title, "pasteTitle"),
            (self.tr("&Outlet"), self.outlet, "pasteOutlet"),
            (self.tr("&Author"), self.author, "pasteAuthor"),
            (self.tr("&Handle"), self.handle, "pasteHandle"),
            (self.tr("&Published"), self.published, "pastePublished"),
            (self.tr("&URL"), self.url, "pasteUrl"),
        ):
            widget.setObjectName(name)
            widget.setAccessibleName(label.replace("&", ""))
            form.addRow(label, widget)
        self.reuse_note = plain_label("", source_box)
        self.reuse_note.setObjectName("pasteReuseNote")
        if self.existing is not None:
            self.reuse_note.setText(self.tr("Source already in the log: {0}. It is reused "
                                            "as it is.").format(self.existing.label))
            for widget in (self.kind, self.title, self.outlet, self.author, self.handle,
                           self.published, self.url):
                widget.setEnabled(False)
        self.reuse_note.setVisible(self.existing is not None)
        self.reuse_note.setWordWrap(True)
        form.addRow(self.reuse_note)
        return source_box

    def _quote_box(self, guess: CitationGuess, text: str) -> QGroupBox:
        """The quote's fields: the post's text, said by its author on its date."""
        quote_box = QGroupBox(self.tr("Quote"), self)
        quote_form = QFormLayout(quote_box)
        self.quote_text = QPlainTextEdit(quote_box)
        self.quote_text.setPlainText(guess.excerpt or _without_urls(text))
        self.speaker = QLineEdit((guess.outlet or "") if guess.handle else "", quote_box)
        self.said = _moment_edit(guess.published, quote_box)
        quote_fields: tuple[tuple[str, QWidget, str], ...] = (
            (self.tr("Te&xt"), self.quote_text, "pasteQuoteText"),
            (self.tr("&Speaker"), self.speaker, "pasteSpeaker"),
            (self.tr("Sa&id"), self.said, "pasteSaid"),
        )
        for quote_label, field, field_name in quote_fields:
            field.setObjectName(field_name)
            field.setAccessibleName(quote_label.replace("&", ""))
            quote_form.addRow(quote_label, field)
        self.missing_note = plain_label(self._missing(guess), quote_box)
        self.missing_note.setObjectName("pasteMissingNote")
        self.missing_note.setWordWrap(True)
        quote_form.addRow(self.missing_note)
        return quote_box

    def _missing(self, guess: CitationGuess) -> str:
        missing = []
        if not guess.handle:
            missing.append(self.tr("who said it (not a post: fill the speaker)"))
        if not guess.url:
            missing.append(self.tr("the URL"))
        if guess.published is None:
            missing.append(self.tr("the date"))
        return self.tr("Missing: {0}.").format("; ".join(missing)) if missing else ""

    def _moment(self, edit: MomentEdit, what: str) -> Moment | None:
        try:
            return edit.moment(self._tz)
        except ValueError as exc:
            raise ValueError(f"{what}: {exc}") from exc

    def post(self) -> PastedPost:
        """The records OK stands for; raises ``ValueError`` on a date that cannot be read."""
        source = Source(kind=SourceKind(self.kind.currentData()), title=_text(self.title),
                        url=_text(self.url),
                        outlet=_text(self.outlet), author=_text(self.author),
                        handle=_text(self.handle),
                        published=self._moment(self.published, self.tr("Published")),
                        excerpt=_text(self.quote_text))
        quote = Quote(text=_text(self.quote_text), speaker=_text(self.speaker),
                      said=self._moment(self.said, self.tr("Said")),
                      incident_uid=self._incident)
        existing = self.existing.uid if self.existing is not None else None
        return PastedPost(source, existing, quote)

    def _accept_if_valid(self) -> None:
        """Accept only what can be stored, so the officer corrects it here."""
        try:
            post = self.post()
            checked_quote(post.quote)
            if post.existing_uid is None:
                checked_source(post.source)
        except (ValueError, ValidationError) as exc:
            warning(self, self.tr("Paste post"), str(exc))
            return
        self.result_post = post
        self.accept()


class PastePostCommand(ServiceCommand):
    """Create the source (unless reused), the quote it carries, and the incident's link to it."""

    def __init__(self, services: Services, incident_uid: str, post: PastedPost,
                 text: str) -> None:
        super().__init__(text)
        self._services = services
        self._incident = incident_uid
        self._post = post
        self._created_source: str | None = None
        self.source_uid: str | None = post.existing_uid
        self.quote_uid: str | None = None
        linked = {link.source_uid for link in services.incidents.links(incident_uid)}
        self._was_linked = post.existing_uid in linked

    def do(self) -> Any:
        sources, quotes = self._services.sources, self._services.quotes
        if self.quote_uid is None:  # first run
            # Checked first, so a quote that cannot be stored leaves no orphan source.
            checked_quote(self._post.quote)
            if self.source_uid is None:
                outcome = sources.create(self._post.source)
                self.source_uid = outcome.record.meta.uid
                if not getattr(outcome, "reused", False):
                    self._created_source = self.source_uid
            quote = quotes.create(_with_source(self._post.quote, self.source_uid)).record
            self.quote_uid = quote.meta.uid
        else:
            if self._created_source is not None:
                sources.restore(self._created_source)
            quotes.restore(self.quote_uid)
        assert self.source_uid is not None
        if not self._was_linked:
            self._services.incidents.link_source(self._incident, self.source_uid, None)
        return self.quote_uid

    def undo_action(self) -> Any:
        assert self.quote_uid is not None and self.source_uid is not None
        self._services.quotes.delete(self.quote_uid)
        if not self._was_linked:
            self._services.incidents.unlink_source(self._incident, self.source_uid)
        if self._created_source is not None:
            self._services.sources.delete(self._created_source)
        return self.quote_uid


def _without_urls(text: str) -> str:
    """A pasted paragraph as the quote's text: its links are the source's, not the words."""
    return " ".join(_URL.sub(" ", text).split())


def _with_source(quote: Quote, source_uid: str | None) -> Quote:
    return replace(quote, source_uid=source_uid)

