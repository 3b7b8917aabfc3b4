"""Every option the GUI keeps, declared once with its type and default.

User preferences and window state are kept apart (as Picard's ``config.py``
does): window geometry and header layouts live under ``state/`` and may be
thrown away at any time without losing a preference. The ``QSettings`` is
always passed in; ``open_settings`` makes the one the application uses, an
INI file in incidentlog's data folder, so a test (which points
``INCIDENTLOG_DATA_DIR`` at a temporary folder) never reads the user's.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from incidentlog import paths
from incidentlog.store.safe_paths import (
    create_private_file,
    make_private_folder,
    refuse_unless_regular,
)

SETTINGS_FILE_NAME = "settings.ini"
MAX_RECENT = 8


def settings_path() -> Path:
    return paths.data_dir() / SETTINGS_FILE_NAME


def open_settings(path: Path | None = None) -> QSettings:
    """The application's settings file (INI, so it is readable and portable).

    Owner-only, like everything incidentlog writes: the file is made here
    (0600, in a 0700 folder) before Qt first writes it, since Qt keeps the
    permissions of a file it rewrites but makes a new one by the umask. A path
    that is not a regular file is refused (``StorageError``): Qt would read a
    named pipe put there for ever.
    """
    target = path or settings_path()
    refuse_unless_regular(target, "The settings file")
    with contextlib.suppress(OSError):  # a folder that cannot be written: Qt says so itself
        make_private_folder(target.parent)
        os.close(create_private_file(target))
    return QSettings(str(target), QSettings.Format.IniFormat)


class Settings:
    """Typed access to a ``QSettings``; one method pair per option."""

    RECENT = "files/recent"
    LAST_DIR = "files/last_dir"
    GEOMETRY = "state/geometry"
    WINDOW_STATE = "state/window"
    CURRENT_VIEW = "state/current_view"

    def __init__(self, qsettings: QSettings) -> None:
        self.qsettings = qsettings

    # --- recent databases ---------------------------------------------------
    def recent_databases(self) -> list[str]:
        value = self.qsettings.value(self.RECENT, [])
        if isinstance(value, str):  # QSettings returns a lone string for a 1-item list
            value = [value]
        return [str(item) for item in (value or []) if item]

    def add_recent_database(self, path: str | Path) -> None:
        text = str(Path(path).expanduser().absolute())
        recent = [text, *(p for p in self.recent_databases() if p != text)][:MAX_RECENT]
        self.qsettings.setValue(self.RECENT, recent)

    def remove_recent_database(self, path: str) -> None:
        self.qsettings.setValue(self.RECENT, [p for p in self.recent_databases() if p != path])

    def clear_recent_databases(self) -> None:
        self.qsettings.setValue(self.RECENT, [])

    # --- folders ------------------------------------------------------------
    def last_dir(self) -> str:
        return str(self.qsettings.value(self.LAST_DIR, "") or "")

    def set_last_dir(self, folder: str | Path) -> None:
        self.qsettings.setValue(self.LAST_DIR, str(folder))

    # --- window state ---------------------------------------------------------
    def state(self, key: str) -> QByteArray | None:
        """Saved geometry/state blob under ``state/<key>``; None when there is none."""
        value = self.qsettings.value(f"state/{key}")
        if isinstance(value, QByteArray) and not value.isEmpty():
            return value
        return None

    def set_state(self, key: str, value: QByteArray) -> None:
        self.qsettings.setValue(f"state/{key}", value)

    def current_view(self) -> int:
        try:
            return int(self.qsettings.value(self.CURRENT_VIEW, 0))
        except (TypeError, ValueError):
            return 0

    def set_current_view(self, index: int) -> None:
        self.qsettings.setValue(self.CURRENT_VIEW, index)

    def sync(self) -> None:
        self.qsettings.sync()
