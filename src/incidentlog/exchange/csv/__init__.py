"""The CSV export: ``columns`` says what each cell is, ``export`` writes the files."""

from __future__ import annotations

from incidentlog.exchange.csv.columns import neutralize
from incidentlog.exchange.csv.export import CSV_FILES, export_csv

__all__ = ["CSV_FILES", "export_csv", "neutralize"]
