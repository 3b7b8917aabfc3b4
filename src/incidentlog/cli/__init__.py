"""The command line: the application's capabilities without a window.

``incidentlog`` with no command starts the desktop application; the commands
(init, demo, import, export, check, backup, restore) work headless, in scripts
and over SSH, and never import Qt. docs/cli.md is the user's reference.

Exit status: 0 done; 1 the command failed for a reason the message gives (a
damaged or foreign file, a bad import file, problems found by ``check``); 2
the command line itself is wrong; 130 interrupted with Ctrl+C. Every failure a
user can cause is one line on stderr starting ``incidentlog:``; only a bug in
incidentlog shows a traceback.

The modules: ``parser`` (the options and their types), ``entry`` (``main``:
the window or one command), ``commands`` (one function per command) and
``helpers`` (what the commands share). The store, the services and the
exchange (SQLAlchemy, Alembic, jsonschema) are imported inside the commands
that use them: --version, --help and a mistyped option answer at once instead
of after a second of imports.
"""

from __future__ import annotations

from typing import Any

from incidentlog.cli.entry import main, split_qt_options

__all__ = ["PRE_IMPORT_BACKUPS", "build_parser", "main", "split_qt_options"]


def __getattr__(name: str) -> Any:
    # The parser is imported when a command needs it, not by the desktop's start
    # (``entry.main``, docs/performance.md): its imports and building it cost tens of
    # milliseconds before the window paints.
    if name in ("PRE_IMPORT_BACKUPS", "build_parser"):
        from incidentlog.cli import parser

        return getattr(parser, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
