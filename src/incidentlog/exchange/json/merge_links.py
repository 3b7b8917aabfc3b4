"""Pass 2 of an import, after the incidents: the links to related incidents they state.

An incident's ``links`` may name an incident later in the file, so they are written once
every incident of the file is in. A link is added when missing (never removed, its note
never replaced: as citations are); one whose other incident is neither in the file nor
here, or is in the trash here, is left out and reported, not fatal (docs/formats.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from incidentlog.domain.enums import AuditAction, RecordKind
from incidentlog.domain.links import LinkKind
from incidentlog.store import bulk
from incidentlog.store.schema import incident_link_table, incident_table

#: ``(kind value, other incident's uid, note)`` as the spool holds a link.
SpooledLink = tuple[str, str, "str | None"]
Audit = Callable[[AuditAction, RecordKind, str, "str | None", Any], None]


class RelatedPlan:
    """The links of the file's incidents, kept until every incident is written."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, str, tuple[SpooledLink, ...]]] = []
        self.added = 0

    def add(self, label: str, uid: str, links: tuple[SpooledLink, ...]) -> None:
        if links:
            self.pending.append((label, uid, links))

    def write(self, connection: Connection, audit: Audit, warnings: list[str],
              stamp: tuple[str, str]) -> None:
        """Insert the missing links; ``stamp``: the import's time and actor."""
        if not self.pending:
            return
        uids = {uid for _, uid, _ in self.pending}
        uids |= {other for _, _, links in self.pending for _, other, _ in links}
        rows = _incidents(connection, uids)
        present = _present(connection, [rows[uid][0] for _, uid, _ in self.pending if uid in rows])
        inserts: list[tuple[Any, ...]] = []
        for label, uid, links in self.pending:
            if uid not in rows:
                continue  # not written (a problem already reported)
            from_id, ref, _ = rows[uid]
            for kind, other, note in links:
                target = rows.get(other)
                if target is None or target[2] is not None:
                    where = "is in the trash here" if target else "is neither in the file nor here"
                    warnings.append(f"{label} ({uid}): its link “{LinkKind(kind).label}” to "
                                    f"incident {other} was left out: that incident {where}")
                    continue
                key = (from_id, target[0], kind)
                if key in present:
                    continue
                present.add(key)
                inserts.append((*key, note, *stamp))
                audit(AuditAction.RELATE, RecordKind.INCIDENT, uid, ref,
                      {"related": [None, other], "kind": [None, kind], "note": [None, note]})
        bulk.insert_rows(connection, incident_link_table,
                         ("from_id", "to_id", "kind", "note", "created_at", "created_by"),
                         inserts)
        self.added += len(inserts)
        self.pending = []


def _incidents(connection: Connection, uids: set[str]) -> dict[str, tuple[int, str, Any]]:
    """(row id, ref, deleted_at) of the incidents with these uids, here or just imported."""
    found: dict[str, tuple[int, str, Any]] = {}
    listed = list(uids)
    t = incident_table
    for start in range(0, len(listed), 500):
        query = select(t.c.uid, t.c.id, t.c.ref, t.c.deleted_at).where(
            t.c.uid.in_(listed[start:start + 500]))
        found.update((uid, (row_id, ref, deleted)) for uid, row_id, ref, deleted
                     in connection.execute(query))
    return found


def _present(connection: Connection, from_ids: list[int]) -> set[tuple[int, int, str]]:
    """The links these incidents state already."""
    found: set[tuple[int, int, str]] = set()
    t = incident_link_table
    for start in range(0, len(from_ids), 500):
        query = select(t.c.from_id, t.c.to_id, t.c.kind).where(
            t.c.from_id.in_(from_ids[start:start + 500]))
        found.update((a, b, kind) for a, b, kind in connection.execute(query))
    return found
