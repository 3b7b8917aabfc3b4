"""A desk officer's save while an import holds the write lock waits for it and succeeds.

The import is one transaction (docs/reliability.md), so it holds SQLite's write lock for
as long as its merge takes, which on a large file is longer than the busy timeout. The
officer's saves (another thread of the same process, as in the window) wait for it rather
than be refused as "busy". The busy timeout is made short here so that a save that waited
only for it would be refused at once; the import holds the lock until the save is seen
waiting, however long that takes, and no longer.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from incidentlog.domain.errors import IncidentLogError
from incidentlog.exchange import import_json
from incidentlog.services import Services
from incidentlog.store import backend
from incidentlog.store.database import open_database
from tests.reliability.forkserver import Fixture

#: A save that waits longer than this for the lock would be refused as "busy" by SQLite.
SHORT_BUSY_TIMEOUT_MS = 100
#: Long enough for any machine to start a thread and reach the wait; reached only on failure.
NEVER = 60.0


def test_saves_during_a_long_import_wait_for_it_and_none_is_refused(
    data: Fixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backend, "BUSY_TIMEOUT_MS", SHORT_BUSY_TIMEOUT_MS)
    path = tmp_path / "log.sqlite3"
    shutil.copyfile(data.template, path)
    with open_database(path) as database:
        services = Services(database, actor="desk officer")
        mine = next(iter(data.base["incident"]))
        waiting = threading.Event()
        database.on_wait = waiting.set  # what the window shows a notice with
        saved: list[str] = []
        refused: list[IncidentLogError] = []

        def desk_officer() -> None:
            for number in range(3):
                current = services.incidents.get(mine)
                try:
                    title = f"Edited during the import ({number})"
                    services.incidents.update(replace(current, title=title))
                    saved.append(title)
                except IncidentLogError as exc:
                    refused.append(exc)

        officer = threading.Thread(target=desk_officer)

        def hold_the_lock() -> None:
            # Inside the import's write transaction, after its merge: the officer saves now.
            officer.start()
            assert waiting.wait(NEVER), f"the save did not wait for the import: {refused}"

        report = import_json(services, data.export, before_commit=hold_the_lock)
        officer.join(NEVER)
        assert not officer.is_alive()
        assert refused == []
        assert len(saved) == 3
        assert services.incidents.get(mine).title == saved[-1]
        assert report.incidents.added == len(data.in_file["incident"])

