"""Import, export and backup dialogs: the work runs off the GUI thread, with progress.

Each job is a plain function handed to the context's ``TaskRunner`` with plain
values (the services, a filter, a path); its result comes back by signal.
Cancel asks the exchange code to stop, which then writes nothing: a cancelled
export leaves no file and a cancelled import changes nothing. An import is
always checked first (a dry run) and its report shown; only "Import" applies
it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressDialog,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.errors import Cancelled, IncidentLogError
from incidentlog.domain.query import IncidentFilter
from incidentlog.gui import briefing_export, plain_text
from incidentlog.gui.context import AppContext
from incidentlog.gui.errors import show_error
from incidentlog.gui.settings import LAST_DIR
from incidentlog.gui.workers import Task, Work

JSON, CSV = "json", "csv"
SCOPES = ("all", "filter", "selection")


def run_with_progress(context: AppContext, parent: QWidget, title: str, work: Work,
                      on_success: Callable[[Any], None],
                      on_failure: Callable[[BaseException], None]) -> Task:
    """Run ``work`` on the context's runner behind a progress dialog with Cancel."""
    progress = QProgressDialog(title, parent.tr("Cancel"), 0, 0, parent)
    progress.setObjectName("progressDialog")
    progress.setAccessibleName(title)
    progress.setWindowTitle(title)
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(400)  # quick jobs never flash a dialog
    progress.setAutoClose(False)
    progress.setAutoReset(False)
    progress.setValue(0)
    finished = False

    def show_progress(done: int, total: int) -> None:
        if finished:
            return
        if total > 0:
            progress.setMaximum(total)
            progress.setValue(min(done, total))
        else:
            progress.setMaximum(0)

    def close_progress() -> None:
        nonlocal finished
        finished = True
        progress.canceled.disconnect()
        progress.reset()
        progress.hide()
        progress.deleteLater()

    def succeeded(result: Any) -> None:
        close_progress()
        on_success(result)

    def failed(error: BaseException) -> None:
        close_progress()
        on_failure(error)

    task = Task(work)
    task.progressed.connect(show_progress)
    task.succeeded.connect(succeeded)
    task.failed.connect(failed)
    progress.canceled.connect(task.cancel)
    context.runner.submit(task)
    return task


def _failure_handler(parent: QWidget) -> Callable[[BaseException], None]:
    def handle(error: BaseException) -> None:
        if isinstance(error, Cancelled):
            return
        if isinstance(error, IncidentLogError):
            show_error(parent, error)
            return
        raise error  # a bug: the excepthook reports it

    return handle


