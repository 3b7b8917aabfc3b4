"""File ▸ Restore from backup, File ▸ Backup settings (how many automatic backups are
kept), the newest good backup offered for a damaged file, and the daily backup made in
the background after a database opens."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.errors import StorageError
from incidentlog.gui import plain_text
from incidentlog.gui.context import AppContext
from incidentlog.gui.plain_text import plain_label
from incidentlog.gui.settings import (
    BACKUP_KEEP,
    MAX_BACKUP_KEEP,
    MIN_BACKUP_KEEP,
    Settings,
)
from incidentlog.store.backup import BackupInfo, backup_counts, backup_if_due, list_backups
from incidentlog.store.safe_paths import non_regular_kind


def backup_keep(settings: Settings) -> int:
    """How many daily, pre-import and pre-migration backups to keep (see ``BACKUP_KEEP``)."""
    return settings.get(BACKUP_KEEP)


def set_backup_keep(settings: Settings, keep: int) -> None:
    settings.set(BACKUP_KEEP, min(max(int(keep), MIN_BACKUP_KEEP), MAX_BACKUP_KEEP))


class BackupSettingsDialog(QDialog):
    """File ▸ Backup settings: how many automatic backups of each kind are kept."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.setObjectName("backupSettingsDialog")
        self.setWindowTitle(self.tr("Backup settings"))
        self.setAccessibleName(self.tr("Backup settings"))
        self.keep = QSpinBox(self)
        self.keep.setObjectName("backupKeep")
        self.keep.setRange(MIN_BACKUP_KEEP, MAX_BACKUP_KEEP)
        self.keep.setValue(backup_keep(settings))
        self.keep.setAccessibleName(self.tr("Backups of each kind to keep"))
        explain = QLabel(self.tr(
            "incidentlog backs up the open log once a day, before every import and before "
            "an upgrade, into a folder beside it. Of each kind, the newest ones are kept "
            "and older ones removed, each time after a new backup was made and checked. "
            "Backups you make with File ▸ Backup… are never removed."), self)
        explain.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("&Keep the newest:"), self.keep)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(460, 200)

    def accept(self) -> None:
        set_backup_keep(self._settings, self.keep.value())
        super().accept()


def _describe(info: BackupInfo) -> tuple[str, str, str]:
    try:
        counts = backup_counts(info.path)
        held = f"{counts.get('incident', 0):,} incidents, {counts.get('source', 0):,} sources, " \
               f"{counts.get('quote', 0):,} quotes"
    except StorageError:
        held = "cannot be read"
    why = info.reason.replace("-", " ")
    if not info.verified:  # "daily unverified" → "daily (audit log did not verify)"
        why = why.rsplit(" ", 1)[0] + " (audit log did not verify)"
    return info.made_at.strftime("%Y-%m-%d %H:%M UTC"), why, held


class RestoreDialog(QDialog):
    """The backups of a database, newest first, with their dates and record counts."""

    def __init__(self, database: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("restoreDialog")
        self.setWindowTitle(self.tr("Restore from backup"))
        self.setAccessibleName(self.tr("Restore from backup"))
        self.backups = list_backups(database)
        self.list = QTreeWidget(self)
        self.list.setObjectName("backupList")
        self.list.setAccessibleName(self.tr("Backups"))
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels([self.tr("Made"), self.tr("Why"), self.tr("Holds")])
        for info in self.backups:
            item = QTreeWidgetItem(list(_describe(info)))
            item.setData(0, Qt.ItemDataRole.UserRole, str(info.path))
            item.setToolTip(0, str(info.path))
            self.list.addTopLevelItem(item)
        for column in range(3):
            self.list.resizeColumnToContents(column)
        if self.backups:
            first = self.list.topLevelItem(0)
            if first is not None:
                self.list.setCurrentItem(first)
        explain = plain_label(self.tr(
            "Restoring puts the chosen backup in place of {0}. The current file is not "
            "deleted: it is set aside beside it, renamed with the date.").format(database.name),
            self)
        explain.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.restore_button = buttons.addButton(self.tr("&Restore"),
                                                QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(bool(self.backups))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if not self.backups:
            layout.addWidget(QLabel(self.tr("There are no backups of this database yet."), self))
        layout.addWidget(self.list, 1)
        layout.addWidget(explain)
        layout.addWidget(buttons)
        self.resize(620, 360)

    def chosen(self) -> Path | None:
        item = self.list.currentItem()
        return Path(item.data(0, Qt.ItemDataRole.UserRole)) if item is not None else None


def restore(database: Path, backup: Path, *, force: bool = False) -> Path | None:
    """Put ``backup`` in place of ``database`` (which must be closed); returns the set-aside.

    A backup whose audit log does not verify is refused unless ``force``."""
    from incidentlog.store.restore import restore_backup  # not on the start path

    return restore_backup(backup, database, force=force)


def confirm_unverified(parent: QWidget, database: Path, backup: Path) -> bool | None:
    """Before restoring: None when ``backup`` verifies; else say so loudly and return
    whether the user still wants it restored (not the default)."""
    from incidentlog.store.restore import backup_problems

    try:
        problems = backup_problems(backup, database)
    except StorageError:
        return None  # unreadable: the restore itself reports it
    if not problems:
        return None
    listed = "\n".join(f"• {problem}" for problem in problems[:5])
    more = f"\n… and {len(problems) - 5} more" if len(problems) > 5 else ""
    answer = plain_text.warning(
        parent, parent.tr("This backup did not verify"), parent.tr(
            "The audit log of the backup {0} was changed by another program:\n\n{1}{2}\n\n"
            "Restoring it would put a log in place that cannot be trusted, and "
            "'incidentlog check' will go on reporting it. Restore it anyway?").format(
            backup.name, listed, more),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def offer_good_backup(parent: QWidget, database: Path, error: StorageError) -> bool:
    """After a refused open: offer the newest good backup. True when one was restored."""
    if not database.exists() or "newer version" in error.message:
        return False  # a newer incidentlog's file is fine; an older backup would lose work
    if non_regular_kind(database) is not None:
        return False  # a link or a pipe: a restore would replace what is not ours
    from incidentlog.store.restore import newest_good_backup

    info = newest_good_backup(database)
    if info is None:
        return False
    made, _why, held = _describe(info)
    answer = plain_text.question(
        parent, parent.tr("Restore the newest good backup?"), parent.tr(
            "{0}\n\nA good backup of this database exists, made {1} ({2}).\n\n"
            "Restore it? The current file is not deleted: it is set aside beside it.").format(
            error.message, made, held),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No)
    if answer != QMessageBox.StandardButton.Yes:
        return False
    restore(database, info.path)
    return True


def start_daily_backup(context: AppContext, on_failure: Callable[[BaseException], None]) -> None:
    """The rotating daily backup, off the GUI thread; silent unless it fails.

    ``on_failure`` should be a bound method of a QObject (the main window), so
    that Qt drops the connection if that object is gone when the answer comes.
    """
    database = context.services.database.path
    if database is None or context.read_only:
        return
    keep = backup_keep(context.settings)  # read here: QSettings belongs to the GUI thread

    def work(_progress: object, _cancelled: object) -> Path | None:
        return backup_if_due(database, keep=keep)

    task = context.runner.start(work)
    task.failed.connect(on_failure)
