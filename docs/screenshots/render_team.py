"""Render the screenshots of a desk's log on a PostgreSQL server (docs/team.md).

Starts a throwaway PostgreSQL server as the tests do (tests/pg.py: Debian's
``postgresql`` binaries, or ``INCIDENTLOG_TEST_PG``), makes a log ``desk``
holding the demo data, with an officer (amira), a reader (yusuf) and a lead
(hana), and saves, at 1400×860 and 1024×700 (names ending in ``-1024``):

- ``connect-dialog.png``  File ▸ Connect to a team server…;
- ``reader-window.png``  the reader's window: read-only by itself, saying why;
- ``changed-elsewhere.png``  the form of an incident someone else just changed.

Run from a checkout: ``python docs/screenshots/render_team.py [--out FOLDER]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from render import SIZES, _centre, _composite, _settle  # noqa: E402

PEOPLE = {"amira": "officer", "yusuf": "reader", "hana": "lead"}


def _wait(app: object, done: object, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while not done() and time.monotonic() < end:  # type: ignore[operator]
        _settle(app)
        time.sleep(0.02)


def render(out: Path) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from incidentlog.exchange import import_json
    from incidentlog.gui.exchange_dialogs import demo_data_path
    from incidentlog.services import Services
    from incidentlog.store.database import open_database
    from incidentlog.store.server import grant
    from tests.pg import running_server

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("incidentlog")
    demo = demo_data_path()
    if demo is None:
        raise SystemExit("resources/demo/demo.json is missing")
    written: list[Path] = []
    with running_server() as server, tempfile.TemporaryDirectory(
            prefix="incidentlog-shots-") as scratch:
        os.environ["INCIDENTLOG_DATA_DIR"] = str(Path(scratch) / "data")
        server.execute("CREATE DATABASE desk")
        open_database(server.url("desk")).close()
        for login, role in PEOPLE.items():
            server.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE "
                           f"rolname = '{login}') THEN CREATE ROLE {login} LOGIN; END IF; END $$")
            grant(server.url("desk"), login, role)
        with open_database(server.url("desk", "amira")) as database:
            import_json(Services(database), demo)
        for width, height, suffix in SIZES:
            written += _render_at(app, server, out, width, height, suffix)
    return written


def _render_at(app: object, server: object, out: Path, width: int, height: int,
               suffix: str) -> list[Path]:
    from incidentlog.app import build_main_window
    from incidentlog.domain.query import IncidentFilter
    from incidentlog.gui.connect_dialog import ConnectDialog, ServerAddress
    from incidentlog.gui.workers import ImmediateRunner
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    written: list[Path] = []
    url = server.url  # type: ignore[attr-defined]

    def window_on(login: str) -> object:
        window = build_main_window(["--db", url("desk", login)], runner=ImmediateRunner())
        window.resize(width, height)
        window.show()
        _settle(app)
        _wait(app, lambda: window.team_flow.link.listener.connected)
        return window

    def al_assad(window: object) -> str:
        services = window.context.services  # type: ignore[attr-defined]
        found = services.incident_query.ids(IncidentFilter(text="Assad"))
        uid = next(iter(services.incident_query.by_ids(list(found)).values())).uid
        window.context.state.set_current_incident(uid)  # type: ignore[attr-defined]
        _settle(app)
        return str(uid)

    # The reader's window, with the connect dialog over it.
    reader = window_on("yusuf")
    al_assad(reader)
    path = out / f"reader-window{suffix}.png"
    reader.grab().save(str(path))  # type: ignore[attr-defined]
    written.append(path)
    dialog = ConnectDialog(reader, ServerAddress(host="logs.example.org", port=5432,  # type: ignore[arg-type]
                                                 database="desk", user="amira"))
    dialog.password.setText("correct horse battery staple")
    dialog.adjustSize()
    dialog.show()
    _centre(reader, dialog)
    _settle(app)
    written.append(_composite(reader, [dialog], out / f"connect-dialog{suffix}.png"))
    dialog.reject()
    reader.close()  # type: ignore[attr-defined]

    # The officer is editing the incident when the lead saves a change to it.
    officer = window_on("amira")
    uid = al_assad(officer)
    form = officer.workspace.incident_form  # type: ignore[attr-defined]
    form.summary.setPlainText(form.summary.toPlainText() + " Four service members were "
                              "treated for traumatic brain injuries.")
    with open_database(url("desk", "hana")) as database:
        services = Services(database)
        stored = services.incidents.get(uid)
        services.incidents.update(replace(stored, place="Ain al-Asad Airbase"))
    _wait(app, lambda: "changed by" in form.notice.text())
    path = out / f"changed-elsewhere{suffix}.png"
    officer.grab().save(str(path))  # type: ignore[attr-defined]
    written.append(path)
    form.reload()
    officer.close()  # type: ignore[attr-defined]
    with open_database(url("desk", "hana")) as database:  # as it was, for the next size
        services = Services(database)
        services.incidents.update(replace(services.incidents.get(uid), place=stored.place))
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the PNGs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in render(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
