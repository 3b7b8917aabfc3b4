"""Tables in: CSV and spreadsheets (.xlsx, .ods) read through a column mapping (docs/formats.md).

- ``mapping``: which column is which field, and how to read it; saved as JSON;
- ``reading``: the table streamed row by row, its encoding detected;
- ``dates``: dates and times as tables write them;
- ``guess``: a mapping guessed from the headers (English, Arabic) and the content;
- ``builtin``: the mappings of incidentlog's own CSV export and of ACLED;
- ``rows``: one row made the JSON format's records, checked by the same rules;
- ``importing``: the preview, and the import through ``import_json``.
"""

from __future__ import annotations

from incidentlog.exchange.tabular.builtin import BUILTIN_MAPPINGS, builtin_mapping
from incidentlog.exchange.tabular.guess import guess_mapping
from incidentlog.exchange.tabular.importing import Preview, import_table, preview_table
from incidentlog.exchange.tabular.mapping import (
    FIELD_LABELS,
    FIELDS,
    ColumnMapping,
    load_mapping,
    save_mapping,
)

__all__ = [
    "BUILTIN_MAPPINGS",
    "FIELDS",
    "FIELD_LABELS",
    "ColumnMapping",
    "Preview",
    "builtin_mapping",
    "guess_mapping",
    "import_table",
    "load_mapping",
    "preview_table",
    "save_mapping",
]
