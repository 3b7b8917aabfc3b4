"""Where incidentlog keeps its files when the user does not say.

The default database lives in the user's data folder (platformdirs: e.g.
``~/.local/share/incidentlog`` on Linux, ``%LOCALAPPDATA%\\incidentlog`` on
Windows, ``~/Library/Application Support/incidentlog`` on macOS), so that the
application works without any setup.

``INCIDENTLOG_DATA_DIR`` overrides that folder. Portable installs (a USB stick
carrying the program and its data) and the test suite use it, so that neither
ever touches the real user folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "incidentlog"
DATABASE_FILE_NAME = "incidentlog.sqlite3"

#: Environment variable naming the folder that holds the default database.
DATA_DIR_VARIABLE = "INCIDENTLOG_DATA_DIR"


def data_dir() -> Path:
    """The folder for incidentlog's data: ``$INCIDENTLOG_DATA_DIR`` or the platform's.

    Read on every call (not cached at import), so that a test or a launcher
    script that sets the variable late is still obeyed. The folder is not
    created here: only a command that writes creates it.
    """
    override = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    if override:
        return Path(override).expanduser().absolute()
    return user_data_path(APP_NAME, appauthor=False)


def default_database_path() -> Path:
    """The database used when no ``--db`` is given."""
    return data_dir() / DATABASE_FILE_NAME
