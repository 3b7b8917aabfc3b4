"""Every option the GUI keeps, declared once with its type and default.

One registry (as Picard's ``config.py`` has): each ``Option`` names its INI
section and key, its default and how a stored value is read back — QSettings
hands back strings, a lone string for a one-item list, or whatever a person
typed into the INI file, and an option turns that into its type or falls back to
its default, never into a traceback. Nothing else in the GUI reads or writes a
raw key: it asks ``Settings.get(OPTION)`` and ``Settings.set(OPTION, value)``.

User preferences and window state are kept apart: window geometry, splitter
positions and header layouts live under ``state/`` and may be thrown away at
any time without losing a preference. ``open_settings`` makes the file the
application uses, an INI file in incidentlog's data folder, so a test (which
points ``INCIDENTLOG_DATA_DIR`` at a temporary folder) never reads the user's.
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QByteArray, QSettings

from incidentlog import paths
from incidentlog.store.safe_paths import (
    create_private_file,
    make_private_folder,
    refuse_unless_regular,
)
from incidentlog.store.server_address import is_server

SETTINGS_FILE_NAME = "settings.ini"
MAX_RECENT = 8
#: The range of kept automatic backups the window offers (the command line's
#: ``--keep`` has no upper bound); mirrors ``store.backup.DEFAULT_KEEP``'s default.
MIN_BACKUP_KEEP, MAX_BACKUP_KEEP, DEFAULT_BACKUP_KEEP = 1, 100, 7

T = TypeVar("T")


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


@dataclass(frozen=True)
class Option(Generic[T]):
    """One preference: where it is kept, its default, how a stored value is read.

    ``read`` receives what QSettings returned (never None: a missing key gives the
    default without calling it) and returns the typed value; it raises
    ``ValueError`` or ``TypeError`` for a value it cannot use, and the default is
    used instead. ``write`` turns a typed value into what is stored.
    """

    section: str
    name: str
    default: T
    read: Callable[[object], T]
    write: Callable[[T], object] = lambda value: value

    @property
    def key(self) -> str:
        return f"{self.section}/{self.name}"


def _text(value: object) -> str:
    return str(value)


def _non_empty_text(value: object) -> str:
    if not str(value):
        raise ValueError("empty")
    return str(value)


def _string_list(value: object) -> list[str]:
    if isinstance(value, str):  # QSettings returns a lone string for a one-item list
        value = [value]
    if not isinstance(value, list):
        raise TypeError(f"not a list: {value!r}")
    return [str(item) for item in value if item]


def _clamped(low: int, high: int) -> Callable[[object], int]:
    def read(value: object) -> int:
        return min(max(int(str(value)), low), high)
    return read


def _optional_text(value: object) -> str | None:
    return str(value) or None


# --- the registry -----------------------------------------------------------------------
RECENT_DATABASES: Option[list[str]] = Option("files", "recent", [], _string_list)
LAST_DIR: Option[str] = Option("files", "last_dir", "", _text)
#: How many daily, pre-import and pre-migration backups to keep; a value edited by hand
#: into the INI file is clamped to the range the window offers (never "keep 0").
BACKUP_KEEP: Option[int] = Option("backups", "keep", DEFAULT_BACKUP_KEEP,
                                  _clamped(MIN_BACKUP_KEEP, MAX_BACKUP_KEEP))
#: The time zone the last saved incident or quote was reported in: the next one's default.
LAST_TIME_ZONE: Option[str] = Option("forms", "lastTimeZone", "UTC", _non_empty_text)
TIMELINE_LANES: Option[str | None] = Option("timeline", "lanes", None, _optional_text,
                                            lambda value: value or "")
TIMELINE_COLOUR: Option[str] = Option("timeline", "colour", "event_type", _non_empty_text)
TIMELINE_ZONE: Option[str] = Option("timeline", "zone", "UTC", _non_empty_text)
#: Whether the timeline draws lines between related incidents (its "Related" toggle).
TIMELINE_RELATED: Option[bool] = Option(
    "timeline", "related", True, lambda value: str(value).lower() not in ("false", "0", ""),
    lambda value: "true" if value else "false")
CURRENT_VIEW: Option[int] = Option("state", "current_view", 0, lambda value: int(str(value)))

OPTIONS: tuple[Option[Any], ...] = (
    RECENT_DATABASES, LAST_DIR, BACKUP_KEEP, LAST_TIME_ZONE,
    TIMELINE_LANES, TIMELINE_COLOUR, TIMELINE_ZONE, CURRENT_VIEW, TIMELINE_RELATED,
)


class Settings:
    """Typed access to the application's ``QSettings`` through the registry above."""

    def __init__(self, qsettings: QSettings) -> None:
        self.qsettings = qsettings

    def get(self, option: Option[T]) -> T:
        value = self.qsettings.value(option.key)
        if value is not None:
            try:
                return option.read(value)
            except (TypeError, ValueError):
                pass
        # A copy, so that a caller changing a list cannot change the registry's default.
        return copy.copy(option.default)

    def set(self, option: Option[T], value: T) -> None:
        self.qsettings.setValue(option.key, option.write(value))

    # --- recent databases -----------------------------------------------------------
    def recent_databases(self) -> list[str]:
        return self.get(RECENT_DATABASES)

    def add_recent_database(self, path: str | Path) -> None:
        # A server log's address is kept as it is (the caller leaves the password out).
        text = str(path) if is_server(str(path)) else str(Path(path).expanduser().absolute())
        recent = [text, *(p for p in self.recent_databases() if p != text)][:MAX_RECENT]
        self.set(RECENT_DATABASES, recent)

    def remove_recent_database(self, path: str) -> None:
        self.set(RECENT_DATABASES, [p for p in self.recent_databases() if p != path])

    def clear_recent_databases(self) -> None:
        self.set(RECENT_DATABASES, [])

    # --- window state -----------------------------------------------------------------
    def state(self, key: str) -> QByteArray | None:
        """Saved geometry/state blob under ``state/<key>``; None when there is none."""
        value = self.qsettings.value(f"state/{key}")
        if isinstance(value, QByteArray) and not value.isEmpty():
            return value
        return None

    def set_state(self, key: str, value: QByteArray) -> None:
        self.qsettings.setValue(f"state/{key}", value)

    def sync(self) -> None:
        self.qsettings.sync()

