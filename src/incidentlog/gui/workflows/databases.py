"""File ▸ Open, Open read-only, New database and Recent databases: which file to open.

The window opens the chosen file (``MainWindow.open_database_file``); this remembers
the folder last used and the files opened recently (in the settings).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMenu

from incidentlog.gui import plain_text
from incidentlog.gui.settings import LAST_DIR
from incidentlog.gui.workflows.base import Workflow

DATABASE_FILTER = "incidentlog databases (*.sqlite3 *.sqlite *.db);;All files (*)"


class DatabaseWorkflow(Workflow):
    """Asks which database to open or create and hands it to the window."""

    def _choose_database(self, title: str) -> str:
        settings = self.window.settings
        path, _filter = QFileDialog.getOpenFileName(self.window, title, settings.get(LAST_DIR),
                                                    self.tr(DATABASE_FILTER))
        if path:
            settings.set(LAST_DIR, str(Path(path).parent))
        return path

    def open_dialog(self, read_only: bool = False) -> None:
        title = self.tr("Open a log read-only") if read_only else self.tr("Open a log")
        path = self._choose_database(title)
        if path:
            self.window.open_database_file(path, read_only=read_only)

    def new_database_dialog(self) -> None:
        settings = self.window.settings
        path, _filter = QFileDialog.getSaveFileName(
            self.window, self.tr("New incident log"),
            str(Path(settings.get(LAST_DIR) or Path.home()) / "incidents.sqlite3"),
            self.tr(DATABASE_FILTER))
        if not path:
            return
        target = Path(path)
        if target.exists() and target.stat().st_size > 0:
            plain_text.information(self.window, self.tr("New incident log"), self.tr(
                "{0} exists already; it is opened instead of being replaced.").format(path))
        settings.set(LAST_DIR, str(target.parent))
        self.window.open_database_file(target)

    def fill_recent_menu(self, menu: QMenu) -> None:
        """File ▸ Recent databases, filled each time it opens."""
        settings = self.window.settings
        menu.clear()
        recent = settings.recent_databases()
        for number, path in enumerate(recent, start=1):
            action = menu.addAction(f"&{number} {path}")
            action.setData(path)
            action.triggered.connect(
                lambda _c=False, p=path: self.window.open_database_file(p))
        if not recent:
            empty = menu.addAction(self.tr("(none yet)"))
            empty.setEnabled(False)
        menu.addSeparator()
        clear = menu.addAction(self.tr("&Clear the list"), settings.clear_recent_databases)
        clear.setEnabled(bool(recent))
