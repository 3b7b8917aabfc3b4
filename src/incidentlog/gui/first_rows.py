"""The log's first rows on screen while the rest of the application loads.

Opening a log imports the data layer and every view (about half a second,
most of it SQLAlchemy) before the table reads its first page. The rows that
page will hold can be read sooner: with the standard library's sqlite3, the
same query the table's first page makes on an unfiltered log (the live
incidents in the table's sort order), turned into records and cells by the
same code the table uses, painted by the same delegates, in a page laid out
like the incidents view. The window shows it right after its first paint;
the workspace replaces it when it is built, with the same rows in the same
places. Anything unusual (not our file, another schema revision, a damaged
or locked file, another view last on screen) shows no preview: the normal
open then says what is wrong. See docs/performance.md, "Start-up".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.columns import INCIDENT_COLUMNS, Column
from incidentlog.domain.query import Sort
from incidentlog.domain.records import Incident
from incidentlog.gui.incident_cells import DEFAULT_SORT, incident_cell
from incidentlog.gui.incident_delegates import (
    HEADER_KEY,
    IncidentCellDelegate,
    StatusBadgeDelegate,
    default_layout,
    fit_title,
    one_line_rows,
)
from incidentlog.gui.settings import Settings
from incidentlog.store.first_page import read_first_rows

SPLITTER_KEY = "incidentSplitter"

Index = QModelIndex | QPersistentModelIndex


class FirstRowsModel(QAbstractTableModel):
    """A fixed list of incidents, with the table's columns and cells (``incident_cells``)."""

    def __init__(self, incidents: list[Incident], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns: tuple[Column[Incident], ...] = tuple(INCIDENT_COLUMNS)
        self.incidents = incidents

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.incidents)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def record_at(self, row: int) -> Incident | None:
        return self.incidents[row] if 0 <= row < len(self.incidents) else None

    def cell(self, column: Column[Any], record: Any, role: int) -> Any:
        return incident_cell(column, record, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # Qt override
        record = self.record_at(index.row()) if index.isValid() else None
        if record is None:
            return None
        return incident_cell(self.columns[index.column()], record, role)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # Qt override
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.columns)):
            return self.columns[section].header
        return None


def header_sort(header: QHeaderView, columns: tuple[Column[Any], ...]) -> Sort | None:
    """The sort the table's restored header asks for; None when it cannot be read."""
    section = header.sortIndicatorSection()
    if not 0 <= section < len(columns) or columns[section].sort is None:
        return None
    descending = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    return Sort(columns[section].sort or DEFAULT_SORT.column, descending=descending)


class FirstRowsPage(QTabWidget):
    """The incidents view's shape (view tabs, filter bar's height, table, form's width)
    holding the first rows; read-only, and gone when the workspace is built."""

    def __init__(self, settings: Settings, incidents: list[Incident],
                 painted: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRowsPage")
        self.setDocumentMode(True)
        self._painted: Callable[[], None] | None = painted
        self.model = FirstRowsModel(incidents, self)
        self.table = _table(self.model, settings)
        # Without a saved layout the table gives the title what the other columns leave.
        self._title_to_fit = settings.state(HEADER_KEY) is None
        self.table.viewport().installEventFilter(self)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(6)
        # Where the filter bar will be (a search line above a line of filters): the rows
        # stay where they are when the workspace replaces this page.
        filter_space = QWidget()
        filter_space.setFixedHeight(2 * QLineEdit().sizeHint().height() + 6)
        left_layout.addWidget(filter_space)
        left_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(QWidget())  # where the form will be
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        saved = settings.state(SPLITTER_KEY)
        if saved is None or not splitter.restoreState(saved):
            splitter.setSizes([920, 460])
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(splitter)
        for title in (self.tr("&Incidents"), self.tr("&Sources"), self.tr("&Quotes"),
                      self.tr("&Timeline")):
            self.addTab(page if self.count() == 0 else QWidget(), title)
        for number in range(1, self.count()):
            self.setTabEnabled(number, False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if event.type() == QEvent.Type.Resize and self._title_to_fit:
            title = next(n for n, c in enumerate(self.model.columns) if c.key == "title")
            fit_title(self.table.horizontalHeader(), title, self.table.viewport().width())
        if event.type() == QEvent.Type.Paint and self._painted is not None:
            callback, self._painted = self._painted, None
            callback()  # once: the rows are on screen
        return False


def _table(model: FirstRowsModel, settings: Settings) -> QTableView:
    table = QTableView()
    table.setObjectName("firstRowsTable")
    table.setAccessibleName(table.tr("Incidents"))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    one_line_rows(table)
    table.setModel(model)
    table.setItemDelegate(IncidentCellDelegate(model, table))
    status = next(n for n, column in enumerate(model.columns) if column.key == "status")
    table.setItemDelegateForColumn(status, StatusBadgeDelegate(model, table))
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setStretchLastSection(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    saved = settings.state(HEADER_KEY)
    if saved is None or not header.restoreState(saved) or header.count() != len(model.columns):
        default_layout(header, model.columns)
    header.setSortIndicatorShown(True)
    return table


def first_rows_page(path: Path, settings: Settings, *, painted: Callable[[], None],
                    rows: int = 60) -> FirstRowsPage | None:
    """The page of the first ``rows`` incidents of ``path`` as the table will show them,
    or None when there is nothing to show or the file cannot be read this way."""
    header = QHeaderView(Qt.Orientation.Horizontal)
    model = FirstRowsModel([], header)
    header.setModel(model)
    saved = settings.state(HEADER_KEY)
    if saved is None or not header.restoreState(saved) or header.count() != len(model.columns):
        default_layout(header, model.columns)
    sort = header_sort(header, model.columns) or DEFAULT_SORT
    header.deleteLater()
    incidents = read_first_rows(path, sort, rows)
    if not incidents:
        return None
    return FirstRowsPage(settings, incidents, painted)
