"""Composition root of the desktop application: arguments → database → services → window.

Everything is built here, once, and handed down; nothing below reaches for a
global (STYLE: no god objects). ``build_main_window`` builds the whole
application for a command line without entering the event loop (tests and
the screenshot script use it); ``main`` adds the ``QApplication``, the
exception hook and the event loop.

Opening failures. When the database cannot be opened (not ours, too new,
damaged, locked, missing for ``--read-only``), the message says what happened
and what to do, and the window opens anyway with no database, on a page that
offers to open another file or create a new one: the user is never left with
a traceback or a window that vanished, and the file is left untouched.

First start. When no ``--db`` is given and the default database does not
exist yet, it is created in the data folder and, once the window is shown,
the user is offered the demo data set.

Start-up. ``main`` shows the window before opening the log: this module and
the window import Qt and the light domain modules only, and the views and the
data layer (SQLAlchemy alone takes 0.3–0.4 s to import) are imported when the
log is opened, just after the window's first paint. The window appears in
about the time a bare Qt window takes; the log's rows follow.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

import incidentlog
from incidentlog import paths
from incidentlog.domain.errors import StorageError
from incidentlog.gui.errors import install_excepthook, show_error
from incidentlog.gui.icons import app_icon
from incidentlog.gui.main_window import MainWindow
from incidentlog.gui.plain_text import install_tooltip_guard
from incidentlog.gui.settings import Settings, open_settings
from incidentlog.store.server_address import is_server

if TYPE_CHECKING:
    from incidentlog.gui.context import AppContext
    from incidentlog.gui.workers import TaskRunner

ORGANIZATION = "incidentlog"
APPLICATION = "incidentlog"


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="incidentlog", add_help=False)
    parser.add_argument("--db", type=_db_target, default=None, metavar="PATH")
    parser.add_argument("--read-only", action="store_true")
    # Set by ``incidentlog FILE`` (the desktop opening an export): offer to import it.
    parser.add_argument("--import-file", type=Path, default=None, metavar="FILE")
    args, _unknown = parser.parse_known_args(list(argv))  # Qt's own (-style …) pass through
    return args


def _db_target(text: str) -> Path | str:
    """A file's path, or a server log's ``postgresql://…`` address as given."""
    return text if is_server(text) else Path(text)


def open_context(path: Path | str, read_only: bool, *, settings: Settings,
                 runner: TaskRunner | None = None, actor: str | None = None) -> AppContext:
    """Open ``path`` and build everything a window needs on it; raises ``StorageError``."""
    # The data layer is imported here, not at start-up: the window is painted first.
    from PySide6.QtGui import QUndoStack

    from incidentlog.gui.backups import backup_keep
    from incidentlog.gui.context import AppContext, ChangeBus, SelectionState
    from incidentlog.gui.workers import TaskRunner
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    # The backup before an upgrade keeps as many as the user's setting says.
    database = open_database(path, read_only=read_only, backup_keep=backup_keep(settings))
    database.on_wait = waiting_for_import
    database.patience_s = WRITE_PATIENCE_S
    services = Services(database, actor=actor)
    return AppContext(
        services=services,
        state=SelectionState(),
        bus=ChangeBus(services),
        undo_stack=QUndoStack(),
        settings=settings,
        runner=runner or TaskRunner(),
    )


#: How long a save from the window waits for another program's write (an import from the
#: command line holds the lock for its whole transaction) before it is refused as busy.
WRITE_PATIENCE_S = 600.0


def waiting_for_import() -> None:
    """A save waits for an import to end (``Database.write``): say so in the window, and
    keep it painted meanwhile (the import's progress moves on). User input waits: the
    save is still under way."""
    from PySide6.QtCore import QEventLoop, QThread
    from PySide6.QtWidgets import QMainWindow

    app = QApplication.instance()
    if not isinstance(app, QApplication) or QThread.currentThread() is not app.thread():
        return  # a worker's write waits quietly
    notice = app.translate("app", "Waiting for the import to finish before saving…")
    for window in app.topLevelWidgets():
        if isinstance(window, QMainWindow) and window.isVisible():
            window.statusBar().showMessage(notice, 2000)
    app.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)


def build_main_window(argv: list[str], *, settings: QSettings | None = None,
                      runner: TaskRunner | None = None, open_later: bool = False) -> MainWindow:
    """The whole application for ``argv`` (``[--db PATH] [--read-only]``), not yet shown.

    A ``QApplication`` must exist. ``settings`` and ``runner`` default to the
    application's (an INI file in the data folder, a thread pool); tests pass
    their own. With ``open_later`` (the application's start) the database is
    opened once the window has been painted, not before it is built.
    """
    args = parse_arguments(argv)
    options = Settings(settings if settings is not None else open_settings())
    default = paths.default_database_path()
    path = args.db if isinstance(args.db, str) else (args.db or default).expanduser()
    first_start = args.db is None and not default.exists()

    def opener(target: Path | str, read_only: bool) -> AppContext:
        return open_context(target, read_only, settings=options, runner=runner)

    app = QApplication.instance()
    if isinstance(app, QApplication):
        install_tooltip_guard(app)  # every tooltip shows text as text: see gui/plain_text.py
    window = MainWindow(options, opener)
    window.restore_window_state()
    if open_later:
        window.open_after_first_paint(path, read_only=args.read_only, first_start=first_start,
                                      pending_import=args.import_file)
        return window
    opened = window.open_database_file(path, read_only=args.read_only)
    window.first_start = opened and first_start and not args.read_only
    window.pending_import = args.import_file if opened else None
    return window


def main(argv: Sequence[str] | None = None) -> int:
    """Start the desktop application; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    existing = QApplication.instance()  # typed as the QCoreApplication it may be
    app = (existing if isinstance(existing, QApplication)
           else QApplication([sys.argv[0], *arguments]))
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("incidentlog")
    app.setApplicationVersion(incidentlog.__version__)
    # The .desktop file's id, so Wayland docks match the window to its icon.
    app.setDesktopFileName("org.incidentlog.IncidentLog")
    app.setWindowIcon(app_icon())
    # The window is painted before the log is opened (and the data layer imported).
    try:
        window = build_main_window(arguments, open_later=True)
    except StorageError as exc:  # the settings file is not a file (the log opens later)
        show_error(None, exc)
        return 1
    previous_hook = install_excepthook(lambda: window)
    try:
        window.show()
        return int(app.exec())
    finally:
        sys.excepthook = previous_hook
