"""A table model that holds row ids and a small cache of rows, never the whole table.

The shape of Anki's browser model: the sorted ids of every matching row come
from one SQL query (8 bytes a row: a million incidents in 8 MB), and the
records themselves are fetched a page at a time, around the row a view asks
for, into a least-recently-used cache. Sorting and filtering reload the ids
in SQL; a change to a few records only drops those from the cache, and a few
rows that appeared or vanished are placed or taken out where they stand
(``place_rows``) rather than reading every id again.

The incident, source and quote models differ only in their query, their
columns (``incidentlog.domain.columns``, shared with the CSV export, so the
screen and the spreadsheet agree) and how a cell looks; they subclass
``LazyRecordModel``.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from incidentlog.domain.columns import Column
from incidentlog.domain.query import Sort
from incidentlog.gui.operations import Latest, QueryOp
from incidentlog.gui.workers import TaskRunner

Index = QModelIndex | QPersistentModelIndex

UID_ROLE = Qt.ItemDataRole.UserRole + 1
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2
SORT_KEY_ROLE = Qt.ItemDataRole.UserRole + 3

#: Posted to a model to ask for its full id list once the first page is painted.
_IDS_AFTER_PAINT = QEvent.Type(QEvent.registerEventType())

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


#: Computes ``(ids, total)`` from plain values captured when it was made: safe to
#: run on a worker thread (the SQLAlchemy engine is; no Qt object is touched).
Loader = Callable[[], tuple[Sequence[int], int]]

#: Computes ``(first page of records in order, rows that match, rows in the whole
#: log)`` quickly, from plain values, on a worker thread like ``Loader``. The
#: counts may be None when counting would cost more than the page (every row of
#: a large log): the full id list then brings them.
FirstPageLoader = Callable[[], tuple[list[Any], int | None, int | None]]


class LazyRecordModel(QAbstractTableModel):
    """Ids of the matching rows in SQL order, plus an LRU cache of loaded records.

    With a ``runner`` (the application's), the ids are loaded off the GUI
    thread: on a large log the full id list of a sort or a search takes a
    second or more in SQL, and the window must stay responsive meanwhile. A
    model may first load a provisional first page with the count of matches
    (``first_page_loader``: milliseconds, by keyset paging on an index), shown
    as soon as it arrives; the full id list, asked for next, then extends it
    without a reset, keeping the selection and the scroll position. Until the
    first page arrives the previous rows stay on screen. Without a runner (the
    tests of a model alone), loading is synchronous.
    """

    #: rows shown, rows in the whole log (for "N of M" in the status bar)
    countsChanged = Signal(int, int)
    loadingChanged = Signal(bool)
    loadFailed = Signal(object)  # the exception of a background load

    PAGE_SIZE = 200
    CACHE_SIZE = 2_000
    #: Rows of a provisional first page; the view sets it from its height. Each
    #: record of it is built before the first screen paints (~0.08 ms a row).
    first_page_size = 100
    context_name = "LazyRecordModel"  # translation context of the headers

    def __init__(self, columns: Sequence[Column[Any]], sort: Sort, parent: Any = None,
                 *, descriptions: Mapping[str, str] | None = None,
                 runner: TaskRunner | None = None) -> None:
        super().__init__(parent)
        self.columns: tuple[Column[Any], ...] = tuple(columns)
        self._descriptions = dict(descriptions or {})
        self._sort = sort
        self._runner = runner
        self._ids: Sequence[int] = ()
        self._cache: OrderedDict[int, Any] = OrderedDict()
        self._total = 0
        #: A newer sort or filter supersedes the load under way: its answer is dropped.
        self._latest = Latest()
        self._provisional = False
        self._matches: int | None = 0
        self.loading = False
        self.fetches = 0  # round trips to the database, for tests and the benchmark
        #: The id list to ask for once the first page is painted (``_ids_after_paint``).
        self._ids_pending: Loader | None = None

    # --- what subclasses provide ------------------------------------------------
    def loader(self, sort: Sort) -> Loader:
        """A function computing ``(ids in order, rows in the whole log)`` for ``sort``."""
        raise NotImplementedError

    def fetch_rows(self, ids: Sequence[int]) -> dict[int, Any]:
        raise NotImplementedError

    def first_page_loader(self, sort: Sort) -> FirstPageLoader | None:
        """A quick loader of the first page and the counts, or None to wait for all ids."""
        return None

    def should_load(self) -> bool:
        """Whether a sort reloads now (a view not yet shown loads when it first is)."""
        return True

    def cell(self, column: Column[Any], record: Any, role: int) -> Any:
        """A cell's value for ``role``; the default shows the column's text."""
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(record)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(RIGHT if column.numeric else LEFT)
        return None

    # --- loading ----------------------------------------------------------------
    @property
    def sort_order(self) -> Sort:
        return self._sort

    @property
    def total(self) -> int:
        return self._total

    @property
    def provisional(self) -> bool:
        """Only the first page is loaded (its count is known, the other ids are loading)."""
        return self._provisional

    @property
    def matches(self) -> int:
        """Rows that match: known from the first page on (0 until counted)."""
        return self._matches or 0

    @property
    def counted(self) -> bool:
        """Whether ``matches`` and ``total`` are known (a first page may come before them)."""
        return self._matches is not None

    def reload(self) -> None:
        """Ask SQL for the ids again (filter, sort or rows changed) and drop the cache."""
        load = self.loader(self._sort)
        self._ids_pending = None  # an id list not asked for yet is not wanted any more
        if self._runner is None:
            self._latest.drop()
            self._loaded(load())
            return
        self.loading = True
        self.loadingChanged.emit(True)
        first = self.first_page_loader(self._sort)
        if first is None:
            self._submit_ids(load)
            return
        # The ids only after the first page: on two cores the full list would
        # slow the first screen down, which is what the reviewer waits for.
        self._run(QueryOp(parent=self, op=lambda _cancelled: first(),
                          success=lambda result: self._first_page_loaded(result, load)))

    def _submit_ids(self, load: Loader) -> None:
        self._run(QueryOp(parent=self, op=lambda _cancelled: load(), success=self._loaded))

    def _run(self, op: QueryOp[Any]) -> None:
        assert self._runner is not None
        op.failure(self._load_failed).latest_in(self._latest).run_in_background(self._runner)

    def _first_page_loaded(self, result: tuple[list[Any], int | None, int | None],
                           load: Loader) -> None:
        records, matches, total = result
        self.beginResetModel()
        self._ids = array("q", [record.meta.id for record in records])
        self._cache = OrderedDict((record.meta.id, record) for record in records)
        self._provisional = True
        self.endResetModel()
        self._matches = matches
        if matches is not None and total is not None:
            self._total = total
            if len(records) == matches:  # the first page holds every match: done
                self._loaded((self._ids, total))
                return
            self.countsChanged.emit(matches, total)
        self._ids_after_paint(load)

    def _ids_after_paint(self, load: Loader) -> None:
        """Ask for the full id list once the first page is on screen: reading it on two
        cores beside the first paint (the other thread's Python holds the interpreter
        in turns) slows that paint down, the more so on a busy machine
        (docs/performance.md). The reset has just asked the views to repaint with an
        event of low priority; this one, of the same priority, is handled after it."""
        self._ids_pending = load
        QCoreApplication.postEvent(self, QEvent(_IDS_AFTER_PAINT),
                                   Qt.EventPriority.LowEventPriority.value)

    def event(self, event: QEvent) -> bool:  # Qt override
        if event.type() == _IDS_AFTER_PAINT:
            load, self._ids_pending = self._ids_pending, None
            if load is not None:
                self._submit_ids(load)
            return True
        return super().event(event)

    def _loaded(self, result: tuple[Sequence[int], int]) -> None:
        ids, total = result
        old = self._ids
        if self._provisional and len(ids) >= len(old) and list(ids[:len(old)]) == list(old):
            # The first page is on screen already: add the rest below it, keeping
            # the selection, the scroll position and the cached rows.
            if len(ids) > len(old):
                self.beginInsertRows(QModelIndex(), len(old), len(ids) - 1)
                self._ids = ids
                self.endInsertRows()
            else:
                self._ids = ids
        else:
            self.beginResetModel()
            self._ids = ids
            self._cache.clear()
            self.endResetModel()
        self._provisional = False
        self._total = total
        self._matches = len(self._ids)
        self._finish_loading()
        self.countsChanged.emit(len(self._ids), self._total)

    def place_rows(self, gone: Iterable[int], placed: Sequence[tuple[int, int]],
                   matches: int, total: int) -> bool:
        """Rows ``gone`` out, and each ``(row id, index)`` of ``placed`` in at its index in
        the final list (a row already there stays, with its selection); False, changing
        nothing, when the result would not hold ``matches`` rows or not every row where
        the database says (the list disagrees: read it again). Array searches and moves
        only, at C speed: a few rows placed in a million in milliseconds."""
        ids = array("q", self._ids)
        gone_rows = sorted((row for row in (_index_or_none(ids, row_id) for row_id in gone)
                            if row is not None), reverse=True)
        for row in gone_rows:
            del ids[row]
        there = {row_id: index for row_id, index in placed
                 if _index_or_none(ids, row_id) is not None}
        new = sorted(((row_id, index) for row_id, index in placed if row_id not in there),
                     key=lambda entry: entry[1])
        for row_id, index in new:
            ids.insert(min(index, len(ids)), row_id)
        if len(ids) != matches or any(
                _index_or_none(ids, row_id) != index for row_id, index in there.items()):
            return False
        shown = array("q", self._ids)
        self._ids = shown
        for row in gone_rows:
            self._cache.pop(shown[row], None)
            self.beginRemoveRows(QModelIndex(), row, row)
            del shown[row]
            self.endRemoveRows()
        for row_id, index in new:
            row = min(index, len(shown))
            self.beginInsertRows(QModelIndex(), row, row)
            shown.insert(row, row_id)
            self.endInsertRows()
        self._matches, self._total = matches, total
        self.countsChanged.emit(matches, total)
        return True

    def _load_failed(self, error: BaseException) -> None:
        self._finish_loading()
        self.loadFailed.emit(error)

    def _finish_loading(self) -> None:
        if self.loading:
            self.loading = False
            self.loadingChanged.emit(False)

    def refresh(self, uids: Iterable[str]) -> None:
        """Records that changed in place: drop them from the cache and repaint their rows."""
        wanted = set(uids)
        stale = [row_id for row_id, record in self._cache.items()
                 if getattr(record, "uid", None) in wanted]
        last_column = self.columnCount() - 1
        for row_id in stale:
            del self._cache[row_id]
            row = self.row_of_id(row_id)
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, last_column))

    def record_at(self, row: int) -> Any:
        """The record shown in ``row`` (loading its page if needed), or None."""
        if not 0 <= row < len(self._ids):
            return None
        row_id = self._ids[row]
        record = self._cache.get(row_id)
        if record is not None:
            self._cache.move_to_end(row_id)
            return record
        self._load_page_around(row)
        return self._cache.get(row_id)

    def _load_page_around(self, row: int) -> None:
        start = max(0, row - self.PAGE_SIZE // 4)
        stop = min(len(self._ids), start + self.PAGE_SIZE)
        missing = [row_id for row_id in self._ids[start:stop] if row_id not in self._cache]
        if not missing:
            return
        self.fetches += 1
        found = self.fetch_rows(missing)
        for row_id in missing:
            record = found.get(row_id)
            if record is not None:
                self._cache[row_id] = record
        while len(self._cache) > self.CACHE_SIZE:
            self._cache.popitem(last=False)

    def uid_at(self, row: int) -> str | None:
        record = self.record_at(row)
        return getattr(record, "uid", None) if record is not None else None

    def uids_of_rows(self, rows: Iterable[int]) -> list[str]:
        """Uids of many rows without flooding the cache (a large selection)."""
        wanted = [row for row in rows if 0 <= row < len(self._ids)]
        uids: dict[int, str] = {}
        missing: list[int] = []
        for row in wanted:
            record = self._cache.get(self._ids[row])
            if record is not None:
                uids[row] = record.uid
            else:
                missing.append(row)
        for start in range(0, len(missing), 1000):
            chunk = missing[start:start + 1000]
            found = self.fetch_rows([self._ids[row] for row in chunk])
            for row in chunk:
                record = found.get(self._ids[row])
                if record is not None:
                    uids[row] = record.uid
        return [uids[row] for row in wanted if row in uids]

    def row_of_id(self, row_id: int) -> int | None:
        try:
            return self._ids.index(row_id)  # C speed on an array: ~1 ms per 100,000 rows
        except ValueError:
            return None

    def row_of_uid(self, uid: str) -> int | None:
        for row_id, record in self._cache.items():
            if record.uid == uid:
                return self.row_of_id(row_id)
        found = self.id_of_uid(uid)
        return None if found is None else self.row_of_id(found)

    def id_of_uid(self, uid: str) -> int | None:
        """The row id of a record not in the cache (subclasses ask their query)."""
        return None

    # --- QAbstractTableModel ----------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    #: Roles no cell answers: refused before any lookup. A painted cell is asked
    #: for a dozen roles; on a screen of 400 cells the Python calls add up.
    UNUSED_ROLES = frozenset(int(role) for role in (
        Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.CheckStateRole,
        Qt.ItemDataRole.SizeHintRole, Qt.ItemDataRole.StatusTipRole,
        Qt.ItemDataRole.WhatsThisRole, Qt.ItemDataRole.EditRole,
        Qt.ItemDataRole.AccessibleDescriptionRole,
    ))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role in self.UNUSED_ROLES or not index.isValid() \
                or index.column() >= len(self.columns):
            return None
        record = self.record_at(index.row())
        if record is None:
            return None
        if role == UID_ROLE:
            return record.uid
        if role == RECORD_ROLE:
            return record
        return self.cell(self.columns[index.column()], record, role)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return QCoreApplication.translate(self.context_name, column.header)
        if role == Qt.ItemDataRole.ToolTipRole and column.key in self._descriptions:
            return QCoreApplication.translate(self.context_name,
                                              self._descriptions[column.key])
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(RIGHT if column.numeric else LEFT)
        return None

    _ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def flags(self, index: Index) -> Qt.ItemFlag:
        # Asked for every painted cell: one constant, no enum arithmetic.
        return self._ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting is SQL: reload the ids ordered by the column's database column."""
        if not 0 <= column < len(self.columns) or self.columns[column].sort is None:
            return
        wanted = Sort(self.columns[column].sort or "",
                      order == Qt.SortOrder.DescendingOrder)
        if wanted == self._sort and self._ids:
            return
        self._sort = wanted
        # A reset, not a layout change: no persistent index can follow a re-sort
        # of a million rows cheaply; the views re-select the current record from
        # the shared state instead.
        if self.should_load():
            self.reload()

    def column_of_sort(self, sort_column: str) -> int | None:
        for number, column in enumerate(self.columns):
            if column.sort == sort_column:
                return number
        return None

    def column_index(self, key: str) -> int:
        for number, column in enumerate(self.columns):
            if column.key == key:
                return number
        raise KeyError(key)


def _index_or_none(ids: array[int], row_id: int) -> int | None:
    """``row_id``'s index in ``ids``, None when absent."""
    try:
        return ids.index(row_id)
    except ValueError:
        return None
