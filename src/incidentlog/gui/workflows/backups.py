"""File ▸ Backup, Restore from backup and Backup settings, and the backups made around opening.

A restore closes the log first (the file must be closed to be replaced), sets the
current file aside and opens the restored one the way the log was open (read-only or
not). A file refused as damaged is offered its newest good backup; a log that opens
gets its daily backup in the background.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from incidentlog.domain.errors import IncidentLogError, StorageError
from incidentlog.gui.errors import show_error
from incidentlog.gui.workflows.base import Workflow

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog

    from incidentlog.gui.context import AppContext

#: How long the status bar says where a restore set the previous file (ms).
RESTORED_MESSAGE_MS = 30_000
#: How long the status bar says the daily backup failed (ms).
DAILY_FAILED_MESSAGE_MS = 15_000


class BackupWorkflow(Workflow):
    """Backs up, restores and configures backups for the window's log."""

    def backup(self) -> None:
        """File ▸ Backup: a verified copy of the open database, in the background."""
        if self.context is None:
            return
        from incidentlog.gui.exchange_dialogs import start_backup

        start_backup(self.context, self.window)

    def settings_dialog(self) -> QDialog:
        """File ▸ Backup settings: a preference, so it needs no open database."""
        from incidentlog.gui.backups import BackupSettingsDialog

        dialog = BackupSettingsDialog(self.window.settings, self.window)
        dialog.open()
        return dialog

    def restore_dialog(self) -> QDialog | None:
        """File ▸ Restore from backup: pick a backup; the current file is set aside."""
        if self.context is None or self.context.services.database.path is None:
            return None
        from incidentlog.gui.backups import RestoreDialog

        database = self.context.services.database.path
        dialog = RestoreDialog(database, self.window)
        dialog.accepted.connect(lambda: self._restore(database, dialog.chosen()))
        dialog.open()
        return dialog

    def _restore(self, database: Path, backup: Path | None) -> None:
        window = self.window
        if backup is None:
            return
        from incidentlog.gui.backups import confirm_unverified, restore

        anyway = confirm_unverified(window, database, backup)
        if anyway is False or not window.maybe_leave_forms():
            return
        read_only = self.read_only
        window.set_context(None)  # the file must be closed to be replaced
        try:
            aside = restore(database, backup, force=bool(anyway))
        except IncidentLogError as exc:
            show_error(window, exc)
        else:
            if aside is not None:
                window.statusBar().showMessage(self.tr(
                    "Restored; the previous file was set aside as {0}").format(aside.name),
                    RESTORED_MESSAGE_MS)
        window.open_database_file(database, read_only=read_only)

    def offer_good_backup(self, path: Path, error: StorageError) -> bool:
        """A file refused as damaged: offer its newest good backup; True once restored."""
        from incidentlog.gui.backups import offer_good_backup

        return offer_good_backup(self.window, path, error)

    def start_daily(self, context: AppContext) -> None:
        """The daily backup of a log just opened, in the background."""
        from incidentlog.gui.backups import start_daily_backup

        start_daily_backup(context, self._daily_failed)

    def _daily_failed(self, error: BaseException) -> None:
        text = getattr(error, "message", str(error))
        self.window.statusBar().showMessage(
            self.tr("The daily backup failed: {0}").format(text), DAILY_FAILED_MESSAGE_MS)
