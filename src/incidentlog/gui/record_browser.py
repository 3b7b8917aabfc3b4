"""A searchable, SQL-sorted table of one record kind with its form beside it.

The sources and quotes views are this widget with a different model and
form. The table is a ``LazyRecordModel`` (ids plus a cache); the search box
filters as you type (``TextFilter``, in SQL); choosing a row loads it in the
form, after the form agreed to leave unsaved changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QMenu,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.columns import Column
from incidentlog.domain.query import Sort, TextFilter
from incidentlog.gui.context import AppContext
from incidentlog.gui.lazy_model import UID_ROLE, LazyRecordModel, Loader
from incidentlog.gui.workers import TaskRunner

SEARCH_DELAY_MS = 250
SELECT_ROW = QItemSelectionModel.SelectionFlag.ClearAndSelect | \
    QItemSelectionModel.SelectionFlag.Rows


def translator(context: str) -> Callable[[str], str]:
    """``tr`` for a class whose QObject is not built yet (arguments to ``super().__init__``)."""
    return lambda text: QCoreApplication.translate(context, text)


class TextFilteredModel(LazyRecordModel):
    """A lazy model whose rows are chosen by a ``TextFilter`` (sources, quotes).

    It loads nothing until ``ensure_loaded`` (its view shown): the log may hold
    millions of sources nobody looks at today. "Rows in the whole log" is
    counted once and again only when rows appear or vanish, not at each search.
    """

    def __init__(self, query: Any, find: Callable[[str], Any], columns: Sequence[Column[Any]],
                 sort: Sort, parent: Any = None, *,
                 descriptions: Mapping[str, str] | None = None,
                 runner: TaskRunner | None = None, load: bool = True) -> None:
        super().__init__(columns, sort, parent, descriptions=descriptions, runner=runner)
        self._query = query
        self._find = find
        self._filter = TextFilter()
        self._total_known = False
        self.loaded = False
        if load:
            self.ensure_loaded()

    @property
    def filter(self) -> TextFilter:
        return self._filter

    def should_load(self) -> bool:
        return self.loaded

    def ensure_loaded(self) -> None:
        if not self.loaded:
            self.loaded = True
            self.reload()

    def set_filter(self, flt: TextFilter) -> None:
        if flt != self._filter:
            if flt.deleted != self._filter.deleted:
                self._total_known = False
            self._filter = flt
            if self.loaded:
                self.reload()

    def set_text(self, text: str) -> None:
        flt = self._filter
        self.set_filter(TextFilter(text.strip() or None, flt.deleted, flt.incident_uid))

    def reload_rows(self) -> None:
        """Rows appeared or vanished: count them again and reload the ids."""
        self._total_known = False
        if self.loaded:
            self.reload()

    def loader(self, sort: Sort) -> Loader:
        query, flt = self._query, self._filter
        everything = TextFilter(deleted=flt.deleted)
        known = self._total if self._total_known else None

        def load() -> tuple[Sequence[int], int]:
            ids = query.ids(flt, sort)
            if flt == everything:
                return ids, len(ids)
            return ids, known if known is not None else len(query.ids(everything))

        return load

    def _loaded(self, result: tuple[Sequence[int], int]) -> None:
        super()._loaded(result)
        self._total_known = True

    def fetch_rows(self, ids: Sequence[int]) -> dict[int, Any]:
        return dict(self._query.by_ids(ids))

    def id_of_uid(self, uid: str) -> int | None:
        record = self._find(uid)
        return record.meta.id if record is not None else None


class RecordTable(QTableView):
    """The table of a browser: rows, no editing, Enter opens.

    After a layout reset, the ``fill_column`` takes the width the other visible
    columns leave, once the window's layout has settled.
    """

    openRequested = Signal(str)
    MIN_FILL_WIDTH = 180

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fill_column: int | None = None
        self._fill_pending = False
        self._fill_timer = QTimer(self)
        self._fill_timer.setSingleShot(True)
        self._fill_timer.setInterval(0)
        self._fill_timer.timeout.connect(self._fill)

    def fill_once(self, column: int) -> None:
        self.fill_column = column
        self._fill_pending = True
        self._fill_timer.start()

    def _fill(self) -> None:
        if not self._fill_pending or self.fill_column is None or not self.isVisible() \
                or self.viewport().width() < 100:
            return
        self._fill_pending = False
        header = self.horizontalHeader()
        others = sum(header.sectionSize(n) for n in range(header.count())
                     if n != self.fill_column and not header.isSectionHidden(n))
        header.resizeSection(self.fill_column,
                             max(self.MIN_FILL_WIDTH, self.viewport().width() - others - 2))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fill_pending:
            self._fill_timer.start()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            uid = self.currentIndex().data(UID_ROLE) if self.currentIndex().isValid() else None
            if uid:
                self.openRequested.emit(uid)
                event.accept()
                return
        super().keyPressEvent(event)


class RecordBrowser(QWidget):
    """Search box and table on the left, the record's form on the right."""

    currentChanged = Signal(object)  # uid or None
    countsChanged = Signal(int, int)

    def __init__(self, context: AppContext, model: TextFilteredModel, *, name: str,
                 accessible: str, search_hint: str, form: QWidget,
                 header_widths: dict[str, int], hidden: Sequence[str],
                 order: Sequence[str] = (), fill: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._settings = context.settings
        self._name = name
        self._header_widths = header_widths
        self._hidden = tuple(hidden)
        self._order = tuple(order)
        self._fill = fill
        self._moving_back = False
        self.model = model
        self.model.setParent(self)

        self.search_box = self._build_search_box(name, accessible, search_hint)
        self.table = self._build_table(name, accessible, model)
        self.form = form
        self.splitter = self._build_splitter(name, form)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._connect(model, form)
        self._current: str | None = None
        self._opened_first = False
        if model.rowCount():
            self._after_reset()

    def _build_search_box(self, name: str, accessible: str, search_hint: str) -> QLineEdit:
        box = QLineEdit(self)
        box.setObjectName(f"{name}SearchBox")
        box.setAccessibleName(self.tr("Search {0}").format(accessible.lower()))
        box.setPlaceholderText(search_hint)
        box.setClearButtonEnabled(True)
        return box

    def _build_table(self, name: str, accessible: str, model: TextFilteredModel) -> RecordTable:
        """The table of records: whole rows, sortable, columns as last arranged."""
        self.table = table = RecordTable(self)
        table.setObjectName(f"{name}Table")
        table.setAccessibleName(accessible)
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setTabKeyNavigation(False)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        vertical = table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 12)
        header = table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self.restore_layout()
        table.setSortingEnabled(True)
        return table

    def _build_splitter(self, name: str, form: QWidget) -> QSplitter:
        """Search box and table on the left, the form on the right, as last split."""
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(6)
        left_layout.addWidget(self.search_box)
        left_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName(f"{name}Splitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        # Wide enough for the form's fields (they scroll up and down, never sideways),
        # narrow enough that table and form fit side by side at 1024 px or 150 %.
        form.setMinimumWidth(380)
        splitter.addWidget(form)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        saved = self._settings.state(f"{name}Splitter")
        if saved is not None:
            splitter.restoreState(saved)
        else:
            splitter.setSizes([840, 540])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(splitter)
        return splitter

    def _connect(self, model: TextFilteredModel, form: QWidget) -> None:
        self._search_timer.timeout.connect(self._apply_search)
        self.search_box.textChanged.connect(self._search_timer.start)
        self.search_box.returnPressed.connect(self._apply_search)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.table.doubleClicked.connect(self._focus_form)
        self.table.openRequested.connect(lambda _uid: self._focus_form())
        model.countsChanged.connect(self._show_counts)
        model.modelReset.connect(self._after_reset)
        saved_signal = getattr(form, "saved", None)
        if saved_signal is not None:
            saved_signal.connect(self.select_uid)

    def ensure_loaded(self) -> None:
        """Load the rows the first time the view is shown (not at start-up)."""
        self.model.ensure_loaded()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.ensure_loaded()

    # --- layout -------------------------------------------------------------------
    def restore_layout(self) -> None:
        header = self.table.horizontalHeader()
        saved = self._settings.state(f"{self._name}Header")
        if saved is not None and header.restoreState(saved) \
                and header.count() == self.model.columnCount():
            return
        self.reset_layout()

    def reset_layout(self) -> None:
        header = self.table.horizontalHeader()
        keys = [column.key for column in self.model.columns]
        ordered = [k for k in self._order if k in keys] + [k for k in keys if k not in self._order]
        for visual, key in enumerate(ordered):
            number = keys.index(key)
            header.moveSection(header.visualIndex(number), visual)
            header.setSectionHidden(number, key in self._hidden)
            header.resizeSection(number, self._header_widths.get(key, 120))
        if self._fill in keys:
            self.table.fill_once(keys.index(self._fill))
        first = next((n for n, c in enumerate(self.model.columns)
                      if c.sort == self.model.sort_order.column), 0)
        header.setSortIndicator(first, Qt.SortOrder.DescendingOrder
                                if self.model.sort_order.descending
                                else Qt.SortOrder.AscendingOrder)

    def save_layout(self) -> None:
        self._settings.set_state(f"{self._name}Header",
                                 self.table.horizontalHeader().saveState())
        self._settings.set_state(f"{self._name}Splitter", self.splitter.saveState())

    def _header_menu(self, pos: QPoint) -> None:
        header = self.table.horizontalHeader()
        menu = QMenu(self)
        visible = [n for n in range(header.count()) if not header.isSectionHidden(n)]
        for visual in range(header.count()):
            number = header.logicalIndex(visual)
            action = menu.addAction(str(self.model.headerData(number, Qt.Orientation.Horizontal)))
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(number))
            action.setEnabled(not (len(visible) == 1 and number in visible))
            action.toggled.connect(lambda shown, n=number: header.setSectionHidden(n, not shown))
        menu.addSeparator()
        menu.addAction(self.tr("Reset columns"), self.reset_layout)
        menu.popup(header.mapToGlobal(pos))

    # --- search and selection -------------------------------------------------------
    def _apply_search(self) -> None:
        self._search_timer.stop()
        self.model.set_text(self.search_box.text())

    def _show_counts(self, shown: int, total: int) -> None:
        self.countsChanged.emit(shown, total)

    def current_uid(self) -> str | None:
        return self._current

    def selected_uids(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return self.model.uids_of_rows(rows)

    def select_uid(self, uid: str | None) -> None:
        """Make ``uid`` the current row (after a create, or to show a cited source)."""
        if uid is None:
            return
        self.ensure_loaded()
        row = self.model.row_of_uid(uid)
        if row is None and self.model.filter.text:
            self.search_box.clear()
            self._apply_search()
            row = self.model.row_of_uid(uid)
        if row is None:
            return
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(index, SELECT_ROW)
        self.table.scrollTo(index)

    def _current_row_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if self._moving_back:
            return
        uid = current.data(UID_ROLE) if current.isValid() else None
        if uid == self._current:
            return
        if not self._form_call("maybe_leave", default=True):
            self._moving_back = True  # the user chose Cancel: stay on the edited row
            try:
                if previous.isValid():
                    self.table.selectionModel().setCurrentIndex(previous, SELECT_ROW)
            finally:
                self._moving_back = False
            return
        self._current = uid
        self._form_call("load", uid)
        self.currentChanged.emit(uid)

    def _after_reset(self) -> None:
        if self._current is None:
            if not self._opened_first and self.model.rowCount():
                # Open on the first row, so the form shows a record, not a blank.
                self._opened_first = True
                self.table.selectionModel().setCurrentIndex(self.model.index(0, 0), SELECT_ROW)
            return
        row = self.model.row_of_uid(self._current)
        if row is None:
            return
        self._moving_back = True
        try:
            index = self.model.index(row, 0)
            self.table.selectionModel().setCurrentIndex(index, SELECT_ROW)
        finally:
            self._moving_back = False

    def _focus_form(self, _index: QModelIndex | None = None) -> None:
        self.form.setFocus(Qt.FocusReason.OtherFocusReason)
        self.form.focusNextChild()

    def _form_call(self, name: str, *args: Any, default: Any = None) -> Any:
        method = getattr(self.form, name, None)
        return method(*args) if callable(method) else default

    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()
