"""Pass 2 of an import for comments and verdicts: merged by uid (docs/formats.md).

A comment new here is added; one already here changes only by being resolved
(resolved on either side stays resolved: a remark answered somewhere is
answered). A verdict is history: a new one is added to the incident's verdicts,
one already here is left as it is. The incident's status travels with the
incident record itself; only a review file (``exchange/review_file.py``) applies
a verdict's status.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from incidentlog.domain.enums import AuditAction, RecordKind
from incidentlog.exchange.json.rules import MergeRules, created
from incidentlog.store.merge import follow_merged
from incidentlog.store.schema import comment_table, incident_table, source_table, verdict_table

__all__ = ["ReviewMerge"]


class ReviewMerge(MergeRules):
    """The ``comments`` and ``verdicts`` sections of ``json.merge.Importer``."""

    source_alias: dict[str, str]

    def _comments(self, connection: Connection, batch: list[tuple[Any, ...]]) -> None:
        """``batch``: ``(label, meta, values, incident uid, source uid, audit label)``."""
        tally = self.tally["comments"]
        existing = self._existing(connection, comment_table, [item[1][0] for item in batch])
        incidents = _ids(connection, incident_table, [item[3] for item in batch])
        sources = _ids(connection, source_table,
                       [self.source_alias.get(item[4], item[4]) for item in batch])
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for label, meta_values, values, incident_uid, source_uid, audit_label in batch:
            meta = self._meta(label, meta_values)
            row = existing.get(meta.uid)
            if row is None:
                source_uid = self.source_alias.get(source_uid, source_uid)
                subject = {"incident_id": incidents.get(incident_uid),
                           "source_id": sources.get(source_uid)}
                inserts.append(subject | values | self._new_meta(meta))
                audited = {"incident": incident_uid, "source": source_uid} | values
                self._audit(AuditAction.IMPORT, RecordKind.COMMENT, meta.uid, audit_label,
                            created(audited))
                tally.added += 1
            elif values["resolved"] and not row["resolved"]:
                updates.append({"row_id": row["id"], "resolved": True,
                                **self._updated_meta(meta, row)})
                self._audit(AuditAction.IMPORT, RecordKind.COMMENT, meta.uid, audit_label,
                            {"resolved": [False, True]})
                tally.updated += 1
            else:
                tally.unchanged += 1
        self._write_rows(connection, comment_table, inserts, updates)

    def _verdicts(self, connection: Connection, batch: list[tuple[Any, ...]]) -> None:
        """``batch``: ``(label, meta, values, incident uid, audit label)``."""
        tally = self.tally["verdicts"]
        existing = self._existing(connection, verdict_table, [item[1][0] for item in batch])
        incidents = _ids(connection, incident_table, [item[3] for item in batch])
        inserts: list[dict[str, Any]] = []
        for label, meta_values, values, incident_uid, audit_label in batch:
            meta = self._meta(label, meta_values)
            if meta.uid in existing:
                tally.unchanged += 1
                continue
            inserts.append({"incident_id": incidents[incident_uid]} | values
                           | self._new_meta(meta))
            self._audit(AuditAction.IMPORT, RecordKind.VERDICT, meta.uid, audit_label,
                        created({"incident": incident_uid} | values))
            tally.added += 1
        self._write_rows(connection, verdict_table, inserts, [])


def _ids(connection: Connection, table: Any, uids: list[str | None]) -> dict[str, int]:
    wanted = sorted({uid for uid in uids if uid})
    if not wanted:
        return {}
    rows = connection.execute(select(table.c.uid, table.c.id).where(table.c.uid.in_(wanted)))
    found = {row.uid: row.id for row in rows}
    # A comment or verdict on an incident merged here goes to the survivor.
    return follow_merged(connection, found) if table is incident_table else found
