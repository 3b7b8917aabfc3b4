"""``incidentlog self-test``: check that this installation works, end to end, in a scratch folder.

Why it exists: a packaged build (PyInstaller) fails in ways the test suite
cannot see — a data file not collected (the demo data, the JSON Schema, the
Alembic migrations, which Alembic reads as files), a module imported only
dynamically, a Qt plugin left out (the platform plugin, the SVG icon engine).
The build script runs this command on what it built, and a user or a support
desk can run it on an installation that misbehaves. It exercises the real
code paths, never mocks: create a database, load the demo data, export JSON
and CSV, validate the export against the published schema, check the
database, and open and close the main window.

Everything happens in a temporary folder, and ``INCIDENTLOG_DATA_DIR`` points
there meanwhile, so that the user's database, settings and list of recent
files are never read or changed. With no display (no ``DISPLAY`` or
``WAYLAND_DISPLAY`` on Linux) Qt's offscreen platform is used; with one, the
real platform plugin is loaded, since a missing one is exactly what a user
would hit.

One line per step goes to ``out``; on failure the step is named with its
error, the traceback goes to stderr (for a bug report), and ``run`` returns 1.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

import incidentlog
from incidentlog.paths import DATA_DIR_VARIABLE

#: Files the program cannot work without, relative to ``incidentlog.resources``.
REQUIRED_RESOURCES = (
    ("demo", "demo.json"),
    ("schema", "incidentlog-export-1.schema.json"),
    ("vocabularies.json",),
    ("actors.json",),
    ("icons", "app", "incidentlog-256.png"),
    ("icons", "actions", "light", "save.svg"),
    ("icons", "actions", "dark", "save.svg"),
)
#: How long the main window is left to load its rows and settle before it is closed.
WINDOW_SETTLE_SECONDS = 0.5
#: A message box still open after this long means the window is waiting for an answer.
MODAL_PATIENCE_MS = 250


class SelfTestError(Exception):
    """A step found something wrong; the message says what."""


@dataclass
class _Scratch:
    """What the steps share: the scratch folder and what earlier steps produced."""

    folder: Path
    database: Any = None  # incidentlog.store.database.Database once created
    export: Path | None = None

    @property
    def database_path(self) -> Path:
        return self.folder / "self-test.sqlite3"


def run(out: TextIO | None = None) -> int:
    """Run every step; 0 if all passed, 1 at the first failure (later steps are skipped)."""
    stream = out if out is not None else sys.stdout
    frozen = " (packaged build)" if getattr(sys, "frozen", False) else ""
    print(
        f"incidentlog {incidentlog.__version__} self-test{frozen}: "
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}",
        file=stream,
        flush=True,
    )
    steps: list[tuple[str, Callable[[_Scratch], str]]] = [
        ("resources", _resources),
        ("create a database", _create_database),
        ("load the demo data", _load_demo),
        ("export JSON", _export_json),
        ("export CSV", _export_csv),
        ("validate the JSON export against the schema", _validate_export),
        ("check the database", _check_database),
        ("open and close the main window", _main_window),
    ]
    with (
        tempfile.TemporaryDirectory(prefix="incidentlog-self-test-", ignore_cleanup_errors=True)
        as folder,
        _environment(DATA_DIR_VARIABLE, str(Path(folder) / "data")),
    ):
        scratch = _Scratch(Path(folder))
        try:
            for name, step in steps:
                started = time.perf_counter()
                try:
                    detail = step(scratch)
                except Exception as exc:
                    print(f"FAILED  {name}: {_describe(exc)}", file=stream, flush=True)
                    traceback.print_exc(file=sys.stderr)
                    print("self-test FAILED", file=stream, flush=True)
                    return 1
                elapsed = time.perf_counter() - started
                suffix = f": {detail}" if detail else ""
                print(f"ok      {name}{suffix} ({elapsed:.2f} s)", file=stream, flush=True)
        finally:
            if scratch.database is not None:
                scratch.database.close()  # Windows cannot delete an open file
    print("self-test passed", file=stream, flush=True)
    return 0


def _describe(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or "(no message)"
    return message if isinstance(exc, SelfTestError) else f"{type(exc).__name__}: {message}"


@contextlib.contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """Set an environment variable for the duration of the test, then put it back."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


