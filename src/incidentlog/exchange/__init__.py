"""Exchange: CSV and JSON export, JSON import (docs/formats.md, docs/architecture.md).

Exports stream from one read transaction and appear atomically; imports are
validated whole before one write transaction merges them. Long work takes a
``progress(done, total)`` callback and a ``cancel()`` predicate so that the
GUI can run it on a worker thread with a progress bar and a cancel button.
"""

from __future__ import annotations

from incidentlog.exchange.csv import CSV_FILES, export_csv, neutralize
from incidentlog.exchange.json import export_json, export_schema, import_json, validate_document
from incidentlog.exchange.reports import Cancel, ExportReport, ImportReport, KindCounts, Progress

__all__ = [
    "CSV_FILES",
    "Cancel",
    "ExportReport",
    "ImportReport",
    "KindCounts",
    "Progress",
    "export_csv",
    "export_json",
    "export_schema",
    "import_json",
    "neutralize",
    "validate_document",
]
