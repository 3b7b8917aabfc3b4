"""What marks a file as an incidentlog log, readable without the data layer.

The application id in the SQLite header and the schema revision (the newest
migration shipped). The first rows shown while a log opens (``gui/first_rows``)
check these with the standard library's sqlite3 before reading anything.
"""

from __future__ import annotations

import re
from pathlib import Path

#: ``PRAGMA application_id`` of an incidentlog database: "ILOG".
APPLICATION_ID = 0x494C4F47
SQLITE_HEADER = b"SQLite format 3\x00"

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION_FILE = re.compile(r"(\d{4})_\w+\.py")


def known_revisions() -> set[str]:
    """The revisions of the migrations shipped, from their file names ("0003_….py").

    A test checks these against Alembic's own reading of the scripts.
    """
    return {match.group(1) for entry in (MIGRATIONS / "versions").iterdir()
            if (match := _REVISION_FILE.fullmatch(entry.name))}


def head_revision() -> str:
    return max(known_revisions())