# --- the steps --------------------------------------------------------------------------
# Each returns a short detail for its line, or raises.


def _resource(*parts: str) -> Any:
    return resources.files("incidentlog.resources").joinpath(*parts)


def _resources(scratch: _Scratch) -> str:
    missing = ["/".join(parts) for parts in REQUIRED_RESOURCES if not _resource(*parts).is_file()]
    if missing:
        raise SelfTestError(f"missing from this installation: {', '.join(missing)}")
    from incidentlog.store.file_format import head_revision

    # Alembic reads the migrations as files: their absence shows here, not at first start.
    return f"{len(REQUIRED_RESOURCES)} files found, schema revision {head_revision()}"


def _create_database(scratch: _Scratch) -> str:
    from incidentlog.store.database import open_database

    scratch.database = open_database(scratch.database_path)
    return str(scratch.database_path)


def _load_demo(scratch: _Scratch) -> str:
    from incidentlog.exchange import import_json
    from incidentlog.services import Services

    with resources.as_file(_resource("demo", "demo.json")) as demo:
        report = import_json(Services(scratch.database, actor="self-test"), demo)
    if report.incidents.added == 0:
        raise SelfTestError("the demo data set added no incident")
    return (
        f"{report.incidents.added} incidents, {report.sources.added} sources, "
        f"{report.quotes.added} quotes"
    )


def _export_json(scratch: _Scratch) -> str:
    from incidentlog.exchange import export_json
    from incidentlog.services import Services

    target = scratch.folder / "export.incidentlog.json"
    report = export_json(Services(scratch.database, actor="self-test"), target)
    if not target.is_file() or report.incidents == 0:
        raise SelfTestError(f"the export {target} is missing or holds no incident")
    scratch.export = target
    return f"{report.incidents} incidents, {target.stat().st_size:,} bytes"


def _export_csv(scratch: _Scratch) -> str:
    from incidentlog.exchange import CSV_FILES, export_csv
    from incidentlog.services import Services

    target = scratch.folder / "csv"
    export_csv(Services(scratch.database, actor="self-test"), target)
    missing = [name for name in CSV_FILES if not (target / name).is_file()]
    if missing:
        raise SelfTestError(f"the CSV export lacks {', '.join(missing)}")
    return ", ".join(CSV_FILES)


def _validate_export(scratch: _Scratch) -> str:
    import orjson
    from jsonschema import Draft202012Validator

    from incidentlog.exchange import export_schema

    assert scratch.export is not None
    document = orjson.loads(scratch.export.read_bytes())
    validator = Draft202012Validator(export_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(part) for part in first.absolute_path) or "(document)"
        raise SelfTestError(f"{len(errors)} schema errors; first at {where}: {first.message}")
    return f"format {document.get('format')!r} version {document.get('version')}"


def _check_database(scratch: _Scratch) -> str:
    from incidentlog.store.check import check_database

    problems = check_database(scratch.database)
    if problems:
        raise SelfTestError(f"{len(problems)} problems; first: {problems[0]}")
    return "no problems"


def _has_display() -> bool:
    """Windows and macOS always have one; Linux and the BSDs need X11 or Wayland."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _main_window(scratch: _Scratch) -> str:
    """Build the window exactly as ``incidentlog --db PATH`` does, show it, close it."""
    # The steps before used the database from this process; the window opens its own.
    scratch.database.close()
    scratch.database = None
    if not _has_display() and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from incidentlog.gui.smoke import open_and_close_main_window

    try:
        return open_and_close_main_window(
            scratch.database_path,
            _resource("icons", "actions", "light", "save.svg"),
            settle_seconds=WINDOW_SETTLE_SECONDS,
            modal_patience_ms=MODAL_PATIENCE_MS,
        )
    except RuntimeError as exc:
        raise SelfTestError(str(exc)) from exc
