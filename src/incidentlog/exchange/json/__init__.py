"""The JSON exchange format: export, validation and merging import (docs/formats.md).

The document is ``{"format": "incidentlog", "version": 1, "exported_at", "incidents",
"sources", "quotes", "periods", "saved_views", "comments", "verdicts"}`` (the last four
are optional: older exports lack them), valid
against ``resources/schema/incidentlog-export-1.schema.json``. Export → import into an
empty database → export gives the same document.

One module per job:

- ``schema``: the format's constants, its JSON Schema, and the wording of what a
  record or the document's head does wrong by it;
- ``export``: writing the document (``export_json``);
- ``reader``: the streaming parse that refuses a broken file with its line and column;
- ``records``: one JSON record made a checked domain record, and the values the write
  pass needs;
- ``check``: pass 1 of an import, the whole file validated before anything is written
  (``validate_document``);
- ``review_records``: comments and verdicts as records, both ways;
- ``rules``, ``merge`` and ``merge_review``: pass 2, the merge into the database in one transaction
  (``import_json``).

Every failure of an import is an ``ExchangeError`` (or ``Cancelled``) whose message
says where: the file, the line or the record, the field. (Named ``json`` inside
``incidentlog.exchange``; every import is absolute, so ``import json`` still means
the standard library's everywhere.)
"""

from __future__ import annotations

from incidentlog.exchange.json.check import validate_document
from incidentlog.exchange.json.export import export_json
from incidentlog.exchange.json.importing import import_json
from incidentlog.exchange.json.schema import FORMAT, VERSION, export_schema

__all__ = ["FORMAT", "VERSION", "export_json", "export_schema", "import_json", "validate_document"]
