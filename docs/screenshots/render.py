"""Render the screenshots of the user guide and the README from the real window.

Builds the application exactly as ``incidentlog`` does (``build_main_window``)
on a fresh database holding the demo data set, offscreen, at 1400×860 and at
1024×700 (a small laptop screen), and saves one PNG per view next to this
script (the 1024×700 ones end in ``-1024``):

- ``main-window.png``  the incident table with the demo data and the form beside it;
- ``incident-sources.png`` / ``incident-quotes.png``  the form's Sources and Quotes tabs;
- ``sources-view.png``  the sources view (a source and the incidents that cite it);
- ``quotes-view.png``  the quotes view;
- ``timeline-view.png``  the Timeline tab.

Run from a checkout: ``python docs/screenshots/render.py [--out FOLDER]``. The
user's data folder and settings are never touched (a temporary
``INCIDENTLOG_DATA_DIR`` is used).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SIZES = ((1400, 860, ""), (1024, 700, "-1024"))
HERE = Path(__file__).resolve().parent


def _settle(app: object, rounds: int = 5) -> None:
    for _ in range(rounds):
        app.processEvents()  # type: ignore[attr-defined]


def render(out: Path) -> list[Path]:
    written: list[Path] = []
    for width, height, suffix in SIZES:
        written += _render_at(out, width, height, suffix)
    return written


def _render_at(out: Path, width: int, height: int, suffix: str) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("incidentlog")

    from incidentlog.app import build_main_window
    from incidentlog.exchange import import_json
    from incidentlog.gui.exchange_dialogs import demo_data_path
    from incidentlog.gui.main_window import QUOTES, SOURCES, TIMELINE
    from incidentlog.gui.workers import ImmediateRunner
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    demo = demo_data_path()
    if demo is None:
        raise SystemExit("resources/demo/demo.json is missing")
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="incidentlog-shots-") as scratch:
        os.environ["INCIDENTLOG_DATA_DIR"] = str(Path(scratch) / "data")
        database_path = Path(scratch) / "incidents.sqlite3"
        with open_database(database_path) as database:
            import_json(Services(database, actor="demo"), demo)

        window = build_main_window(["--db", str(database_path)], runner=ImmediateRunner())
        window.resize(width, height)
        window.show()
        _settle(app)
        workspace = window.workspace
        context = window.context
        assert workspace is not None and context is not None

        # The incident with the most to show: the al-Assad Airbase attack of 20 January.
        found = context.services.incident_query.ids(_filter_for("Assad"))
        incidents = context.services.incident_query.by_ids(list(found))
        richest = max(incidents.values(), key=lambda i: (
            len(context.services.incidents.links(i.uid or "")), i.occurred.precision.value
            == "minute" if i.occurred else False), default=None)
        if richest is not None:
            context.state.set_current_incident(richest.uid)
        _settle(app)

        def shot(name: str) -> None:
            _settle(app)
            path = out / name.replace(".png", f"{suffix}.png")
            window.grab().save(str(path))
            written.append(path)

        shot("main-window.png")
        form = workspace.incident_form
        tabs = getattr(form, "tabs", None)
        if tabs is not None:
            tabs.setCurrentIndex(1)
            shot("incident-sources.png")
            tabs.setCurrentIndex(2)
            shot("incident-quotes.png")
            tabs.setCurrentIndex(0)

        workspace.setCurrentIndex(SOURCES)
        sources = workspace.sources_view
        most_cited = max(context.services.source_query.list(),
                         key=lambda s: len(context.services.sources.citing(s.uid or "")),
                         default=None)
        if most_cited is not None:
            sources.select_uid(most_cited.uid)
            _show_cited_by(sources.form)
        shot("sources-view.png")

        workspace.setCurrentIndex(QUOTES)
        shot("quotes-view.png")
        workspace.setCurrentIndex(TIMELINE)
        timeline = workspace.timeline.view
        for _ in range(100):  # the timeline reads the log in the background
            if not timeline.shown_counts().startswith("Loading"):
                break
            time.sleep(0.02)
            _settle(app)
        shot("timeline-view.png")
        workspace.setCurrentIndex(0)
        window.close()
    return written


def _show_cited_by(form: object) -> None:
    """Scroll the source form down to the incidents that cite the source."""
    from PySide6.QtWidgets import QScrollArea

    cited_by = getattr(form, "cited_by", None)
    scroll = form.findChild(QScrollArea) if hasattr(form, "findChild") else None  # type: ignore[attr-defined]
    if cited_by is not None and scroll is not None:
        scroll.ensureWidgetVisible(cited_by, 0, 0)


def _filter_for(text: str):  # type: ignore[no-untyped-def]
    from incidentlog.domain.query import IncidentFilter

    return IncidentFilter(text=text)


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
