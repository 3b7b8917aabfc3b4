"""Render the screenshots of the user guide and the README from the real window.

Builds the application exactly as ``incidentlog`` does (``build_main_window``)
on a fresh database holding the demo data set, offscreen, at 1400×860 and at
1024×700 (a small laptop screen), and saves one PNG per view next to this
script (the 1024×700 ones end in ``-1024``):

- ``main-window.png``  the incident table with the demo data and the form beside it;
- ``incident-actors.png``  the form's Actors section (the al-Assad attack's actors);
- ``incident-sources.png`` / ``incident-quotes.png``  the form's Sources and Quotes tabs;
- ``incident-harm.png``  the form's Harm section on the seed's "at least five injured, one
  seriously";
- ``incident-related.png``  the form's Related tab: the US strikes, retaliation for al-Assad;
- ``sources-view.png``  the sources view (a source and the incidents that cite it);
- ``quotes-view.png``  the quotes view;
- ``timeline-view.png``  the Timeline tab (with the line of the demo's retaliation link).
- ``timeline-actors.png``  the same in lanes by actor (any role): an incident in each
  of its actors' lanes;
- ``trash.png``  View ▸ Trash with a few deleted records;
- ``bulk-edit.png``  Edit ▸ Edit selection… on four selected incidents;
- ``saved-views.png``  View ▸ Saved views with two saved views, one applied;
- ``source-evidence.png``  a source's Evidence section: a screenshot and a PDF attached,
  and a captured page (WARC, full-page PNG, PDF print) from a local demo server;
- ``export-package.png``  File ▸ Export as ▸ Evidence package…;
- ``review-queue.png``  View ▸ Review queue… with incidents waiting and a discussion;
- ``discussion.png``  Edit ▸ Discussion… of an incident: verdicts, comments, replies;
- ``table-import.png``  File ▸ Import from CSV or spreadsheet on a desk's sheet with a bad row;
- ``duplicate-panel.png`` / ``merge-dialog.png``  an incident typed again: "Possibly the
  same as …" in the form, and the merge dialog (render_duplicates.py);
- ``actors-dialog.png``  Edit ▸ Actors…: the actors' vocabulary (render_actors.py).

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
        actors = getattr(form, "actors", None)
        scroll = getattr(form, "_scroll", None)
        if actors is not None and scroll is not None:
            scroll.ensureWidgetVisible(actors, 0, 120)
            shot("incident-actors.png")
            scroll.verticalScrollBar().setValue(0)
        tabs = getattr(form, "tabs", None)
        if tabs is not None:
            tabs.setCurrentIndex(1)
            shot("incident-sources.png")
            tabs.setCurrentIndex(2)
            shot("incident-quotes.png")
            _show_related(context, tabs, richest)
            shot("incident-related.png")
            tabs.setCurrentIndex(0)
        _show_harm(context, form)
        shot("incident-harm.png")
        if richest is not None:
            context.state.set_current_incident(richest.uid)

        workspace.setCurrentIndex(SOURCES)
        sources = workspace.sources_view
        most_cited = max(context.services.source_query.list(),
                         key=lambda s: len(context.services.sources.citing(s.uid or "")),
                         default=None)
        if most_cited is not None:
            sources.select_uid(most_cited.uid)
            _show_cited_by(sources.form)
        shot("sources-view.png")
        if most_cited is not None:
            _attach_evidence(context.services, most_cited.uid or "", Path(scratch))
            sources.form.evidence.refresh()  # type: ignore[attr-defined]
            _show_evidence(sources.form)
            shot("source-evidence.png")
        written.append(_export_package_shot(app, window, out / f"export-package{suffix}.png"))

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
        timeline.set_lane_column("actors")  # an incident in the lane of each of its actors
        _settle(app)
        for _ in range(100):
            if not timeline.is_busy() and timeline.lanes() and timeline.lanes()[0] is not None:
                break
            time.sleep(0.02)
            _settle(app)
        shot("timeline-actors.png")
        timeline.set_lane_column(None)
        workspace.setCurrentIndex(0)
        _settle(app)
        written += _review_shots(app, window, out, suffix)
        written += _editing_shots(app, window, out, suffix)
        written.append(_table_import_shot(app, window, Path(scratch),
                                          out / f"table-import{suffix}.png"))
        from render_duplicates import duplicate_shots

        written += duplicate_shots(app, window, out, suffix, _settle, _composite, _centre)
        from render_actors import actors_shots

        written += actors_shots(app, window, out, suffix, _settle, _composite, _centre)
        window.close()
    return written


def _show_related(context: object, tabs: object, fallback: object) -> None:
    """The Related tab of the demo incident that states a link (the US strikes)."""
    from incidentlog.gui.forms.incident_form import RELATED_TAB

    services = context.services  # type: ignore[attr-defined]
    stating = next((i for i in services.incident_query.page(limit=100)
                    if any(r.outgoing for r in services.links.related(i.uid or ""))), fallback)
    if stating is not None:
        context.state.set_current_incident(stating.uid)  # type: ignore[attr-defined]
    tabs.setCurrentIndex(RELATED_TAB)  # type: ignore[attr-defined]


def _composite(window: object, popups: list[object], path: Path) -> Path:
    """The window with its dialogs or menus painted where they are on screen."""
    from PySide6.QtGui import QPainter

    picture = window.grab()  # type: ignore[attr-defined]
    painter = QPainter(picture)
    origin = window.mapToGlobal(window.rect().topLeft())  # type: ignore[attr-defined]
    for popup in popups:
        top_left = popup.mapToGlobal(popup.rect().topLeft()) - origin  # type: ignore[attr-defined]
        painter.drawPixmap(top_left, popup.grab())  # type: ignore[attr-defined]
    painter.end()
    picture.save(str(path))
    return path


def _centre(window: object, dialog: object) -> None:
    geometry = window.frameGeometry()  # type: ignore[attr-defined]
    dialog.move(geometry.center() - dialog.rect().center())  # type: ignore[attr-defined]


#: A desk's spreadsheet as colleagues send it: Arabic headers, dates two ways, a bad row.
_DESK_SHEET = (
    "التاريخ,العنوان,المحافظة,Town,Dead,Wounded,Source URL,Notes\r\n"
    "2024-01-20,قصف على قاعدة عين الأسد,الأنبار,Al Asad,0,at least 4,"
    "https://example.org/a,Rockets and drones\r\n"
    "21/01/2024,Drone strike near Erbil airport,Erbil,Erbil,unknown,2,"
    "https://example.org/b,\r\n"
    "2024-01-22,Rocket fire on Baghdad,Baghdad,Baghdad,1,about 3,https://example.org/c,\r\n"
    "2024-13-01,Clash,Kirkuk,Kirkuk,five,,not-a-link,typo in the month\r\n"
    "2024-01-24,IED on a supply convoy,Babil,Hilla,2,5,https://example.org/d,\r\n"
)


def _table_import_shot(app: object, window: object, scratch: Path, path: Path) -> Path:
    """File ▸ Import from CSV or spreadsheet, the mapping guessed, one row with problems."""
    sheet = scratch / "desk-sheet.csv"
    sheet.write_text(_DESK_SHEET, encoding="utf-8")
    dialog = window.exchange_flow.table_import_dialog(sheet)  # type: ignore[attr-defined]
    geometry = window.frameGeometry()  # type: ignore[attr-defined]
    dialog.resize(min(1000, geometry.width() - 40), min(680, geometry.height() - 40))
    dialog.zone.set_zone("Asia/Baghdad")
    dialog.zone.resolve()
    _centre(window, dialog)
    _settle(app)
    written = _composite(window, [dialog], path)
    dialog.reject()
    return written


def _editing_shots(app: object, window: object, out: Path, suffix: str = "") -> list[Path]:
    """The Trash, bulk edit and saved views (docs/user-guide.md); ``suffix`` ends each name."""
    from PySide6.QtCore import QPoint, Qt

    from incidentlog.domain.query import IncidentFilter

    context = window.context  # type: ignore[attr-defined]
    workspace = window.workspace  # type: ignore[attr-defined]
    services = context.services
    written: list[Path] = []
    table = workspace.incident_table

    # Bulk edit: four incidents selected, tags and status about to change.
    table.clearSelection()
    for row in range(1, 5):
        table.selectionModel().select(
            table.incident_model.index(row, 0),
            table.selectionModel().SelectionFlag.Select
            | table.selectionModel().SelectionFlag.Rows)
    _settle(app)
    dialog = window.bulk_edit_flow.edit_selection()  # type: ignore[attr-defined]
    if dialog is not None:
        dialog.add_tags.setText("reviewed-2024-q1")
        dialog.remove_tags.setText("unconfirmed")
        dialog.status.setCurrentIndex(dialog.status.findData("in_review"))
        dialog.adjustSize()
        _centre(window, dialog)
        _settle(app)
        written.append(_composite(window, [dialog], out / f"bulk-edit{suffix}.png"))
        dialog.reject()

    # Saved views: two views saved, the menu open.
    window.saved_views_flow.save_current_view("All incidents, newest first")  # type: ignore[attr-defined]
    context.state.set_filter(IncidentFilter(countries=("IQ",)))
    table.sortByColumn(table.incident_model.column_index("title"), Qt.SortOrder.AscendingOrder)
    window.saved_views_flow.save_current_view("Iraq by title")  # type: ignore[attr-defined]
    _settle(app)
    bar = window.menuBar()  # type: ignore[attr-defined]
    view_menu = window.view_menu  # type: ignore[attr-defined]
    view_menu.popup(bar.mapToGlobal(bar.actionGeometry(view_menu.menuAction()).bottomLeft()))
    _settle(app)
    saved_menu = window.saved_views_menu  # type: ignore[attr-defined]
    entry = view_menu.actionGeometry(saved_menu.menuAction())
    saved_menu.popup(view_menu.mapToGlobal(QPoint(entry.right(), entry.top())))
    _settle(app)
    written.append(_composite(window, [view_menu, saved_menu], out / f"saved-views{suffix}.png"))
    saved_menu.hide()
    view_menu.hide()

    # The trash: a few incidents, a source and a quote deleted.
    context.state.set_filter(IncidentFilter())
    ids = services.incident_query.ids(IncidentFilter())
    for incident in list(services.incident_query.by_ids(list(ids)[:2]).values()):
        services.incidents.delete(incident.uid or "")
    quotes = services.quote_query.list()
    for quote in quotes[:1]:
        services.quotes.delete(quote.uid or "")
    uncited = [s for s in services.source_query.list() if not services.sources.citing(s.uid or "")]
    for source in uncited[:1]:
        services.sources.delete(source.uid or "")
    trash = window.trash_flow.show_trash()  # type: ignore[attr-defined]
    if trash is not None:
        trash.table.selectRow(0)
        _centre(window, trash)
        _settle(app)
        written.append(_composite(window, [trash], out / f"trash{suffix}.png"))
        trash.reject()
    return written


def _review_shots(app: object, window: object, out: Path, suffix: str = "") -> list[Path]:
    """The review queue and an incident's discussion (docs/review.md)."""
    from incidentlog.domain.enums import Reliability, Status
    from incidentlog.domain.query import IncidentFilter, Sort
    from incidentlog.services import Services

    context = window.context  # type: ignore[attr-defined]
    services = context.services
    desk = Services(services.database, actor="desk")
    amira = Services(services.database, actor="amira")
    ids = services.incident_query.ids(IncidentFilter(), Sort("occurred_at"))
    incidents = list(services.incident_query.by_ids(list(ids)[:6]).values())
    for incident in incidents:
        if incident.status is Status.DRAFT:
            desk.incidents.set_status(incident.uid or "", Status.IN_REVIEW)
    first, second = incidents[0].uid or "", incidents[1].uid or ""
    amira.review.verify(first, "CENTCOM's post and the local report agree on time and place",
                        reliability=Reliability.B, confidence=2)
    question = amira.review.comment("Is 18:30 local time or UTC? The post gives no zone.",
                                    incident_uid=second, about="occurred")
    desk.review.reply(question.record.uid or "", "Local (Baghdad): the article says evening.")
    amira.review.comment("The casualty figure comes from one outlet only.",
                         incident_uid=second, about="injured")
    amira.review.resolve(question.record.uid or "")
    window.review_flow.show_waiting()  # type: ignore[attr-defined]  # written beside its bus
    written: list[Path] = []
    queue = window.review_flow.show_queue(modal=False)  # type: ignore[attr-defined]
    if queue is not None:
        queue.resize(min(1100, window.width() - 60), min(560, window.height() - 120))  # type: ignore[attr-defined]
        if second in queue.uids:
            queue.table.setCurrentCell(queue.uids.index(second), 0)
        _centre(window, queue)
        _settle(app)
        written.append(_composite(window, [queue], out / f"review-queue{suffix}.png"))
        queue.close()
    discussion = window.review_flow.show_discussion(second, modal=False)  # type: ignore[attr-defined]
    if discussion is not None:
        discussion.resize(min(760, window.width() - 60), min(460, window.height() - 120))  # type: ignore[attr-defined]
        _centre(window, discussion)
        _settle(app)
        written.append(_composite(window, [discussion], out / f"discussion{suffix}.png"))
        discussion.close()
    return written


