"""What ``incidentlog --db LOG`` imports before the log's first rows are painted.

The start is timed against a bare Qt window (docs/performance.md); everything
imported before the first rows is paid by every start. This test runs the real
console entry point in a fresh interpreter, waits for the first rows of a real
log to be painted, and lists what was imported by then: the migrations, the
JSON/CSV exchange, the schema validators and the translations of country names
must wait until they are used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.services import Services
from incidentlog.store.database import open_database

#: Module name prefixes that must not be imported before the first rows.
NOT_ON_THE_START_PATH = (
    "alembic", "jsonschema", "fastjsonschema", "ijson", "referencing", "rpds",
    "incidentlog.exchange", "incidentlog.cli.commands", "incidentlog.store.migrations",
    "incidentlog.store.check", "incidentlog.store.restore", "incidentlog.store.replay",
    "incidentlog.gui.exchange_dialogs", "incidentlog.gui.trash_dialog",
    "incidentlog.gui.bulk_edit_dialog",
    # The commands' parser: the window's own options need none (cli/entry.py).
    "incidentlog.cli.parser", "incidentlog.cli.helpers",
)

CHILD = textwrap.dedent("""
    import gettext, json, os, sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def report():
        for window in QApplication.topLevelWidgets():
            workspace = getattr(window, "workspace", None)
            if workspace is not None and workspace.incident_table.incident_model.rowCount():
                workspace.incident_table.viewport().repaint()  # the first rows, painted
                translations = [str(key[1]) for key in getattr(gettext, "_translations", {})]
                print(json.dumps({"modules": sorted(sys.modules),
                                  "translations": translations}), flush=True)
                os._exit(0)

    from incidentlog.gui.main_window import MainWindow
    preview_painted = MainWindow._first_rows_painted
    def note_preview(self):
        # The log's first rows, read before the data layer: what was imported by then.
        print(json.dumps({"preview": sorted(sys.modules)}), flush=True)
        preview_painted(self)
    MainWindow._first_rows_painted = note_preview

    original_exec = QApplication.exec
    def exec_and_watch(*_args):
        timer = QTimer(QApplication.instance())
        timer.timeout.connect(report)
        timer.start(5)
        return original_exec()
    QApplication.exec = exec_and_watch
    from incidentlog.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def _modules_at_first_rows(log: Path, data_dir: Path, *extra: str) -> dict[str, list[str]]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "INCIDENTLOG_DATA_DIR": str(data_dir),
           "LANGUAGE": "fr", "LANG": "fr_FR.UTF-8"}
    completed = subprocess.run([sys.executable, "-c", CHILD, "--db", str(log), *extra],
                               capture_output=True, text=True, env=env, timeout=120)
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no first rows (exit {completed.returncode}):\n{completed.stderr[-3000:]}"
    seen: dict[str, list[str]] = {}
    for line in lines:
        seen.update(json.loads(line))
    return seen


def test_the_first_rows_need_no_migrations_exchange_or_validators(tmp_path: Path) -> None:
    log = tmp_path / "log.sqlite3"
    with open_database(log) as database:
        Services(database, actor="test").incidents.create(
            Incident(title="Rocket attack on al-Assad Airbase", country="IQ",
                     occurred=parse_local("2024-01-20 18:30", "Asia/Baghdad")))
    for extra in ((), ("--read-only",)):
        seen = _modules_at_first_rows(log, tmp_path / "data", *extra)
        early = [name for name in seen["modules"] if name.startswith(NOT_ON_THE_START_PATH)]
        assert early == [], f"imported before the first rows {extra}: {early}"
        assert "incidentlog.gui.workspace" in seen["modules"]  # the probe saw the real start
        assert not [path for path in seen["translations"] if "pycountry" in path]
        # The rows painted before the log is opened need neither SQLAlchemy nor the views.
        assert "preview" in seen, "no first rows were painted before the log was opened"
        early = [name for name in seen["preview"]
                 if name.startswith(("sqlalchemy", "incidentlog.services",
                                     "incidentlog.gui.workspace", "incidentlog.store.database"))]
        assert early == [], f"imported before the first rows were shown {extra}: {early}"


def _marks(log: Path, data_dir: Path, **env_extra: str) -> list[str]:
    """What the real program prints on standard output until its table's rows are painted
    (then it is stopped)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "INCIDENTLOG_DATA_DIR": str(data_dir),
           **env_extra}
    with subprocess.Popen([sys.executable, "-m", "incidentlog", "--db", str(log), "--read-only"],
                          stdout=subprocess.PIPE, text=True, env=env) as child:
        limit = threading.Timer(120, child.kill)  # a start that never paints its rows
        limit.start()
        try:
            assert child.stdout is not None
            printed = []
            for line in child.stdout:
                printed.append(line.strip())
                if printed[-1] == "workspace":
                    break
            return printed
        finally:
            limit.cancel()
            child.kill()


def test_a_start_prints_its_marks_only_when_asked(tmp_path: Path) -> None:
    """The bench times the real program, source or packaged, by these marks."""
    log = tmp_path / "log.sqlite3"
    with open_database(log) as database:
        Services(database, actor="test").incidents.create(
            Incident(title="Rocket attack on al-Assad Airbase", country="IQ",
                     occurred=parse_local("2024-01-20 18:30", "Asia/Baghdad")))
    assert _marks(log, tmp_path / "data", INCIDENTLOG_START_MARKS="1") == [
        "painted", "rows", "workspace"]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "INCIDENTLOG_DATA_DIR": str(tmp_path / "quiet")}
    env.pop("INCIDENTLOG_START_MARKS", None)
    completed = subprocess.run(
        [sys.executable, "-c", "import sys; from incidentlog.gui import start_marks; "
         "start_marks.mark('rows'); print(start_marks.ENABLED)"],
        capture_output=True, text=True, env=env, timeout=60)
    assert completed.stdout.split() == ["False"]
