"""The log's first page read with the standard library's sqlite3, before the data layer.

The window shows these rows right after its first paint (``gui/first_rows.py``;
docs/performance.md, "Start-up"): the same query the incident table's first page
makes on an unfiltered log, turned into records by the store's own row mapping.
Nothing here imports SQLAlchemy.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from incidentlog.domain.query import INCIDENT_SORT_COLUMNS, Sort
from incidentlog.domain.records import Incident
from incidentlog.store.file_format import APPLICATION_ID, head_revision
from incidentlog.store.row_mapping import incident_from_row


def read_first_rows(path: Path, sort: Sort, limit: int) -> list[Incident] | None:
    """The first ``limit`` live incidents of the log at ``path`` in ``sort`` order.

    None when the file cannot be read this way: missing, not ours, of another
    schema revision, damaged, locked, in a folder SQLite cannot write its
    ``-shm`` in. Never writes.
    """
    if sort.column not in INCIDENT_SORT_COLUMNS or limit < 1 or not path.is_file():
        return None
    if not (Path(f"{path}-shm").exists() or os.access(path.parent, os.W_OK)):
        return None  # the open proper knows how to read such a file
    try:
        connection = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=0.2)
    except sqlite3.Error:
        return None
    try:
        connection.row_factory = sqlite3.Row
        if connection.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            return None
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision is None or revision[0] != head_revision():
            return None
        return _incidents(connection, sort, limit)
    except (sqlite3.Error, KeyError, ValueError, TypeError, IndexError):
        return None
    finally:
        connection.close()


def _incidents(connection: sqlite3.Connection, sort: Sort, limit: int) -> list[Incident]:
    # The order of ``store.queries.incident_page`` on an unfiltered log; the column is
    # one of INCIDENT_SORT_COLUMNS, never text from outside.
    direction = "DESC" if sort.descending else "ASC"
    rows = connection.execute(
        f"SELECT * FROM incident WHERE deleted_at IS NULL "
        f"ORDER BY {sort.column} {direction}, id {direction} LIMIT ?", (limit,)).fetchall()
    ids = [row["id"] for row in rows]
    tags: dict[int, list[str]] = {incident_id: [] for incident_id in ids}
    if ids:
        marks = ", ".join("?" * len(ids))
        for incident_id, tag in connection.execute(
                f"SELECT incident_id, tag FROM incident_tag WHERE incident_id IN ({marks}) "
                "ORDER BY incident_id, tag", ids):
            tags[incident_id].append(tag)
    return [incident_from_row(row, tags[row["id"]]) for row in rows]