def _show_cited_by(form: object) -> None:
    """Scroll the source form down to the incidents that cite the source."""
    from PySide6.QtWidgets import QScrollArea

    cited_by = getattr(form, "cited_by", None)
    scroll = form.findChild(QScrollArea) if hasattr(form, "findChild") else None  # type: ignore[attr-defined]
    if cited_by is not None and scroll is not None:
        scroll.ensureWidgetVisible(cited_by, 0, 0)


def _attach_evidence(services: object, uid: str, scratch: Path) -> None:
    """A rendered "screenshot" of the post and a one-page PDF, attached to the source."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPdfWriter

    from incidentlog.domain.evidence import OwnerKind

    image = QImage(640, 400, QImage.Format.Format_RGB32)
    image.fill(QColor("#f8fafc"))
    painter = QPainter(image)
    painter.setFont(QFont("Sans", 18))
    painter.drawText(QRect(30, 30, 580, 340), Qt.TextFlag.TextWordWrap,
                     "U.S. Central Command\n\nStatement on the attack on al-Assad Airbase, "
                     "20 January 2024 (screenshot)")
    painter.end()
    shot, statement = scratch / "centcom-post.png", scratch / "centcom-statement.pdf"
    image.save(str(shot), "PNG")
    writer = QPdfWriter(str(statement))
    painter = QPainter(writer)
    painter.drawText(QRect(0, 0, 8000, 2000), 0, "CENTCOM statement, 20 January 2024")
    painter.end()
    for path in (shot, statement):
        services.evidence.attach_file(path, OwnerKind.SOURCE, uid)  # type: ignore[attr-defined]
    _capture_demo_page(services, uid)


_DEMO_PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Statement</title></head>"
    "<body style='margin:0;font-family:sans-serif'>"
    "<div style='background:#1b2a4a;color:#fff;padding:24px 40px;font-size:28px'>"
    "U.S. Central Command — Press release</div><div style='padding:30px 40px;font-size:20px'>"
    "<h1>Statement on the attack on al-Assad Airbase</h1><p>20 January 2024</p>"
    + "<p>Multiple ballistic missiles and rockets were launched by Iranian-backed "
    "militants in western Iraq targeting al-Assad Airbase.</p>" * 6
    + "</div></body></html>").encode()


def _capture_demo_page(services: object, uid: str) -> None:
    """The page of a local demo server captured as "Capture page" does it: WARC, PNG, PDF
    (the screenshot and PDF only where Qt's web engine is installed)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from incidentlog.exchange.capture import (
        CapturePolicy,
        fetch,
        page_pictures_for,
        store_capture,
    )

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(_DEMO_PAGE)))
            self.end_headers()
            self.wfile.write(_DEMO_PAGE)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        from datetime import UTC, datetime

        from incidentlog.exchange.capture import Fetched

        policy = CapturePolicy(also_allow=("127.0.0.1/32",))
        url = f"http://127.0.0.1:{httpd.server_address[1]}/statement"
        fetched = Fetched(url, fetch(url, policy), datetime.now(UTC).replace(microsecond=0))
        try:
            made, note = page_pictures_for(fetched, policy)
            store_capture(services, uid, fetched, made, note)  # type: ignore[arg-type]
        finally:
            fetched.close()
    finally:
        httpd.shutdown()
        httpd.server_close()