class ExportDialog(QDialog):
    """Format (CSV or JSON), scope (all, the filter, the selection), destination."""

    exportFinished = Signal(object)  # ExportReport, or the exception (Cancelled included)

    def __init__(self, context: AppContext, parent: QWidget | None = None, *,
                 scope: str | None = None, fmt: str | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._settings = context.settings
        self.task: Task | None = None
        self.setObjectName("exportDialog")
        self.setWindowTitle(self.tr("Export"))
        self.setAccessibleName(self.tr("Export"))
        self._build_format()
        scope_box = self._build_scope(scope)
        destination = self._build_destination()
        self._build_layout(scope_box, destination)
        self.browse_button.clicked.connect(self.browse)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        self.destination_edit.textChanged.connect(self._update_buttons)
        if fmt is not None:
            self.set_format(fmt)
        self._format_changed()
        self._update_buttons()

    def _build_format(self) -> None:
        self.format_combo = QComboBox(self)
        self.format_combo.setObjectName("exportFormat")
        self.format_combo.setAccessibleName(self.tr("Format"))
        self.format_combo.addItem(self.tr("CSV — three spreadsheet files (incidents, sources, "
                                          "quotes)"), CSV)
        self.format_combo.addItem(self.tr("JSON — one document that imports into incidentlog"),
                                  JSON)
        for fmt in briefing_export.BRIEFING_FORMATS:
            self.format_combo.addItem(briefing_export.label(fmt), fmt.key)

    def _build_scope(self, scope: str | None) -> QVBoxLayout:
        """All, the filter or the selection, with how many incidents each holds."""
        state = self._context.state
        query = self._context.services.incident_query
        total = query.count(IncidentFilter())
        matching = query.count(state.filter) if not state.filter.is_empty else total
        selected = len(state.selected_incidents)
        self.scope_buttons = QButtonGroup(self)
        self.scope_all = QRadioButton(self.tr("The &whole log ({0})").format(
            self._incidents(total)), self)
        self.scope_filter = QRadioButton(self.tr("The current &filter ({0})").format(
            self._incidents(matching)), self)
        self.scope_selection = QRadioButton(self.tr("The se&lection ({0})").format(
            self._incidents(selected)), self)
        for number, (name, button) in enumerate((("scopeAll", self.scope_all),
                                                 ("scopeFilter", self.scope_filter),
                                                 ("scopeSelection", self.scope_selection))):
            button.setObjectName(name)
            button.setAccessibleName(button.text().replace("&", ""))
            self.scope_buttons.addButton(button, number)
        self.scope_filter.setEnabled(not state.filter.is_empty)
        self.scope_selection.setEnabled(selected > 0)
        if scope == "selection" and selected:
            self.scope_selection.setChecked(True)
        elif scope == "filter" or (scope is None and not state.filter.is_empty):
            self.scope_filter.setChecked(not state.filter.is_empty)
            self.scope_all.setChecked(state.filter.is_empty)
        else:
            self.scope_all.setChecked(True)
        scope_box = QVBoxLayout()
        scope_box.setSpacing(2)
        for button in (self.scope_all, self.scope_filter, self.scope_selection):
            scope_box.addWidget(button)
        scope_note = QLabel(self.tr("Sources and quotes of the chosen incidents go with them."),
                            self)
        scope_note.setEnabled(False)
        scope_box.addWidget(scope_note)
        return scope_box

    def _build_destination(self) -> QHBoxLayout:
        self.destination_edit = QLineEdit(self)
        self.destination_edit.setObjectName("exportDestination")
        self.destination_edit.setAccessibleName(self.tr("Destination"))
        self.destination_edit.setMinimumWidth(360)
        self.browse_button = QPushButton(self.tr("&Browse…"), self)
        self.browse_button.setObjectName("exportBrowse")
        self.browse_button.setAccessibleName(self.tr("Choose the destination"))
        destination = QHBoxLayout()
        destination.addWidget(self.destination_edit, 1)
        destination.addWidget(self.browse_button)
        return destination

    def _build_layout(self, scope_box: QVBoxLayout, destination: QHBoxLayout) -> None:
        form = QFormLayout()
        form.addRow(self.tr("F&ormat:"), self.format_combo)
        form.addRow(self.tr("Incidents:"), scope_box)
        save_to = QLabel(self.tr("&Save to:"), self)
        save_to.setBuddy(self.destination_edit)
        form.addRow(save_to, destination)
        self.report_title_edit = QLineEdit(self)
        self.report_title_edit.setObjectName("exportReportTitle")
        self.report_title_edit.setAccessibleName(self.tr("Report title"))
        self.report_title_edit.setPlaceholderText(self.tr("Incident briefing (the default)"))
        self.report_title_label = QLabel(self.tr("T&itle:"), self)
        self.report_title_label.setBuddy(self.report_title_edit)
        form.addRow(self.report_title_label, self.report_title_edit)
        self.template_row = self._build_template()
        form.addRow(self.template_label, self.template_row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = self.buttons.addButton(self.tr("&Export"),
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("exportStart")
        self.export_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    def _build_template(self) -> QWidget:
        """A report's template: the built-in one, or a desk's own Jinja2 file."""
        row = QWidget(self)
        self.template_edit = QLineEdit(row)
        self.template_edit.setObjectName("exportTemplate")
        self.template_edit.setAccessibleName(self.tr("Report template"))
        self.template_edit.setPlaceholderText(self.tr("the built-in template"))
        self.template_button = QPushButton(self.tr("Te&mplate…"), row)
        self.template_button.setObjectName("exportTemplateBrowse")
        self.template_button.clicked.connect(self._browse_template)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.template_edit, 1)
        layout.addWidget(self.template_button)
        self.template_label = QLabel(self.tr("&Template:"), self)
        self.template_label.setBuddy(self.template_edit)
        return row

    def _browse_template(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        folder = self._settings.get(LAST_DIR) or str(Path.home())
        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("Report template"), folder, self.tr("Templates (*.html *.j2)"))
        if path:
            self.template_edit.setText(path)

    def report_title(self) -> str | None:
        """The report's title as typed; None for the default."""
        return self.report_title_edit.text().strip() or None

    def template(self) -> Path | None:
        text = self.template_edit.text().strip()
        return Path(text).expanduser() if text else None

    # --- choices ---------------------------------------------------------------------
    def _incidents(self, count: int) -> str:
        return (self.tr("1 incident") if count == 1
                else self.tr("{0} incidents").format(f"{count:,}"))

    @property
    def format(self) -> str:
        return str(self.format_combo.currentData())

    def set_format(self, fmt: str) -> None:
        self.format_combo.setCurrentIndex(self.format_combo.findData(fmt))

    def scope(self) -> str:
        return SCOPES[max(self.scope_buttons.checkedId(), 0)]

    def chosen_filter(self) -> IncidentFilter | None:
        state = self._context.state
        scope = self.scope()
        if scope == "filter":
            return state.filter
        if scope == "selection":
            return IncidentFilter(uids=tuple(state.selected_incidents))
        return None

    def _format_changed(self) -> None:
        self.destination_edit.clear()
        report = self.format in briefing_export.REPORT_FORMATS
        self.template_row.setVisible(report)
        self.template_label.setVisible(report)
        self.report_title_edit.setVisible(report)
        self.report_title_label.setVisible(report)

    def _update_buttons(self) -> None:
        self.export_button.setEnabled(bool(self.destination_edit.text().strip()))

    def browse(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        folder = self._settings.get(LAST_DIR) or str(Path.home())
        stamp = datetime.now(UTC).strftime("%Y-%m-%d")
        briefing = briefing_export.by_key(self.format)
        if self.format == CSV:
            path = QFileDialog.getExistingDirectory(
                self, self.tr("Folder for the CSV files"), folder)
        elif briefing is not None:
            path, _filter = QFileDialog.getSaveFileName(
                self, self.tr("Export"), str(Path(folder) / f"incidents-{stamp}{briefing.suffix}"),
                self.tr(briefing.file_filter))
        else:
            path, _filter = QFileDialog.getSaveFileName(
                self, self.tr("Export to JSON"), str(Path(folder) / f"incidents-{stamp}.json"),
                self.tr("JSON documents (*.json)"))
        if path:
            self.destination_edit.setText(path)
            self._settings.set(LAST_DIR, str(Path(path) if self.format == CSV
                                             else Path(path).parent))

    # --- running ---------------------------------------------------------------------
    def start(self) -> None:
        """Export on the runner; the dialog closes when the file is written."""
        text = self.destination_edit.text().strip()
        if not text or self.task is not None:
            return
        target = Path(text).expanduser()
        briefing = briefing_export.by_key(self.format)
        suffix = briefing.suffix if briefing is not None else ".json"
        if self.format != CSV and target.suffix.lower() != suffix:
            target = target.with_name(target.name + suffix)
        services = self._context.services
        flt = self.chosen_filter()
        fmt = self.format
        if briefing is not None:
            self._start(briefing_export.briefing_work(fmt, services, target, flt,
                                                      self.template(), self.report_title()))
            return

        def work(progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> Any:
            from incidentlog.exchange import export_csv, export_json

            if fmt == CSV:
                return export_csv(services, target, flt, progress=progress, cancel=cancelled)
            return export_json(services, target, flt, progress=progress, cancel=cancelled)

        self._start(work)

    def _start(self, work: Work) -> None:
        self.export_button.setEnabled(False)
        task = run_with_progress(self._context, self, self.tr("Exporting…"), work,
                                 self._succeeded, self._failed)
        self.task = None if task.done else task  # a runner may have finished it already

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _succeeded(self, report: Any) -> None:
        self.task = None
        summary = report.summary() if hasattr(report, "summary") else str(report)
        self.exportFinished.emit(report)
        self.accept()
        plain_text.information(self.parentWidget(), self.tr("Export finished"), summary)

    def _failed(self, error: BaseException) -> None:
        self.task = None
        self.export_button.setEnabled(True)
        self.exportFinished.emit(error)
        if isinstance(error, Cancelled):
            self.reject()
            return
        _failure_handler(self)(error)


class ImportDialog(QDialog):
    """Choose a JSON export; its dry-run report is shown; "Import" applies it."""

    checked = Signal(object)  # ImportReport of the dry run, or the exception
    imported = Signal(object)  # ImportReport of the import, or the exception

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._settings = context.settings
        self.task: Task | None = None
        self.report: Any = None
        self.setObjectName("importDialog")
        self.setWindowTitle(self.tr("Import"))
        self.setAccessibleName(self.tr("Import"))

        self.file_edit = QLineEdit(self)
        self.file_edit.setObjectName("importFile")
        self.file_edit.setAccessibleName(self.tr("File to import"))
        self.file_edit.setMinimumWidth(380)
        self.browse_button = QPushButton(self.tr("&Browse…"), self)
        self.browse_button.setObjectName("importBrowse")
        self.browse_button.setAccessibleName(self.tr("Choose the file to import"))
        self.check_button = QPushButton(self.tr("&Check"), self)
        self.check_button.setObjectName("importCheck")
        self.check_button.setAccessibleName(self.tr("Check the file without importing"))
        row = QHBoxLayout()
        row.addWidget(self.file_edit, 1)
        row.addWidget(self.browse_button)
        row.addWidget(self.check_button)
        self.report_view = QPlainTextEdit(self)
        self.report_view.setObjectName("importReport")
        self.report_view.setAccessibleName(self.tr("What the import would do"))
        self.report_view.setReadOnly(True)
        self.report_view.setPlaceholderText(self.tr(
            "Choose a JSON export: it is checked first, and what importing it would add, "
            "update or leave alone is shown here. Nothing is written until you click Import."))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.apply_button = self.buttons.addButton(self.tr("&Import"),
                                                   QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setObjectName("importApply")
        self.apply_button.setEnabled(False)
        layout = QVBoxLayout(self)
        label = QLabel(self.tr("JSON &export to merge into this log:"), self)
        label.setBuddy(self.file_edit)
        layout.addWidget(label)
        layout.addLayout(row)
        layout.addWidget(self.report_view, 1)
        layout.addWidget(self.buttons)
        self.resize(640, 420)

        self.browse_button.clicked.connect(self.browse)
        self.check_button.clicked.connect(self.check)
        self.file_edit.returnPressed.connect(self.check)
        self.file_edit.textChanged.connect(self._file_changed)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        self._file_changed()

    def _file_changed(self) -> None:
        self.report = None
        self.apply_button.setEnabled(False)
        self.check_button.setEnabled(bool(self.file_edit.text().strip()))

    def browse(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("Import a JSON export"), self._settings.get(LAST_DIR),
            self.tr("JSON documents (*.json);;All files (*)"))
        if path:
            self._settings.set(LAST_DIR, str(Path(path).parent))
            self.file_edit.setText(path)
            self.check()

    def _path(self) -> Path:
        return Path(self.file_edit.text().strip()).expanduser()

    def check(self) -> None:
        """The dry run: everything an import does, rolled back, and its report."""
        if self.task is not None or not self.file_edit.text().strip():
            return
        self.report_view.setPlainText(self.tr("Checking…"))
        task = self._run(dry_run=True, on_success=self._checked, title=self.tr("Checking…"))
        self.task = None if task.done else task  # a runner may have finished it already

    def apply(self) -> None:
        if self.task is not None or self.report is None:
            return
        self.apply_button.setEnabled(False)
        task = self._run(dry_run=False, on_success=self._imported, title=self.tr("Importing…"))
        self.task = None if task.done else task

    def _run(self, *, dry_run: bool, on_success: Callable[[Any], None], title: str) -> Task:
        from incidentlog.gui.backups import backup_keep

        services = self._context.services
        path = self._path()
        keep = backup_keep(self._context.settings)  # File ▸ Backup settings; GUI thread

        def work(progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> Any:
            from incidentlog.exchange import import_json
            from incidentlog.store.backup import backup_database

            database = services.database.path

            def backup() -> None:
                # A verified backup before every import that changes the log; a refused
                # import, or one that changes nothing, makes none (it would rotate one out).
                if database is not None:
                    backup_database(database, reason="pre-import", keep=keep)

            return import_json(services, path, dry_run=dry_run, progress=progress,
                               cancel=cancelled, before_commit=backup)

        def failed(error: BaseException) -> None:
            self.task = None
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
        changed = bool(getattr(report, "changed", True))
        self.apply_button.setEnabled(changed)
        if not changed:
            self.report_view.appendPlainText(self.tr("\nThis log has everything in the file "
                                                     "already: there is nothing to import."))
        self.checked.emit(report)

    def _imported(self, report: Any) -> None:
        self.task = None
        self.report_view.setPlainText(report.summary())
        self.imported.emit(report)
        self.accept()
        plain_text.information(self.parentWidget(), self.tr("Import finished"),
                                report.summary())


def demo_data_path() -> Path | None:
    try:
        found = resources.files("incidentlog.resources").joinpath("demo/demo.json")
        path = Path(str(found))
    except (ModuleNotFoundError, TypeError):
        return None
    return path if path.is_file() else None


def load_demo_data(context: AppContext, parent: QWidget) -> bool:
    """Import the shipped demo data set (first start); False when it is not installed."""
    path = demo_data_path()
    if path is None:
        plain_text.information(parent, parent.tr("Demo data"), parent.tr(
            "The demo data set is not installed with this copy of incidentlog."))
        return False
    services = context.services

    def work(progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> Any:
        from incidentlog.exchange import import_json

        return import_json(services, path, progress=progress, cancel=cancelled)

    run_with_progress(context, parent, parent.tr("Loading the demo data…"), work,
                      lambda _report: None, _failure_handler(parent))
    return True


def start_backup(context: AppContext, parent: QWidget) -> Task | None:
    """Ask where, then copy the database there (verified), off the GUI thread."""
    from PySide6.QtWidgets import QFileDialog

    database = context.services.database.path
    if database is None:
        plain_text.information(parent, parent.tr("Backup"), parent.tr(
            "This database is on a server; back it up with the server's own tools."))
        return None
    settings = context.settings
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    suggestion = Path(settings.get(LAST_DIR) or database.parent) / \
        f"{database.stem}-backup-{stamp}.sqlite3"
    path, _filter = QFileDialog.getSaveFileName(
        parent, parent.tr("Back up to"), str(suggestion),
        parent.tr("incidentlog databases (*.sqlite3)"))
    if not path:
        return None
    target = Path(path)
    settings.set(LAST_DIR, str(target.parent))

    def work(_progress: Callable[[int, int], None],
             _cancelled: Callable[[], bool]) -> tuple[Path, list[str]]:
        from incidentlog.store.backup import backup_database

        problems: list[str] = []
        return backup_database(database, out=target, audit=problems), problems

    def succeeded(result: tuple[Path, list[str]]) -> None:
        written, problems = result
        if not problems:
            plain_text.information(parent, parent.tr("Backup finished"), parent.tr(
                "A verified copy of the database was written to\n{0}").format(written))
            return
        plain_text.warning(parent, parent.tr("The audit log did not verify"), parent.tr(
            "A copy of the database was written to\n{0}\nas evidence, but its audit log "
            "was changed by another program:\n\n{1}\n\n"
            "Run 'incidentlog check' for the whole list.").format(
            written, "\n".join(f"• {problem}" for problem in problems[:5])))

    return run_with_progress(context, parent, parent.tr("Backing up…"), work, succeeded,
                             _failure_handler(parent))
