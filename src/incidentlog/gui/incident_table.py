"""The incident table's view and its cell delegates (the model: ``incident_model``).

The view publishes its current row and selection to the shared
``SelectionState`` and follows the current incident when another part (the
form, the timeline) changes it; one delegate fills each cell's style option in
one call, and the status shows as a coloured badge.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QKeyEvent,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QMenu,
    QTableView,
    QWidget,
)

from incidentlog.domain.records import Incident
from incidentlog.gui.context import AppContext
from incidentlog.gui.incident_delegates import (
    HEADER_KEY,
    IncidentCellDelegate,
    StatusBadgeDelegate,
    default_layout,
    fit_title,
    one_line_rows,
)
from incidentlog.gui.incident_model import IncidentTableModel
from incidentlog.gui.lazy_model import (
    RECORD_ROLE,
    UID_ROLE,
)

SELECT_ROW = (QItemSelectionModel.SelectionFlag.ClearAndSelect
              | QItemSelectionModel.SelectionFlag.Rows)


class IncidentTable(QTableView):
    """The incident list: shares the filter, the current incident and the selection."""

    openRequested = Signal(str)  # uid: Enter or double-click

    HEADER_KEY = HEADER_KEY
    MAX_SELECTION = 20_000  # beyond this, "export selection" should use the filter

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._settings = context.settings
        self._following = False
        self._title_to_fit = False
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_title)
        self._configure_view()
        self.incident_model = self._build_model(context)
        self._configure_header()
        self._selection_timer = QTimer(self)
        self._selection_timer.setSingleShot(True)
        self._selection_timer.setInterval(0)
        self._appended_out_of_view = False
        self._connect(context)
        # Open on the first incident, so the form beside shows a record, not a blank; rows
        # loaded on a worker arrive later, and the first page then brings it.
        self._choose_first_row = not context.state.current_incident
        self._open_after_paint: str | None = None
        if context.state.current_incident:
            self.show_incident(context.state.current_incident)
        else:
            self._open_on_first_row()

    def _configure_view(self) -> None:
        """Whole rows, several at once, read-only, one line each; Tab leaves the table."""
        self.setObjectName("incidentTable")
        self.setAccessibleName(self.tr("Incidents"))
        self.setAccessibleDescription(self.tr(
            "The incidents that match the filter. Enter opens the selected incident."))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        one_line_rows(self)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setTabKeyNavigation(False)

    def _build_model(self, context: AppContext) -> IncidentTableModel:
        """The model of the shared filter, and the delegates that paint its cells."""
        model = IncidentTableModel(context.services.incident_query, context.state.filter,
                                   parent=self, runner=context.runner)
        self.incident_model = model  # set before setModel, as the methods it may call read it
        self.setModel(model)
        self._cell_delegate = IncidentCellDelegate(model, self)
        self.setItemDelegate(self._cell_delegate)
        self._status_delegate = StatusBadgeDelegate(model, self)
        self.setItemDelegateForColumn(model.column_index("status"), self._status_delegate)
        return model

    def _configure_header(self) -> None:
        header = self.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self.restore_layout()
        self.setSortingEnabled(True)  # sorts by the restored indicator: one SQL reload

    def _connect(self, context: AppContext) -> None:
        """The table follows the shared state and the log's changes, and publishes its own."""
        self._selection_timer.timeout.connect(self._publish_selection)
        selection = self.selectionModel()
        selection.selectionChanged.connect(self._selection_changed)
        selection.currentRowChanged.connect(self._current_row_changed)
        self.doubleClicked.connect(self._open_index)
        self.incident_model.modelReset.connect(self._after_reset)
        self.incident_model.rowsInserted.connect(self._rows_inserted)
        context.state.filterChanged.connect(self.incident_model.set_filter)
        context.state.currentIncidentChanged.connect(self.show_incident)
        context.bus.changed.connect(self.incident_model.handle_changes)

    # --- layout (remembered) ------------------------------------------------------
    def restore_layout(self) -> None:
        header = self.horizontalHeader()
        saved = self._settings.state(self.HEADER_KEY)
        if saved is not None and header.restoreState(saved) \
                and header.count() == self.incident_model.columnCount():
            return
        self.reset_layout()

    def reset_layout(self) -> None:
        default_layout(self.horizontalHeader(), self.incident_model.columns)
        self._title_to_fit = True
        self._fit_timer.start()

    def _fit_title(self) -> None:
        """After a reset, give the title the width the other columns leave (once shown)."""
        if not self._title_to_fit or not self.isVisible() or self.viewport().width() < 100:
            return
        self._title_to_fit = False
        fit_title(self.horizontalHeader(), self.incident_model.column_index("title"),
                  self.viewport().width())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # A first page of what fits on screen and as much again to scroll into.
        rows = self.viewport().height() // max(1, self.verticalHeader().defaultSectionSize())
        self.incident_model.first_page_size = max(50, 2 * rows + 10)
        if self._title_to_fit:
            self._fit_timer.start()  # once the window's layout has settled

    def save_layout(self) -> None:
        self._settings.set_state(self.HEADER_KEY, self.horizontalHeader().saveState())

    def _header_menu(self, pos: QPoint) -> None:
        header = self.horizontalHeader()
        menu = QMenu(self)
        menu.setAccessibleName(self.tr("Columns"))
        visible = [n for n in range(header.count()) if not header.isSectionHidden(n)]
        for visual in range(header.count()):
            number = header.logicalIndex(visual)
            title = self.incident_model.headerData(number, Qt.Orientation.Horizontal)
            action = menu.addAction(str(title))
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(number))
            action.setEnabled(not (len(visible) == 1 and number in visible))
            action.toggled.connect(
                lambda shown, n=number: header.setSectionHidden(n, not shown))
        menu.addSeparator()
        menu.addAction(self.tr("Reset columns"), self.reset_layout)
        menu.popup(header.mapToGlobal(pos))

    # --- shared state -------------------------------------------------------------
    def current_uid(self) -> str | None:
        index = self.currentIndex()
        return index.data(UID_ROLE) if index.isValid() else None

    def current_incident(self) -> Incident | None:
        index = self.currentIndex()
        return index.data(RECORD_ROLE) if index.isValid() else None

    def selected_rows(self) -> list[int]:
        rows: list[int] = []
        selection = self.selectionModel().selection()
        for number in range(selection.count()):  # the stubs give QItemSelection no __iter__
            selected = selection.at(number)
            rows.extend(range(selected.top(), selected.bottom() + 1))
        return sorted(set(rows))

    def selected_uids(self) -> tuple[str, ...]:
        rows = self.selected_rows()[: self.MAX_SELECTION]
        return tuple(self.incident_model.uids_of_rows(rows))

    def show_incident(self, uid: str | None) -> None:
        """Follow the shared current incident: select it and scroll to it."""
        if uid is None or uid == self.current_uid():
            return
        row = self.incident_model.row_of_uid(uid)
        self._following = True
        try:
            if row is None:
                self.selectionModel().clearCurrentIndex()
                self.clearSelection()
                return
            index = self.incident_model.index(row, self._first_visible_column())
            self.selectionModel().setCurrentIndex(index, SELECT_ROW)
            self.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        finally:
            self._following = False
        self._publish_selection()

    def _first_visible_column(self) -> int:
        header = self.horizontalHeader()
        for visual in range(header.count()):
            number = header.logicalIndex(visual)
            if not header.isSectionHidden(number):
                return number
        return 0

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._following:
            return
        uid = current.data(UID_ROLE) if current.isValid() else None
        if uid is not None:
            self._context.state.set_current_incident(uid)

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._selection_timer.start()

    def _publish_selection(self) -> None:
        self._context.state.set_selected_incidents(self.selected_uids())

    def _rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        # The full id list arriving below a first page: rows out of view.
        bottom = self.rowAt(self.viewport().height() - 1)
        self._appended_out_of_view = bottom != -1 and first > bottom
        # A row placed where it belongs (an incident just created here or elsewhere):
        # the one the form shows is selected once it is there.
        uid = self._context.state.current_incident
        if uid is not None and first == last and uid != self.current_uid() and (
                self.incident_model.uid_at(first) == uid):
            self.show_incident(uid)

    def doItemsLayout(self) -> None:
        if self._appended_out_of_view:
            # Only the scroll bar's range changed: Qt would also repaint every row
            # on screen (~50 ms at 1M, blocking whatever the reviewer does next).
            self._appended_out_of_view = False
            self.updateGeometries()
            return
        super().doItemsLayout()

    def _after_reset(self) -> None:
        self._appended_out_of_view = False
        # Lay the rows out now rather than on the view's zero timer: that timer
        # fires after the first paint and repaints the whole viewport again,
        # doubling the cost of every new first screen (~50 ms at 1M).
        self.executeDelayedItemsLayout()
        uid = self._context.state.current_incident
        if uid is not None:
            self._choose_first_row = False
            self.show_incident(uid)
        else:
            self._open_on_first_row()
        if not self.currentIndex().isValid():
            self._publish_selection()

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt override
        super().paintEvent(event)
        if self._open_after_paint is not None:
            QTimer.singleShot(0, self, self._open_first_row_now)

    def _open_first_row_now(self) -> None:
        uid, self._open_after_paint = self._open_after_paint, None
        if uid is not None and uid == self.current_uid() and (
                self._context.state.current_incident is None):
            self._context.state.set_current_incident(uid)

    def _open_on_first_row(self) -> None:
        """Once, when the log is opened: the first row becomes current as soon as it is there."""
        if not self._choose_first_row:
            return
        if self.incident_model.rowCount():
            self._choose_first_row = False
            index = self.incident_model.index(0, self._first_visible_column())
            if not self.viewport().isVisible():
                self.selectionModel().setCurrentIndex(index, SELECT_ROW)
                return
            # The row is selected now, but the form beside it reads and lays out its
            # incident (~90 ms at 1M) only once these rows are painted: the rows are what
            # the reviewer waits for (docs/performance.md).
            self._following = True
            try:
                self.selectionModel().setCurrentIndex(index, SELECT_ROW)
            finally:
                self._following = False
            self._open_after_paint = index.data(UID_ROLE)
        elif not self.incident_model.loading:
            self._choose_first_row = False  # an empty log: a later row is not "the first"

    # --- opening --------------------------------------------------------------------
    def _open_index(self, index: QModelIndex) -> None:
        uid = index.data(UID_ROLE) if index.isValid() else None
        if uid:
            self._context.state.set_current_incident(uid)
            self.openRequested.emit(uid)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                event.modifiers() in (Qt.KeyboardModifier.NoModifier,
                                      Qt.KeyboardModifier.KeypadModifier):
            self._open_index(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)

