"""The source form's evidence: files dropped on it, pasted, listed with hash and size."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QGuiApplication, QImage, QUndoStack
from PySide6.QtWidgets import QApplication

from incidentlog.domain.evidence import OwnerKind
from incidentlog.domain.records import Source
from incidentlog.gui.context import AppContext, ChangeBus, SelectionState
from incidentlog.gui.forms.evidence_panel import describe
from incidentlog.gui.forms.source_form import SourceForm
from incidentlog.gui.settings import Settings
from incidentlog.services import Services

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def context(services: Services, tmp_path: Path, qapp: QApplication) -> Iterator[AppContext]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    bus = ChangeBus(services)
    context = AppContext(services, SelectionState(), bus, QUndoStack(), Settings(settings))
    yield context
    context.runner.wait()
    bus.detach()


@pytest.fixture
def form(qtbot: Any, context: AppContext, services: Services) -> SourceForm:
    uid = services.sources.create(Source(title="CENTCOM", url="https://example.org/p")).record
    widget = SourceForm(context)
    qtbot.addWidget(widget)
    widget.resize(520, 800)
    widget.show()
    widget.load(uid.meta.uid)
    return widget


def _drop(target: Any, paths: list[Path]) -> QDropEvent:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)
    return drop


@pytest.mark.both_engines  # a server keeps the bytes in its tables
def test_a_png_and_a_pdf_dropped_on_a_source_are_kept_and_listed(
    qtbot: Any, form: SourceForm, tmp_path: Path
) -> None:
    png, pdf = tmp_path / "shot.png", tmp_path / "statement.pdf"
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("navy"))
    assert image.save(str(png), "PNG")
    pdf.write_bytes(PDF)
    drop = _drop(form.title, [png, pdf])  # anywhere on the form, even on a field
    assert drop.isAccepted()
    panel = form.evidence
    qtbot.waitUntil(lambda: len(panel.attachments()) == 2, timeout=10_000)
    shown = {a.name: a for a in panel.attachments()}
    assert shown["shot.png"].sha256 == hashlib.sha256(png.read_bytes()).hexdigest()
    assert shown["statement.pdf"].media_type == "application/pdf"
    texts = [panel.files.item(i).text() for i in range(panel.files.count())]
    assert any(hashlib.sha256(PDF).hexdigest()[:16] in text for text in texts)
    png_item = next(panel.files.item(i) for i in range(panel.files.count())
                    if panel.files.item(i).text().startswith("shot.png"))
    thumbnail = png_item.icon().pixmap(48, 48).toImage()
    assert thumbnail.pixelColor(thumbnail.width() // 2, thumbnail.height() // 2) == QColor("navy")
    assert form.title.text() == "CENTCOM"  # the drop did not go into the field


def test_a_new_unsaved_source_takes_no_files(qtbot: Any, context: AppContext,
                                             tmp_path: Path) -> None:
    widget = SourceForm(context)
    qtbot.addWidget(widget)
    (tmp_path / "a.png").write_bytes(PDF)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "a.png"))])
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter.ignore()
    QApplication.sendEvent(widget, enter)
    assert not enter.isAccepted()
    assert not widget.evidence.attach_button.isEnabled()


@pytest.mark.both_engines  # a server keeps the bytes in its tables
def test_an_image_pasted_from_the_clipboard_is_kept(
    qtbot: Any, form: SourceForm, services: Services
) -> None:
    image = QImage(4, 3, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    QGuiApplication.clipboard().setImage(image)
    try:
        form.evidence.paste_button.click()
    finally:
        QGuiApplication.clipboard().clear()
    uid = form.uid()
    assert uid is not None
    kept = services.evidence.of(OwnerKind.SOURCE, uid)
    assert [a.media_type for a in kept] == ["image/png"]
    assert kept[0].name.startswith("pasted-")
    assert [a.uid for a in form.evidence.attachments()] == [kept[0].uid]


def test_a_hostile_name_is_shown_as_plain_text(form: SourceForm, services: Services) -> None:
    uid = form.uid()
    assert uid is not None
    services.evidence.attach_bytes(PDF, "<b>bold<i>\u202e.pdf", OwnerKind.SOURCE, uid)
    form.evidence.refresh()
    attachment = form.evidence.attachments()[0]
    assert describe(attachment).startswith("<b>bold<i>.pdf\n")
    assert form.evidence.files.item(0).text().startswith("<b>bold<i>.pdf")


def test_the_sources_table_counts_files_and_captures(qtbot: Any, services: Services) -> None:
    from incidentlog.gui.sources_view import SourceTableModel

    kept = services.sources.create(Source(title="kept", url="https://example.org/k")).record
    bare = services.sources.create(Source(title="bare", url="https://example.org/b")).record
    assert kept.meta.uid and bare.meta.uid
    model = SourceTableModel(services)
    services.notifier.subscribe(model.handle_changes)

    def cell(uid: str, key: str) -> str:
        return str(model.data(model.index(model.row_of_uid(uid), model.column_index(key))))

    assert (cell(kept.meta.uid, "files"), cell(kept.meta.uid, "captured")) == ("", "")
    services.evidence.attach_bytes(PDF, "a.pdf", OwnerKind.SOURCE, kept.meta.uid)
    services.evidence.attach_stream(io.BytesIO(b"WARC/1.0\r\n\r\n"), "c.warc", OwnerKind.SOURCE,
                                    kept.meta.uid, role="capture")
    assert (cell(kept.meta.uid, "files"), cell(kept.meta.uid, "captured")) == ("1", "1")
    assert (cell(bare.meta.uid, "files"), cell(bare.meta.uid, "captured")) == ("", "")


def test_the_incident_sources_tab_says_which_sources_are_preserved(
    qtbot: Any, context: AppContext, services: Services
) -> None:
    from incidentlog.domain.records import Incident
    from incidentlog.domain.when import parse_local
    from incidentlog.gui.forms.incident_links import IncidentSourcesTab

    incident = services.incidents.create(Incident(
        title="Tower 22", occurred=parse_local("2024-01-28", "Asia/Amman"))).record
    kept = services.sources.create(Source(title="kept", url="https://example.org/k")).record
    bare = services.sources.create(Source(title="bare", url="https://example.org/b")).record
    assert incident.meta.uid and kept.meta.uid and bare.meta.uid
    for source in (kept, bare):
        services.incidents.link_source(incident.meta.uid, source.meta.uid or "")
    tab = IncidentSourcesTab(context, lambda: incident.meta.uid)
    qtbot.addWidget(tab)
    tab.set_incident(incident.meta.uid)
    services.evidence.attach_bytes(PDF, "a.pdf", OwnerKind.SOURCE, kept.meta.uid)
    cells = {tab.table.item(r, 0).text().split("\n", 1)[0]: tab.table.item(r, 0).text()
             for r in range(tab.table.rowCount())}
    assert cells["kept"].endswith("✔ preserved: 1 file")
    assert cells["bare"].endswith("⚠ no preserved copy")


def test_file_attach_keeps_files_with_the_source_shown(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog
    from sample_data import build_window, make_database

    from incidentlog.gui.views import SOURCES

    db_path = tmp_path / "window.sqlite3"
    sample = make_database(db_path)
    assert sample is not None
    window: Any = build_window(qtbot, ["--db", str(db_path)])
    uid = sample.sources["centcom"]
    window.workspace.setCurrentIndex(SOURCES)
    window.workspace.sources_view.select_uid(uid)
    qtbot.waitUntil(lambda: window.workspace.sources_view.form.uid() == uid)
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(PDF)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        lambda *_a, **_k: ([str(pdf)], ""))
    window.workspace.setCurrentIndex(0)
    window.actionAttach.trigger()
    assert window.workspace.currentIndex() == SOURCES
    services = window.context.services
    assert [a.name for a in services.evidence.of(OwnerKind.SOURCE, uid)] == ["statement.pdf"]


@pytest.mark.both_engines  # a server keeps the bytes in its tables
def test_capture_from_the_form_runs_off_the_gui_thread_and_lists_the_warc(
    qtbot: Any, context: AppContext, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from incidentlog.exchange import page_pictures
    from incidentlog.exchange.capture import CapturePolicy

    # Without Qt's web engine the WARC is kept alone (tests/gui/test_capture_render.py
    # renders the screenshot and the PDF).
    monkeypatch.setattr(page_pictures, "renderer_missing", lambda: "no web engine here")

    page = b"<!DOCTYPE html><html><body>Tower 22</body></html>"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/post"
        uid = services.sources.create(Source(title="post", url=url)).record.meta.uid
        widget = SourceForm(context)
        qtbot.addWidget(widget)
        widget.load(uid)
        panel = widget.evidence
        panel.capture_policy = CapturePolicy(allow_address=lambda a: a.is_loopback)
        task = panel.capture()
        assert task is not None
        qtbot.waitUntil(lambda: task.done, timeout=15_000)
        qtbot.waitUntil(lambda: len(panel.attachments()) == 1, timeout=5_000)
    finally:
        httpd.shutdown()
        httpd.server_close()
    captured = panel.attachments()[0]
    assert captured.role == "capture" and captured.media_type == "application/warc"
    assert captured.details["final_url"] == url and captured.details["status"] == 200
    assert captured.details["rendering"] == "no web engine here"
    assert "captured page" in panel.files.item(0).text()
