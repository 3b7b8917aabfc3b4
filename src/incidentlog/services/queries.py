"""The read side shared by the views and the exports: count, sort, page, fetch by id."""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

from incidentlog.domain.query import IncidentFilter, Sort, TextFilter
from incidentlog.domain.records import Incident, Quote, Source
from incidentlog.domain.review import Verdict
from incidentlog.store import audit
from incidentlog.store import queries as q
from incidentlog.store import records as rows
from incidentlog.store.audit import AuditEntry
from incidentlog.store.database import Database


class IncidentQuery:
    """Everything a table of a million incidents needs, without loading them all."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def count(self, flt: IncidentFilter = IncidentFilter()) -> int:
        with self._db.read() as connection:
            return q.count_incidents(connection, flt, self._db.backend)

    def ids(self, flt: IncidentFilter = IncidentFilter(), sort: Sort = Sort()) -> array[int]:
        """Row ids of every match in sort order: 8 bytes each, a million in 8 MB."""
        found: array[int] = array("q")
        with self._db.read() as connection:
            for chunk in q.incident_ids(connection, flt, sort, self._db.backend):
                found.extend(chunk)
        return found

    def places(self, flt: IncidentFilter, sort: Sort, uids: Sequence[str]
               ) -> tuple[dict[str, tuple[int, int | None]], int, int]:
        """Where ``uids`` stand among the matches (``store.queries.incident_places``), how
        many match, and how many rows the log (or trash) holds: one snapshot."""
        everything = IncidentFilter(deleted=flt.deleted)
        with self._db.read() as connection:
            found = q.incident_places(connection, flt, sort, self._db.backend, uids)
            matches = q.count_incidents(connection, flt, self._db.backend)
            total = matches if flt == everything else q.count_incidents(
                connection, everything, self._db.backend)
        return found, matches, total

    def page(
        self,
        flt: IncidentFilter = IncidentFilter(),
        sort: Sort = Sort(),
        *,
        limit: int = 100,
        after: tuple[Any, int] | None = None,
    ) -> list[Incident]:
        """Up to ``limit`` incidents after the key ``(sort value, id)`` of the last one seen."""
        with self._db.read() as connection:
            ids = q.incident_page(connection, flt, sort, self._db.backend, limit=limit, after=after)
            found = rows.load_incidents(connection, ids)
        return [found[i] for i in ids]

    def first_page(
        self, flt: IncidentFilter = IncidentFilter(), sort: Sort = Sort(), *, limit: int = 100
    ) -> tuple[list[Incident], int]:
        """The first ``limit`` incidents and how many match in all, in one read."""
        with self._db.read() as connection:
            ids, matches = q.incident_page(
                connection, flt, sort, self._db.backend, limit=limit, with_count=True
            )
            found = rows.load_incidents(connection, ids)
        return [found[i] for i in ids], matches

    @staticmethod
    def key_of(incident: Incident, sort: Sort) -> tuple[Any, int]:
        """The keyset key of an incident for ``page(after=...)``."""
        from incidentlog.store.records import incident_values

        values = incident_values(incident) | {
            "updated_at": incident.meta.updated_at,
            "created_at": incident.meta.created_at,
        }
        return values[sort.column], incident.meta.id or 0

    def by_ids(self, ids: Sequence[int]) -> dict[int, Incident]:
        with self._db.read() as connection:
            return rows.load_incidents(connection, ids)

    def get(self, uid: str) -> Incident | None:
        with self._db.read() as connection:
            return rows.load_incident(connection, uid)

    def distinct(self, column: str) -> list[str]:
        with self._db.read() as connection:
            return q.distinct_values(connection, column)

    def history(self, uid: str) -> list[AuditEntry]:
        with self._db.read() as connection:
            return audit.history(connection, uid)

    def latest_verdict(self, uid: str) -> Verdict | None:
        """The newest verdict on the incident (the status cell's tooltip), if any."""
        from incidentlog.store.review import latest_verdicts

        with self._db.read() as connection:
            return latest_verdicts(connection, [uid]).get(uid)


class SourceQuery:
    def __init__(self, database: Database) -> None:
        self._db = database

    def ids(self, flt: TextFilter = TextFilter(), sort: Sort = Sort("published_at")) -> array[int]:
        with self._db.read() as connection:
            return q.source_ids(connection, flt, sort)

    def by_ids(self, ids: Sequence[int]) -> dict[int, Source]:
        with self._db.read() as connection:
            return rows.load_sources(connection, ids)

    def list(
        self, flt: TextFilter = TextFilter(), sort: Sort = Sort("published_at")
    ) -> list[Source]:
        ids = self.ids(flt, sort)
        found = self.by_ids(ids)
        return [found[i] for i in ids]


class QuoteQuery:
    def __init__(self, database: Database) -> None:
        self._db = database

    def ids(self, flt: TextFilter = TextFilter(), sort: Sort = Sort("said_at")) -> array[int]:
        with self._db.read() as connection:
            return q.quote_ids(connection, flt, sort)

    def by_ids(self, ids: Sequence[int]) -> dict[int, Quote]:
        with self._db.read() as connection:
            return rows.load_quotes(connection, ids)

    def list(self, flt: TextFilter = TextFilter(), sort: Sort = Sort("said_at")) -> list[Quote]:
        ids = self.ids(flt, sort)
        found = self.by_ids(ids)
        return [found[i] for i in ids]
