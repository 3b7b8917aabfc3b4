"""The sources view: every source, searchable and sorted in SQL, with its form beside it.

A source shows which incidents cite it (its ``SourceForm`` lists them), and
deleting a cited source says so first (``DeleteWorkflow.delete_sources`` in
``gui/workflows/delete.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QWidget

from incidentlog.domain.columns import SOURCE_COLUMNS, Column
from incidentlog.domain.evidence import OwnerKind
from incidentlog.domain.query import Sort
from incidentlog.domain.records import Source
from incidentlog.gui.context import AppContext
from incidentlog.gui.forms.source_form import SourceForm
from incidentlog.gui.record_browser import (
    RecordBrowser,
    TextFilteredModel,
    translator,
)
from incidentlog.gui.workers import TaskRunner
from incidentlog.services import Changes, Services

#: Reliability A (completely reliable) … E (unreliable) green to red; F grey.
RELIABILITY_COLOURS = {"A": "#15803d", "B": "#65a30d", "C": "#ca8a04", "D": "#ea580c",
                       "E": "#dc2626", "F": "#9ca3af"}

SOURCE_HELP = {
    "reliability": "Source reliability on the Admiralty scale: A completely reliable … "
                   "E unreliable, F cannot be judged",
    "published": "When it was published, in its local time; the tooltip gives UTC",
    "url": "Where it was found; the same normalized URL is never stored twice",
}
SOURCE_WIDTHS = {"kind": 90, "title": 290, "outlet": 125, "handle": 110, "published": 100,
                 "url": 260, "reliability": 150, "author": 130}
SOURCE_HIDDEN = ("author", "language", "excerpt", "archive_url", "accessed_at", "sha256",
                 "notes", "url")
SOURCE_ORDER = ("published", "kind", "title", "outlet", "handle", "reliability", "files",
                "captured", "url")
#: The window's own columns (not exported): how many files and captured pages a source
#: holds, read from the evidence store's rows (docs/evidence.md).
EVIDENCE_COLUMNS: tuple[Column[Source], ...] = (
    Column("files", "Files", lambda _s: "", None, numeric=True),
    Column("captured", "Captured", lambda _s: "", None, numeric=True),
)
SOURCE_HELP.update({
    "files": "Files kept with the source (screenshots, PDFs, video…), each under its SHA-256",
    "captured": "Copies of the page captured by incidentlog (WARC)",
})


class SourceTableModel(TextFilteredModel):
    """Sources matching a text filter, in SQL order, loaded a page at a time."""

    context_name = "SourceTableModel"

    def __init__(self, services: Services, sort: Sort = Sort("published_at", descending=True),
                 parent: Any = None,
                 columns: Sequence[Column[Source]] = (*SOURCE_COLUMNS, *EVIDENCE_COLUMNS), *,
                 runner: TaskRunner | None = None, load: bool = True) -> None:
        super().__init__(services.source_query, services.sources.find, columns, sort, parent,
                         descriptions=SOURCE_HELP, runner=runner, load=load)
        self._evidence_counts = services.evidence.counts
        self._counts: dict[str, tuple[int, int]] = {}

    def evidence_of(self, uid: str) -> tuple[int, int]:
        """(files, captures) of one source, read once and kept until it changes."""
        if uid not in self._counts:
            self._counts[uid] = self._evidence_counts(OwnerKind.SOURCE, [uid]).get(uid, (0, 0))
        return self._counts[uid]

    def handle_changes(self, changes: Changes) -> None:
        everything = not (changes.incidents or changes.sources or changes.quotes
                          or changes.periods)  # an import: anything may have changed
        for uid in changes.sources:
            self._counts.pop(uid, None)
        if everything:
            self._counts.clear()
        if changes.rows_changed and (changes.sources or everything):
            self.reload_rows()
        elif changes.sources:
            self.refresh(changes.sources)

    def cell(self, column: Column[Any], record: Any, role: int) -> Any:
        source: Source = record
        key = column.key
        if key in ("files", "captured") and role == Qt.ItemDataRole.DisplayRole:
            files, captures = self.evidence_of(source.meta.uid or "")
            count = files if key == "files" else captures
            return str(count) if count else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "published" and source.published is not None:
                return f"{source.published.utc_text} UTC ({source.published.precision.label})"
            if key in ("url", "title", "excerpt", "notes"):
                return column.text(source) or None
            return None
        if role == Qt.ItemDataRole.DecorationRole and key == "reliability" and source.reliability:
            return QColor(RELIABILITY_COLOURS[source.reliability.value])
        if role == Qt.ItemDataRole.ForegroundRole and key == "url":
            return QBrush(QColor("#1d4ed8"))
        return super().cell(column, record, role)


class SourcesView(RecordBrowser):
    """Table of sources (``sourceTable``) beside the source form."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        model = SourceTableModel(context.services, runner=context.runner, load=False)
        form = SourceForm(context)
        tr = translator("SourcesView")
        super().__init__(context, model, name="source", accessible=tr("Sources"),
                         search_hint=tr("Search title, outlet, URL, handle, excerpt…"),
                         form=form, header_widths=SOURCE_WIDTHS, hidden=SOURCE_HIDDEN,
                         order=SOURCE_ORDER, fill="title", parent=parent)
        self.setObjectName("sourcesView")
        self.setAccessibleName(self.tr("Sources view"))
        context.bus.changed.connect(model.handle_changes)

    def new_record(self) -> None:
        if not self._form_call("maybe_leave", default=True):
            return
        self.table.selectionModel().clearCurrentIndex()
        self._current = None
        self._form_call("new_source")
        self._focus_form()
