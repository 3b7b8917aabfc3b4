"""Showing errors: what happened and what to do, never a traceback.

The services raise ``IncidentLogError`` subclasses whose message is already a
sentence a user can act on; this module gives each kind a title and a hint,
offers the two ways out of an edit conflict, and turns an unexpected
exception (a bug) into a dialog with the details collapsed instead of a
traceback on a terminal nobody is looking at.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from enum import Enum
from types import TracebackType

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from incidentlog.domain.errors import (
    Cancelled,
    ConflictError,
    ExchangeError,
    IncidentLogError,
    NotFoundError,
    ReadOnlyError,
    StorageError,
    ValidationError,
)
from incidentlog.gui import plain_text


def _tr(text: str) -> str:
    return QCoreApplication.translate("errors", text)


def title_and_hint(error: IncidentLogError) -> tuple[str, str]:
    """A window title and the advice shown under the error's own sentence."""
    if isinstance(error, ValidationError):
        return _tr("Cannot save"), _tr("Correct the fields named above, then save again.")
    if isinstance(error, ConflictError):
        return _tr("Changed by someone else"), _tr(
            "Reload to see their version, or keep yours and save it over theirs."
        )
    if isinstance(error, ReadOnlyError):
        return _tr("Read-only database"), _tr(
            "Open a copy you can write (File ▸ Open…), or ask for write access to the file."
        )
    if isinstance(error, NotFoundError):
        return _tr("Record not found"), _tr(
            "Someone may have purged it. The list has been refreshed."
        )
    if isinstance(error, ExchangeError):
        return _tr("Import or export problem"), _tr(
            "Nothing was written. Correct the file at the place named above and try again."
        )
    if isinstance(error, Cancelled):
        return _tr("Cancelled"), ""
    if isinstance(error, StorageError):
        return _tr("Database problem"), _tr(
            "Your earlier work is safe in the file. If this repeats, make a backup "
            "(File ▸ Backup…) and run 'incidentlog check'."
        )
    return _tr("Cannot do that"), ""


def show_error(parent: QWidget | None, error: IncidentLogError) -> None:
    """A warning with the error's sentence and what to do next.

    A static ``QMessageBox`` call, so that tests can patch it like every other.
    """
    title, hint = title_and_hint(error)
    text = f"{error.message}\n\n{hint}" if hint else error.message
    if isinstance(error, Cancelled):
        plain_text.information(parent, title, text)
    else:
        plain_text.warning(parent, title, text)


class ConflictChoice(Enum):
    RELOAD = "reload"
    KEEP_MINE = "keep_mine"
    CANCEL = "cancel"


def ask_conflict(parent: QWidget | None, error: ConflictError) -> ConflictChoice:
    """Reload theirs, keep mine (save with ``force=True``), or decide later."""
    box = QMessageBox(parent)
    box.setObjectName("conflictMessage")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(_tr("Changed by someone else"))
    box.setText(error.message)
    reload_button = box.addButton(_tr("&Reload theirs"), QMessageBox.ButtonRole.AcceptRole)
    keep_button = box.addButton(_tr("&Keep mine"), QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(reload_button)
    box.exec()
    clicked = box.clickedButton()
    if clicked is reload_button:
        return ConflictChoice.RELOAD
    if clicked is keep_button:
        return ConflictChoice.KEEP_MINE
    return ConflictChoice.CANCEL


ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], None]


def show_unexpected(parent: QWidget | None, exc_type: type[BaseException],
                    exc: BaseException, tb: TracebackType | None) -> None:
    """A bug: say so plainly, keep the traceback under "Show Details…"."""
    box = QMessageBox(parent)
    box.setObjectName("unexpectedError")
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(_tr("Unexpected error"))
    box.setText(_tr("Something went wrong inside incidentlog: {0}").format(
        f"{exc_type.__name__}: {exc}"))
    box.setInformativeText(_tr(
        "Everything saved before this is safe. Save your open form if you can, then "
        "restart incidentlog. Please report the details below to the developers."))
    box.setDetailedText("".join(traceback.format_exception(exc_type, exc, tb)))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.exec()


def install_excepthook(parent: Callable[[], QWidget | None]) -> ExceptHook:
    """Route uncaught exceptions to a dialog (and still to stderr); returns the old hook.

    ``parent`` is asked at the time of the error, because the main window may
    have been rebuilt since the hook was installed.
    """
    previous = sys.excepthook
    busy = False

    def hook(exc_type: type[BaseException], exc: BaseException,
             tb: TracebackType | None) -> None:
        nonlocal busy
        previous(exc_type, exc, tb)  # keep the traceback on stderr for the log
        if issubclass(exc_type, KeyboardInterrupt):
            app = QApplication.instance()
            if app is not None:
                app.quit()
            return
        if busy or QApplication.instance() is None:
            return
        busy = True  # an error inside the dialog must not open another one
        try:
            if isinstance(exc, IncidentLogError):
                show_error(parent(), exc)
            else:
                show_unexpected(parent(), exc_type, exc, tb)
        finally:
            busy = False

    sys.excepthook = hook
    return previous
