"""What a file given to ``import`` looks like, judged from its first bytes, if not JSON.

``import`` reads a JSON export (or, with ``--mapping``, a table:
``exchange.tabular``). Given the CSV export instead (the commonest
mistake), a spreadsheet, a web page or a database, the JSON reader can only
say "line 1, column 1: unexpected character". A look at the first few
kilobytes names the kind of file instead, without reading the rest of a file
that may be large; anything that may be JSON is left to the JSON reader,
whose messages say what is wrong inside it.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from incidentlog.domain.errors import ExchangeError

#: How much of the file is looked at: enough for a CSV header or an HTML head.
SNIFF_BYTES = 4096

#: Files recognised by their first bytes.
_SIGNATURES = (
    (b"SQLite format 3\x00", "an SQLite database (a backup is put back with "
     "'incidentlog restore', not imported)"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or a document such as .xlsx, .docx or .ods)"),
    (b"\x1f\x8b", "a gzip-compressed file (uncompress it first)"),
)

#: Text in an encoding other than UTF-8: left to the JSON reader to judge.
_OTHER_ENCODINGS = (
    codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE
)

#: How a JSON document can begin: an object, an array, a string, a number, a literal.
_JSON_START = re.compile(r'[{\["\-0-9]|(?:true|false|null)\b')

_CSV_SEPARATORS = (",", ";", "\t")


def what_it_looks_like(path: Path) -> str | None:
    """``"a CSV file"``, ``"a PDF document"``…, or None if ``path`` may be JSON."""
    with path.open("rb") as handle:
        start = handle.read(SNIFF_BYTES)
        whole = len(start) < SNIFF_BYTES or not handle.read(1)
    kind = next((kind for magic, kind in _SIGNATURES if start.startswith(magic)), None)
    if kind is not None or start.startswith(_OTHER_ENCODINGS):
        return kind
    text = start.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace").lstrip()
    if not text:
        return "an empty file" if whole else None
    if _JSON_START.match(text):
        return None
    if "\x00" in text:
        return "a binary file"
    if text.startswith("<"):
        head = text[:1024].lower()
        if head.startswith("<?xml") and "<html" not in head:
            return "an XML document"
        return "a web page (HTML)"
    first_line = text.splitlines()[0].rstrip()
    if any(sep in first_line for sep in _CSV_SEPARATORS) and not first_line.endswith(
        (".", "!", "?")
    ):
        return "a CSV file"
    return "text that is not JSON"


def refuse_unless_json(file: Path) -> None:
    """Raise ``ExchangeError`` with a sentence if ``file`` is plainly not a JSON export."""
    kind = what_it_looks_like(file)
    if kind is not None:
        table = kind.startswith(("a CSV file", "a ZIP archive"))
        raise ExchangeError(
            "import reads a JSON export of incidentlog (written by 'incidentlog export "
            f"--format json' or File ▸ Export…); {file} looks like {kind}."
            + (TABLE_HINT if table else "") + " Nothing was imported."
        )


#: What to do with a table given without a column mapping.
TABLE_HINT = (
    " A table (CSV, .xlsx, .ods) is imported through a mapping of its headers to fields:"
    " --mapping incidentlog"
    " (incidentlog's own incidents.csv), --mapping acled (an ACLED export), or --mapping"
    " FILE.json (write a guess to edit with --write-mapping FILE.json, or use File ▸ Import"
    " from CSV or spreadsheet… in the application)."
)
