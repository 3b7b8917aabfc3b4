"""File ▸ Import from CSV or spreadsheet: the column mapping, edited over the file's first rows.

The top table shows the file's first rows under a combo box per column, holding
the field that column is read into (guessed when the file is chosen: a built-in
layout, or the headers and content, ``exchange.tabular.guess``). The date
format, time zone and encoding apply to the whole file. The preview below shows
what each of the first rows would become, or its problems. "Check" reads the
whole file as a dry run and shows the import's report; "Import" applies it, off
the GUI thread with progress and Cancel, as the JSON import does
(``exchange_dialogs.ImportDialog``). Every cell shown is plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.errors import IncidentLogError
from incidentlog.exchange.tabular import (
    BUILTIN_MAPPINGS,
    FIELD_LABELS,
    ColumnMapping,
    Preview,
    guess_mapping,
    load_mapping,
    preview_table,
    save_mapping,
)
from incidentlog.gui import plain_text
from incidentlog.gui.context import AppContext
from incidentlog.gui.errors import show_error
from incidentlog.gui.exchange_dialogs import _failure_handler, run_with_progress
from incidentlog.gui.settings import LAST_DIR
from incidentlog.gui.widgets.places import TimeZoneCombo
from incidentlog.gui.workers import Task

__all__ = ["TableImportDialog"]

#: Rows shown under the combo boxes, and rows previewed.
SAMPLE_ROWS = 8
PREVIEW_ROWS = 200
_DATE_FORMATS = ("auto", "%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%d.%m.%Y")
_ENCODINGS = ("auto", "utf-8", "utf-8-sig", "utf-16", "cp1256", "cp1252")
_PREVIEW_COLUMNS = (("title", "Title"), ("occurred", "Occurred"), ("place", "Place"),
                    ("country", "Country"), ("killed", "Killed"), ("event_type", "Event type"))
_FILES = "Tables (*.csv *.tsv *.txt *.xlsx *.xlsm *.ods);;All files (*)"


class TableImportDialog(QDialog):
    """Choose a table, correct the mapping, preview, check, import."""

    checked = Signal(object)  # ImportReport of the dry run, or the exception
    imported = Signal(object)  # ImportReport of the import, or the exception

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.task: Task | None = None
        self.report: Any = None
        self.mapping = ColumnMapping()
        self.preview: Preview | None = None
        self._header: list[str] = []
        self.setObjectName("tableImportDialog")
        self.setWindowTitle(self.tr("Import from CSV or spreadsheet"))
        self.setAccessibleName(self.windowTitle())
        self._build()
        self.resize(1000, 680)
        self._update_buttons()

    # --- building --------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_file())
        layout.addLayout(self._build_options())
        layout.addWidget(self._build_tables(), 1)
        layout.addWidget(self._build_buttons())

    def _build_file(self) -> QHBoxLayout:
        self.file_edit = QLineEdit(self)
        self.file_edit.setObjectName("tableFile")
        self.file_edit.setAccessibleName(self.tr("Table to import"))
        self.file_edit.setReadOnly(True)
        browse = QPushButton(self.tr("&Browse…"), self)
        browse.setObjectName("tableBrowse")
        browse.clicked.connect(self.browse)
        self.preset = QComboBox(self)
        self.preset.setObjectName("tableMappingPreset")
        self.preset.setAccessibleName(self.tr("Mapping"))
        self.preset.addItem(self.tr("Guessed from the file"), "guess")
        for key, mapping in BUILTIN_MAPPINGS.items():
            self.preset.addItem(self.tr("Built-in: {0}").format(mapping.name), key)
        self.preset.activated.connect(lambda _i: self._preset_chosen())
        load = QPushButton(self.tr("&Load mapping…"), self)
        load.setObjectName("tableLoadMapping")
        load.clicked.connect(self.load_mapping)
        self.save_button = QPushButton(self.tr("Sa&ve mapping…"), self)
        self.save_button.setObjectName("tableSaveMapping")
        self.save_button.clicked.connect(self.save_mapping)
        top = QHBoxLayout()
        top.addWidget(self.file_edit, 1)
        top.addWidget(browse)
        top.addWidget(self.preset)
        top.addWidget(load)
        top.addWidget(self.save_button)
        return top

    def _build_options(self) -> QFormLayout:
        self.date_format = self._editable_combo("tableDateFormat", _DATE_FORMATS)
        self.zone = TimeZoneCombo(self)
        self.zone.setObjectName("tableTimeZone")
        self.zone.set_zone("UTC")
        self.encoding = self._editable_combo("tableEncoding", _ENCODINGS)
        self.date_format.setToolTip(self.tr(
            "auto reads 2024-01-20, 20/01/2024, 20 January 2024 (day first); otherwise a "
            "strptime format such as %m/%d/%Y"))
        options = QFormLayout()
        options.addRow(self.tr("&Date format:"), self.date_format)
        options.addRow(self.tr("Time &zone of the dates:"), self.zone)
        options.addRow(self.tr("&Encoding:"), self.encoding)
        for combo in (self.date_format, self.encoding):
            line = combo.lineEdit()
            assert line is not None
            line.editingFinished.connect(self._options_changed)
            combo.activated.connect(lambda _i: self._options_changed())
        self.zone.resolved.connect(self._options_changed)
        return options

    def _build_tables(self) -> QSplitter:
        self.columns_table = QTableWidget(self)
        self.columns_table.setObjectName("tableColumns")
        self.columns_table.setAccessibleName(self.tr("The file's columns and what each is"))
        self.columns_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table = QTableWidget(self)
        self.preview_table.setObjectName("tablePreview")
        self.preview_table.setAccessibleName(self.tr("What each row would become"))
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.setWordWrap(False)
        self.status = QLabel(self)
        self.status.setObjectName("tablePreviewStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.report_view = QPlainTextEdit(self)
        self.report_view.setObjectName("tableReport")
        self.report_view.setReadOnly(True)
        self.report_view.setPlaceholderText(self.tr(
            "Check reads the whole file and shows what importing it would do. Nothing is "
            "written until you click Import, and a file with a problem in any row imports "
            "nothing."))

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.columns_table)
        below = QWidget(splitter)
        below_layout = QVBoxLayout(below)
        below_layout.setContentsMargins(0, 0, 0, 0)
        below_layout.addWidget(self.status)
        below_layout.addWidget(self.preview_table, 2)
        below_layout.addWidget(self.report_view, 1)
        splitter.addWidget(below)
        splitter.setStretchFactor(1, 2)
        return splitter

    def _build_buttons(self) -> QDialogButtonBox:
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.check_button = self.buttons.addButton(self.tr("&Check"),
                                                   QDialogButtonBox.ButtonRole.ActionRole)
        self.check_button.setObjectName("tableCheck")
        self.apply_button = self.buttons.addButton(self.tr("&Import"),
                                                   QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setObjectName("tableApply")
        self.check_button.clicked.connect(self.check)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        return self.buttons

    def _editable_combo(self, name: str, items: tuple[str, ...]) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.addItems(list(items))
        return combo

    # --- the file and the mapping ----------------------------------------------------------

    def browse(self) -> None:
        settings = self._context.settings
        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("Import a table"), settings.get(LAST_DIR), self.tr(_FILES))
        if path:
            settings.set(LAST_DIR, str(Path(path).parent))
            self.open_file(Path(path))

    def open_file(self, path: Path) -> None:
        """Read the file's head, guess the mapping, show the preview."""
        self.file_edit.setText(str(path))
        self.preset.setCurrentIndex(0)
        self._guess()

    def _path(self) -> Path:
        return Path(self.file_edit.text().strip()).expanduser()

    def _guess(self) -> None:
        try:
            encoding = self.encoding.currentText().strip() or "auto"
            head = preview_table(self._path(), ColumnMapping(encoding=encoding), PREVIEW_ROWS)
        except IncidentLogError as error:
            self._fail_preview(error)
            return
        mapping = guess_mapping(head.header, head.cells)
        builtin = self.preset.findData(next(
            (key for key, known in BUILTIN_MAPPINGS.items() if known is mapping), "guess"))
        self.preset.setCurrentIndex(max(0, builtin))
        self.set_mapping(mapping)

    def _preset_chosen(self) -> None:
        key = self.preset.currentData()
        if key == "guess":
            if self.file_edit.text():
                self._guess()
            return
        self.set_mapping(BUILTIN_MAPPINGS[key])

    def load_mapping(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("Load a mapping"), self._context.settings.get(LAST_DIR),
            self.tr("Mappings (*.json);;All files (*)"))
        if not path:
            return
        try:
            self.set_mapping(load_mapping(Path(path)))
        except IncidentLogError as error:
            show_error(self, error)

    def save_mapping(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Save the mapping"), self._context.settings.get(LAST_DIR),
            self.tr("Mappings (*.json)"))
        if not path:
            return
        try:
            save_mapping(self.mapping, Path(path))
        except IncidentLogError as error:
            show_error(self, error)

    def set_mapping(self, mapping: ColumnMapping) -> None:
        """Show ``mapping`` in the controls, then the preview through it."""
        self.mapping = mapping
        self.date_format.setEditText(mapping.date_format)
        self.zone.set_zone(mapping.tz)
        self.encoding.setEditText(mapping.encoding)
        self.refresh()

    def _options_changed(self) -> None:
        mapping = replace(
            self.mapping,
            date_format=self.date_format.currentText().strip() or "auto",
            encoding=self.encoding.currentText().strip() or "auto",
            tz=self.zone.zone_name() if self.zone.is_valid() else self.mapping.tz,
        )
        if mapping != self.mapping:
            self.mapping = mapping
            self.refresh()

    def _column_changed(self, header: str, combo: QComboBox) -> None:
        self.mapping = self.mapping.with_column(header, combo.currentData() or None)
        self.refresh()

    # --- the preview -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the file's first rows through the mapping; fill both tables."""
        self.report = None
        self.report_view.clear()
        if not self.file_edit.text().strip():
            self._update_buttons()
            return
        try:
            self.preview = preview_table(self._path(), self.mapping, PREVIEW_ROWS)
        except IncidentLogError as error:
            self._fail_preview(error)
            return
        self._fill_columns(self.preview)
        self._fill_preview(self.preview)
        self._update_buttons()

    def _fail_preview(self, error: IncidentLogError) -> None:
        self.preview = None
        self.columns_table.clear()
        self.preview_table.clear()
        self.status.setText(error.message)
        self._update_buttons()

    def _fill_columns(self, preview: Preview) -> None:
        table = self.columns_table
        header = preview.header
        table.clear()
        table.setColumnCount(len(header))
        sample = preview.cells[:SAMPLE_ROWS]
        table.setRowCount(1 + len(sample))
        table.setHorizontalHeaderLabels(header)
        table.setVerticalHeaderLabels(["→", *(str(row.line) for row in preview.rows[:SAMPLE_ROWS])])
        for column, name in enumerate(header):
            combo = QComboBox(table)
            combo.setAccessibleName(self.tr("Field of the column {0}").format(name))
            combo.addItem(self.tr("(not imported)"), "")
            for key, label in FIELD_LABELS.items():
                combo.addItem(self.tr(label), key)
            combo.setCurrentIndex(max(0, combo.findData(self.mapping.columns.get(name, ""))))
            combo.activated.connect(
                lambda _i, name=name, combo=combo: self._column_changed(name, combo))
            table.setCellWidget(0, column, combo)
            for row, cells in enumerate(sample, start=1):
                text = cells[column] if column < len(cells) else ""
                table.setItem(row, column, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        for column in range(len(header)):
            table.setColumnWidth(column, min(max(table.columnWidth(column), 150), 260))

    def _fill_preview(self, preview: Preview) -> None:
        table = self.preview_table
        table.clear()
        labels = [self.tr("Problems"), *(self.tr(label) for _key, label in _PREVIEW_COLUMNS)]
        table.setColumnCount(len(labels))
        table.setHorizontalHeaderLabels(labels)
        table.setRowCount(len(preview.rows))
        table.setVerticalHeaderLabels([str(row.line) for row in preview.rows])
        bad = QBrush(QColor("#fde2e1"))
        for number, row in enumerate(preview.rows):
            problems = "; ".join(row.problems)
            cells = [problems, *_shown(row.checked)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if problems:
                    item.setBackground(bad)
                    item.setToolTip(problems)
                table.setItem(number, column, item)
        table.resizeColumnsToContents()
        table.setColumnWidth(0, min(table.columnWidth(0), 420))
        missing = (self.tr(" Columns the mapping reads but the file lacks: {0}.").format(
            ", ".join(preview.missing)) if preview.missing else "")
        self.status.setText(self.tr(
            "{0} rows previewed (the first {1} at most), {2} with problems; encoding {3}.{4}"
        ).format(len(preview.rows), PREVIEW_ROWS, preview.problem_rows, preview.encoding,
                 missing))

    def _update_buttons(self) -> None:
        ready = self.preview is not None and self.task is None and not self.preview.missing
        self.check_button.setEnabled(ready)
        self.apply_button.setEnabled(ready and self.report is not None)
        self.save_button.setEnabled(bool(self.mapping.columns))

    # --- check and import ------------------------------------------------------------------

    def check(self) -> None:
        """The dry run over the whole file: its report, or the rows with problems."""
        if self.task is not None or self.preview is None:
            return
        self.report_view.setPlainText(self.tr("Checking…"))
        task = self._run(dry_run=True, on_success=self._checked, title=self.tr("Checking…"))
        self.task = None if task.done else task
        self._update_buttons()

    def apply(self) -> None:
        if self.task is not None or self.report is None:
            return
        self.apply_button.setEnabled(False)
        task = self._run(dry_run=False, on_success=self._imported, title=self.tr("Importing…"))
        self.task = None if task.done else task

    def _run(self, *, dry_run: bool, on_success: Callable[[Any], None], title: str) -> Task:
        from incidentlog.gui.backups import backup_keep

        services = self._context.services
        path, mapping = self._path(), self.mapping
        keep = backup_keep(self._context.settings)

        def work(progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> Any:
            from incidentlog.exchange.tabular import import_table
            from incidentlog.store.backup import backup_database

            database = services.database.path

            def backup() -> None:
                if database is not None:
                    backup_database(database, reason="pre-import", keep=keep)

            return import_table(services, path, mapping, dry_run=dry_run, progress=progress,
                                cancel=cancelled, before_commit=backup)

        def failed(error: BaseException) -> None:
            self.task = None
            self._update_buttons()
            (self.checked if dry_run else self.imported).emit(error)
            if isinstance(error, IncidentLogError):
                self.report_view.setPlainText(error.message)
                if dry_run:
                    return
            _failure_handler(self)(error)

        return run_with_progress(self._context, self, title, work, on_success, failed)

    def _checked(self, report: Any) -> None:
        self.task = None
        self.report = report
        self.report_view.setPlainText(report.summary())
        self._update_buttons()
        self.apply_button.setEnabled(bool(report.changed))
        self.checked.emit(report)

    def _imported(self, report: Any) -> None:
        self.task = None
        self.imported.emit(report)
        self.accept()
        plain_text.information(self.parentWidget(), self.tr("Import finished"),
                               report.summary())


def _shown(incident: Any) -> list[str]:
    """The preview's cells of a checked incident (empty for a row with problems)."""
    if incident is None:
        return [""] * len(_PREVIEW_COLUMNS)
    occurred = incident.occurred.display() if incident.occurred else ""
    return [incident.title or "", occurred, incident.place or "", incident.country or "",
            incident.killed.display(), incident.event_type or ""]