def _export_package_shot(app: object, window: object, path: Path) -> Path:
    """File ▸ Export as ▸ Evidence package…: the export dialog on the package format."""
    window.actionExportPackage.trigger()  # type: ignore[attr-defined]
    from incidentlog.gui.exchange_dialogs import ExportDialog

    dialog = window.findChild(ExportDialog)  # type: ignore[attr-defined]
    dialog.destination_edit.setText("/home/desk/evidence-2024-01.zip")
    _centre(window, dialog)
    _settle(app)
    written = _composite(window, [dialog], path)
    dialog.reject()
    dialog.deleteLater()
    return written


def _show_evidence(form: object) -> None:
    """Scroll the source form down to its Evidence section."""
    from PySide6.QtWidgets import QScrollArea

    panel = getattr(form, "evidence", None)
    scroll = form.findChild(QScrollArea) if hasattr(form, "findChild") else None  # type: ignore[attr-defined]
    if panel is not None and scroll is not None:
        scroll.ensureWidgetVisible(panel, 0, 0)


def _show_harm(context: object, form: object) -> None:
    """The August attack (at least five injured, one seriously) in the form, scrolled to
    its Harm section."""
    services = context.services  # type: ignore[attr-defined]
    found = services.incident_query.ids(_filter_for("at least five"))
    if not found:
        return
    context.state.set_current_incident(  # type: ignore[attr-defined]
        services.incident_query.by_ids(list(found))[found[0]].uid)
    form._scroll.ensureWidgetVisible(form.confidence, 0, 0)  # type: ignore[attr-defined]


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
