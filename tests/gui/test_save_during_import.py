"""A save made in the window while an import holds the write lock waits for it, says so
in the status bar, and succeeds (docs/reliability.md, promise 21)."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from sample_data import build_window, make_database

from incidentlog.app import waiting_for_import
from incidentlog.exchange import export_json, import_json
from incidentlog.gui.main_window import MainWindow
from incidentlog.services import Services
from incidentlog.store import backend
from incidentlog.store.database import open_database

#: Reached only when the save does not wait (the test then fails).
NEVER = 60.0


def test_a_save_in_the_window_during_an_import_waits_with_a_notice_and_succeeds(
    qtbot: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(backend, "BUSY_TIMEOUT_MS", 100)  # refused at once if it did not wait
    other = tmp_path / "other.sqlite3"
    make_database(other)
    with open_database(other) as database:
        export_json(Services(database), tmp_path / "file.json")
    db_path = tmp_path / "log.sqlite3"
    make_database(db_path, sample=False)
    window: MainWindow = build_window(qtbot, ["--db", str(db_path)])  # type: ignore[assignment]
    window.show()
    window.activateWindow()
    assert window.context is not None
    services = window.context.services
    database = services.database
    assert database.on_wait is waiting_for_import  # installed by the window's context
    mine = services.incidents.create(_incident("Before the import")).record

    noticed = threading.Event()

    def on_wait() -> None:
        waiting_for_import()
        noticed.set()

    database.on_wait = on_wait
    result: dict[str, Any] = {}

    def hold_until_the_save_waits() -> None:
        assert noticed.wait(NEVER), "the save did not wait for the import"

    def importer() -> None:
        try:
            result["report"] = import_json(
                services, tmp_path / "file.json", before_commit=hold_until_the_save_waits
            )
        except BaseException as exc:  # reported by the assertion below
            result["error"] = exc

    thread = threading.Thread(target=importer)
    thread.start()
    with database._long_write_over:  # go on once the import has begun its transaction
        while database._long_writer is None and thread.is_alive():
            database._long_write_over.wait(0.01)
    # The form's save, on the GUI thread, while the import's transaction is open.
    saved = services.incidents.update(replace(mine, title="Saved during the import")).record
    thread.join(NEVER)
    assert "error" not in result, result
    assert saved.title == "Saved during the import"
    assert "Waiting for the import to finish" in window.statusBar().currentMessage()
    assert result["report"].incidents.added > 0


def _incident(title: str) -> Any:
    from datetime import datetime

    from incidentlog.domain.enums import TimePrecision
    from incidentlog.domain.records import Incident
    from incidentlog.domain.when import Moment

    occurred = Moment.from_local(datetime(2024, 3, 1, 12, 0), TimePrecision.MINUTE, "UTC")
    return Incident(title=title, occurred=occurred, country="IQ", event_type="drone strike")
