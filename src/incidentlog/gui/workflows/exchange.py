"""File ▸ Export and Import, and the demo data offered on the first start."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

from incidentlog.gui import plain_text
from incidentlog.gui.workflows.base import Workflow

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog


class ExchangeWorkflow(Workflow):
    """Opens the export and import dialogs on the window's log; loads the demo data."""

    def export_dialog(self, scope: str | None = None, fmt: str | None = None) -> QDialog | None:
        """The export dialog; ``fmt`` chooses the format (Export as ▸ Report… and the like)."""
        if self.context is None:
            return None
        from incidentlog.gui.exchange_dialogs import ExportDialog

        dialog = ExportDialog(self.context, self.window, scope=scope, fmt=fmt)
        dialog.open()
        return dialog

    def import_dialog(self, path: Path | None = None) -> QDialog | None:
        """The import dialog; with ``path``, that file is checked at once (dry run)."""
        if self.context is None or self.read_only:
            return None
        from incidentlog.gui.exchange_dialogs import ImportDialog

        dialog = ImportDialog(self.context, self.window)
        dialog.open()
        if path is not None:
            dialog.file_edit.setText(str(path))
            dialog.check()
        return dialog

    def table_import_dialog(self, path: Path | None = None) -> QDialog | None:
        """Import from CSV or spreadsheet; with ``path``, that file is read at once."""
        if self.context is None or self.read_only:
            return None
        from incidentlog.gui.table_import_dialog import TableImportDialog

        dialog = TableImportDialog(self.context, self.window)
        dialog.open()
        if path is not None:
            dialog.open_file(path)
        return dialog

    def offer_demo_data(self) -> bool:
        """First start: offer to fill the new, empty log with the demo data set."""
        if self.context is None or self.read_only:
            return False
        answer = plain_text.question(
            self.window, self.tr("Welcome to incidentlog"), self.tr(
                "Your incident log is empty. Load the demo data set (a few incidents of "
                "January–August 2024 with their quotes and sources) to try incidentlog out?"
                "\n\nYou can delete them later, or start a new log with File ▸ New database."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        from incidentlog.gui.exchange_dialogs import load_demo_data

        return load_demo_data(self.context, self.window)
