"""The entry point: ``incidentlog [COMMAND]``, the desktop application or one command."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from incidentlog.cli.usage import PROG, UsageError
from incidentlog.domain.errors import IncidentLogError, StorageError

#: Qt's command-line options that take a value (QGuiApplication, QApplication).
QT_OPTIONS_WITH_VALUE = frozenset(
    {
        "-platform",
        "-platformpluginpath",
        "-platformtheme",
        "-plugin",
        "-qmljsdebugger",
        "-qwindowgeometry",
        "-qwindowicon",
        "-qwindowtitle",
        "-display",
        "-geometry",
        "-title",
        "-name",
        "-style",
        "-stylesheet",
        "-session",
    }
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit status (the console script exits with it)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["_render-page"]:  # a capture's renderer (exchange/page_pictures.py)
        from incidentlog.gui.page_render import main as render_page

        return render_page(arguments[1:])
    ours, qt_options = split_qt_options(arguments)
    # The window's own command line needs no parser of the commands: importing and
    # building it would come before the window's first paint (docs/performance.md).
    args = None if _desktop_options_only(ours) else _parse(arguments, ours)
    if isinstance(args, int):
        return args
    try:
        if args is None or args.command is None:
            return _run_application(arguments)  # the application takes Qt's options too
        if qt_options:
            raise UsageError(f"{qt_options[0]} is an option of the desktop application only")
        # The commands are imported only to run one: not on the desktop's start path.
        from incidentlog.cli.commands import COMMANDS, WRITING_COMMANDS

        if args.read_only and args.command in WRITING_COMMANDS:
            raise UsageError(f"--read-only: the {args.command} command writes to the database")
        return COMMANDS[args.command](args, sys.stdout)
    except UsageError as exc:
        _fail(f"{exc} (see '{PROG} {getattr(args, 'command', '')} --help')")
        return 2
    except KeyboardInterrupt:
        _fail("interrupted.")
        return 130
    except BrokenPipeError:
        # The reader went away (``incidentlog check | head``): not an error worth a message.
        _silence_stdout()
        return 1
    except IncidentLogError as exc:
        _fail(exc.message)
        return 1
    except OSError as exc:  # a file the user named: missing, unreadable, unwritable
        _fail(_os_error_sentence(exc))
        return 1


def _parse(arguments: list[str], ours: list[str]) -> argparse.Namespace | int:
    """The command line parsed, or the exit status when there is nothing more to do
    (``--help``, ``--version``, a usage error, an export opened in the window)."""
    from incidentlog.cli.parser import build_parser

    opened = _file_to_open(ours)
    if opened is not None:
        # ``incidentlog FILE``: the desktop's "open with" on an export (the .desktop
        # file's Exec=incidentlog %f) — the application offers to import it.
        rest = [token for token in arguments if token != opened]
        try:
            return _run_application([*rest, "--import-file", opened])
        except IncidentLogError as exc:
            _fail(exc.message)
            return 1
    try:
        return build_parser().parse_args(ours)
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)


def _fail(sentence: str) -> None:
    from incidentlog.cli.helpers import _fail as fail

    fail(sentence)


def _desktop_options_only(ours: Sequence[str]) -> bool:
    """Whether ``ours`` holds only the options the desktop application takes itself
    (``--db LOG``, ``--read-only``): what the full parser would hand on unchanged."""
    tokens = iter(ours)
    for token in tokens:
        if token == "--read-only":
            continue
        value = next(tokens, "") if token == "--db" else token.removeprefix("--db=")
        if value is token or not value.strip() or value.startswith("-"):
            return False
    return True


def _file_to_open(ours: Sequence[str]) -> str | None:
    """The export named as the first argument (not a command), if it is a file."""
    from incidentlog.cli.parser import command_names

    first = next((token for token in ours if not token.startswith("-")), None)
    if first is None or first in command_names() or first == "help":
        return None
    index = list(ours).index(first)
    if index > 0 and ours[index - 1] in ("--db",):
        return None
    return first if Path(first).is_file() else None


def split_qt_options(arguments: Sequence[str]) -> tuple[list[str], list[str]]:
    """Set Qt's own options (``-style fusion``, ``-platform offscreen``, ``-reverse``) aside.

    Qt's options start with one dash and are words; ours are ``--long`` or
    ``-h``. Qt's are passed on to the desktop application untouched, so that
    ``incidentlog -reverse`` shows a right-to-left layout without argparse
    calling ``-reverse`` an error.
    """
    ours: list[str] = []
    qt: list[str] = []
    tokens = iter(arguments)
    for token in tokens:
        if token.startswith("-") and not token.startswith("--") and len(token) > 2:
            qt.append(token)
            if token in QT_OPTIONS_WITH_VALUE:
                value = next(tokens, None)
                if value is not None:
                    qt.append(value)
        else:
            ours.append(token)
    return ours, qt


def _run_application(arguments: list[str]) -> int:
    """Start the desktop application; Qt is imported only on this path."""
    from incidentlog.preflight import check_display

    problem = check_display(argv=arguments)
    if problem is not None:
        _fail(f"cannot start the window: {problem.sentence}")
        return problem.status
    try:
        from incidentlog.app import main as app_main
    except ModuleNotFoundError as exc:
        if (exc.name or "").startswith(("PySide6", "shiboken6")):
            raise StorageError(
                "The desktop application needs PySide6, which is not installed; "
                "the commands (incidentlog --help) work without it."
            ) from exc
        raise
    return app_main(arguments)


def _silence_stdout() -> None:
    """Point stdout at devnull so that Python's final flush does not raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests)
        pass
    finally:
        os.close(devnull)


def _os_error_sentence(exc: OSError) -> str:
    """``[Errno 13] Permission denied: 'x'`` → ``x: permission denied.``"""
    reason = (exc.strerror or str(exc)).rstrip(".")
    if exc.errno == errno.ENOENT:
        reason = "no such file or folder"
    elif reason:
        reason = reason[0].lower() + reason[1:]
    return f"{exc.filename}: {reason}." if exc.filename is not None else f"{reason}."
