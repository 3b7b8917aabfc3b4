"""The quotes view: every quote, searchable and sorted in SQL, with its form beside it.

A quote may concern one incident (the form links it) or the whole conflict;
the table shows who said what and when, the full text in the tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from incidentlog.domain.columns import QUOTE_COLUMNS, Column
from incidentlog.domain.query import Sort
from incidentlog.domain.records import Quote
from incidentlog.gui.context import AppContext
from incidentlog.gui.forms.quote_form import QuoteForm
from incidentlog.gui.record_browser import (
    RecordBrowser,
    TextFilteredModel,
    translator,
)
from incidentlog.gui.workers import TaskRunner
from incidentlog.services import Changes, Services

QUOTE_HELP = {
    "said": "When it was said, in its local time; the tooltip gives UTC",
    "text": "What was said, word for word; the tooltip shows all of it",
}
QUOTE_WIDTHS = {"speaker": 150, "speaker_role": 200, "speaker_org": 150, "text": 380,
                "said": 105, "context": 200}
QUOTE_HIDDEN = ("language", "context", "speaker_org")
QUOTE_ORDER = ("said", "speaker", "text", "speaker_role", "speaker_org")


class QuoteTableModel(TextFilteredModel):
    """Quotes matching a text filter, in SQL order, loaded a page at a time."""

    context_name = "QuoteTableModel"

    def __init__(self, services: Services, sort: Sort = Sort("said_at", descending=True),
                 parent: Any = None, columns: Sequence[Column[Quote]] = QUOTE_COLUMNS, *,
                 runner: TaskRunner | None = None, load: bool = True) -> None:
        super().__init__(services.quote_query, services.quotes.find, columns, sort, parent,
                         descriptions=QUOTE_HELP, runner=runner, load=load)

    def handle_changes(self, changes: Changes) -> None:
        everything = not (changes.incidents or changes.sources or changes.quotes
                          or changes.periods)  # an import: anything may have changed
        if changes.rows_changed and (changes.quotes or everything):
            self.reload_rows()
        elif changes.quotes:
            self.refresh(changes.quotes)

    def cell(self, column: Column[Any], record: Any, role: int) -> Any:
        quote: Quote = record
        if role == Qt.ItemDataRole.ToolTipRole:
            if column.key == "said" and quote.said is not None:
                return f"{quote.said.utc_text} UTC ({quote.said.precision.label})"
            if column.key in ("text", "context"):
                return column.text(quote) or None
            return None
        if role == Qt.ItemDataRole.DisplayRole and column.key == "text":
            return " ".join((quote.text or "").split())  # one line in the table
        return super().cell(column, record, role)


class QuotesView(RecordBrowser):
    """Table of quotes (``quoteTable``) beside the quote form."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        tr = translator("QuotesView")
        model = QuoteTableModel(context.services, runner=context.runner, load=False)
        super().__init__(context, model, name="quote", accessible=tr("Quotes"),
                         search_hint=tr("Search text, speaker, role, organisation…"),
                         form=QuoteForm(context), header_widths=QUOTE_WIDTHS,
                         hidden=QUOTE_HIDDEN, order=QUOTE_ORDER, fill="text",
                         parent=parent)
        self.setObjectName("quotesView")
        self.setAccessibleName(self.tr("Quotes view"))
        context.bus.changed.connect(model.handle_changes)

    def new_record(self) -> None:
        if not self._form_call("maybe_leave", default=True):
            return
        self.table.selectionModel().clearCurrentIndex()
        self._current = None
        self._form_call("new_quote")
        self._focus_form()
