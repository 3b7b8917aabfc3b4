"""The incident table's model: a lazy model over ``services.incident_query``.

The model holds the sorted row ids and a cache of loaded rows (see
``lazy_model``); the filter comes from the shared ``SelectionState`` and
sorting is SQL. Cells read the way a reviewer thinks: dates in the report's
local time with the UTC instant in the tooltip, "unknown" counts greyed (never
0), the status as a coloured badge and the confidence with a coloured mark
(painted by the delegates of ``incident_table``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt

from incidentlog.domain.columns import INCIDENT_COLUMNS, Column
from incidentlog.domain.query import IncidentFilter, Sort
from incidentlog.domain.records import Incident
from incidentlog.gui.incident_cells import (
    COLUMN_HELP,
    DEFAULT_SORT,
    incident_cell,
)
from incidentlog.gui.lazy_model import (
    FirstPageLoader,
    LazyRecordModel,
    Loader,
)
from incidentlog.gui.operations import QueryOp
from incidentlog.gui.workers import TaskRunner
from incidentlog.services import Changes
from incidentlog.services.queries import IncidentQuery


class IncidentTableModel(LazyRecordModel):
    """Incidents matching a filter, sorted in SQL; only the rows on screen are loaded."""

    context_name = "IncidentTableModel"
    #: More incidents than this appearing at once (an import) read the ids again.
    PLACE_AT_MOST = 50

    def __init__(self, query: IncidentQuery, flt: IncidentFilter = IncidentFilter(),
                 sort: Sort = DEFAULT_SORT, parent: Any = None,
                 columns: Sequence[Column[Incident]] = INCIDENT_COLUMNS,
                 runner: TaskRunner | None = None) -> None:
        super().__init__(columns, sort, parent, descriptions=COLUMN_HELP, runner=runner)
        self._query = query
        self._filter = flt
        self._total_known = False  # rows in the whole log: counted again only when they change
        self._counted_deleted = flt.deleted
        self._unplaced: set[str] = set()  # asked where they stand, no answer yet
        self.reload()

    @property
    def filter(self) -> IncidentFilter:
        return self._filter

    def set_filter(self, flt: IncidentFilter) -> None:
        if flt != self._filter:
            self._filter = flt
            self.reload()

    def handle_changes(self, changes: Changes) -> None:
        """Place a few incidents that appeared or vanished where they belong (reload the
        ids when many did); repaint the ones changed in place."""
        if changes.rows_changed and (changes.incidents or not (
                changes.sources or changes.quotes or changes.periods)):
            self._total_known = False
            if not self._place(changes.incidents):
                self.reload()
        elif changes.incidents:
            self.refresh(changes.incidents)

    def reload(self) -> None:
        self._unplaced = set()  # the whole list read again places them too
        super().reload()

    def _place(self, uids: frozenset[str]) -> bool:
        """Ask in the background where ``uids`` (and those still waiting) now stand; False
        when the ids must be read again instead (many rows, or a load under way)."""
        waiting = self._unplaced | uids
        if (self._runner is None or not uids or len(waiting) > self.PLACE_AT_MOST
                or self.loading or self.provisional):
            self._unplaced = set()
            return False
        self._unplaced = set(waiting)
        query, flt, sort, ids = self._query, self._filter, self._sort, self._ids
        wanted = sorted(waiting)

        def placed(answer: tuple[dict[str, tuple[int, int | None]], int, int]) -> None:
            found, matches, total = answer
            self._unplaced = set()
            gone = [row_id for row_id, index in found.values() if index is None]
            inside = [(row_id, index) for row_id, index in found.values() if index is not None]
            if ids is not self._ids or not self.place_rows(gone, inside, matches, total):
                self.reload()  # the list moved meanwhile, or disagrees: read it whole
                return
            self._total_known = True
            self.refresh(found)

        self._run(QueryOp(parent=self, op=lambda _cancelled: query.places(flt, sort, wanted),
                          success=placed))
        return True

    # --- LazyRecordModel hooks --------------------------------------------------
    def loader(self, sort: Sort) -> Loader:
        query, flt = self._query, self._filter
        everything = IncidentFilter(deleted=flt.deleted)
        known = self._known_total()

        def load() -> tuple[Sequence[int], int]:
            ids = query.ids(flt, sort)
            if flt == everything:
                return ids, len(ids)
            return ids, known if known is not None else query.count(everything)

        return load

    def first_page_loader(self, sort: Sort) -> FirstPageLoader:
        # Keyset paging on the sort column's index, and counts that SQLite answers
        # from an index or the full-text index: the first screen in milliseconds.
        query, flt, limit = self._query, self._filter, self.first_page_size
        everything = IncidentFilter(deleted=flt.deleted)
        known = self._known_total()

        def load() -> tuple[list[Any], int | None, int | None]:
            if flt == everything:
                records = query.page(flt, sort, limit=limit)
                if len(records) < limit:
                    return records, len(records), len(records)
                # Counting every row of a large log (80 ms at 1M) would hold the
                # first screen back; the full id list counts them just after.
                return records, known, known
            records, matches = query.first_page(flt, sort, limit=limit)
            return records, matches, known if known is not None else query.count(everything)

        return load

    def _known_total(self) -> int | None:
        """Rows in the whole log (or trash), if counted since they last changed."""
        if self._total_known and self._filter.deleted == self._counted_deleted:
            return self.total
        return None

    def _loaded(self, result: tuple[Sequence[int], int]) -> None:
        super()._loaded(result)  # only the answer to the latest load arrives here
        self._total_known = True
        self._counted_deleted = self._filter.deleted

    def fetch_rows(self, ids: Sequence[int]) -> dict[int, Any]:
        return self._query.by_ids(ids)

    def id_of_uid(self, uid: str) -> int | None:
        incident = self._query.get(uid)
        return incident.meta.id if incident is not None else None

    def cell(self, column: Column[Any], record: Any, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column.key == "status":
            return self._status_tooltip(record)
        return incident_cell(column, record, role)

    def _status_tooltip(self, incident: Incident) -> str | None:
        """The latest verdict with its reason (read when asked: a hover is rare)."""
        verdict = self._query.latest_verdict(incident.uid or "") if incident.uid else None
        return verdict.sentence() if verdict is not None else None
