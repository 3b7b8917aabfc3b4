"""Capture from the source form with Qt's web engine (in its own process): WARC, full-page
PNG and PDF, stored and hashed; the page's requests to refused addresses blocked; a cancel
or a failure while rendering stores nothing."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSettings
from PySide6.QtGui import QColor, QImage, QUndoStack
from PySide6.QtWidgets import QApplication

from incidentlog.domain.evidence import OwnerKind
from incidentlog.domain.records import Source
from incidentlog.exchange import page_pictures
from incidentlog.exchange.capture import CaptureError, CapturePolicy, capture_source
from incidentlog.gui import page_render
from incidentlog.gui.context import AppContext, ChangeBus, SelectionState
from incidentlog.gui.forms.source_form import SourceForm
from incidentlog.gui.settings import Settings
from incidentlog.services import Services

pytest.importorskip("PySide6.QtWebEngineWidgets", reason="the 'capture' extra is not installed")

#: Only the test server's own address; 127.0.0.2 (loopback too) and private ones refused.
LOCAL = CapturePolicy(also_allow=("127.0.0.1/32",))


#: An image that takes no room in the page's flow (its height stays 3,000 px).
TINY = "width='10' height='10' style='position:absolute'"


def _png(color: str, width: int, height: int) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    return bytes(data.data())


def _page(port: int) -> bytes:
    """A page 3,000 px tall: a navy banner on top, its own image (served by the test
    server) in the middle, a green block at the very bottom, and two images the guard
    must refuse (another loopback address, a private one)."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Tower 22</title></head>"
        "<body style='margin:0;background:#ffffff'>"
        "<div style='height:300px;background:#000080;color:#fff'>Strike on Tower 22</div>"
        "<img src='/red.png' width='400' height='200' style='display:block'>"
        f"<img src='http://127.0.0.2:{port}/red.png' {TINY}>"
        f"<img src='http://10.255.255.1/track.png' {TINY}>"
        "<div style='height:2300px'>text</div>"
        "<div style='height:200px;background:#00aa00'>end</div>"
        "</body></html>").encode()


@pytest.fixture
def web() -> Iterator[str]:
    red = _png("#ff0000", 400, 200)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:
            port = self.server.server_address[1]
            body, kind = ((red, "image/png") if self.path == "/red.png"
                          else (_page(port), "text/html; charset=utf-8"))
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def context(services: Services, tmp_path: Path, qapp: QApplication) -> Iterator[AppContext]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    bus = ChangeBus(services)
    context = AppContext(services, SelectionState(), bus, QUndoStack(), Settings(settings))
    yield context
    context.runner.wait()
    bus.detach()


def _form(qtbot: Any, context: AppContext, services: Services, url: str) -> SourceForm:
    uid = services.sources.create(Source(title="post", url=url)).record.meta.uid
    widget = SourceForm(context)
    qtbot.addWidget(widget)
    widget.load(uid)
    widget.evidence.capture_policy = LOCAL
    return widget


def test_a_capture_keeps_the_warc_a_full_page_png_and_a_pdf_hashed(
    qtbot: Any, context: AppContext, services: Services, web: str, qapp: QApplication
) -> None:
    from incidentlog.gui.plain_text import install_tooltip_guard

    # The window's application-wide event filter: Chromium in this process would crash
    # the binding with it (exchange/page_pictures.py); in its own process it cannot.
    install_tooltip_guard(qapp)
    assert page_pictures.renderer_missing() is None
    form = _form(qtbot, context, services, f"{web}/post")
    task = form.evidence.capture()
    assert task is not None
    qtbot.waitUntil(lambda: task.done, timeout=120_000)
    qtbot.waitUntil(lambda: len(form.evidence.attachments()) == 3, timeout=5_000)
    uid = form.uid()
    assert uid is not None
    kept = {a.media_type: a for a in services.evidence.of(OwnerKind.SOURCE, uid)}
    assert sorted(kept) == ["application/pdf", "application/warc", "image/png"]
    assert all(a.role == "capture" for a in kept.values())
    for attachment in kept.values():  # each stored under the SHA-256 of its bytes
        with services.evidence.open(attachment) as reading:
            assert hashlib.sha256(reading.read()).hexdigest() == attachment.sha256
        assert [e.action for e in services.evidence.custody(attachment.uid)] == ["capture"]

    png = kept["image/png"]
    with services.evidence.open(png) as reading:
        image = QImage.fromData(QByteArray(reading.read()))
    assert (image.width(), image.height()) == (page_render.WIDTH, 3000)  # the whole page
    assert image.pixelColor(10, 10) == QColor("#000080")  # the banner on top
    assert image.pixelColor(200, 400) == QColor("#ff0000")  # the page's own image
    assert image.pixelColor(10, 2950) == QColor("#00aa00")  # the bottom, painted too
    details = png.details
    assert details["final_url"] == f"{web}/post"
    assert details["rendered_from"] == "the body kept in the WARC"
    port = web.rsplit(":", 1)[1]
    assert details["refused"] == ["http://10.255.255.1/track.png",
                                  f"http://127.0.0.2:{port}/red.png"]
    pdf = kept["application/pdf"]
    with services.evidence.open(pdf) as reading:
        assert reading.read(5) == b"%PDF-"
    assert pdf.size > 1000
    assert "rendering" not in kept["application/warc"].details
    shown = [form.evidence.files.item(i).text() for i in range(form.evidence.files.count())]
    assert sum("captured page" in text for text in shown) == 3


def _source(services: Services, url: str) -> str:
    uid = services.sources.create(Source(title="page", url=url), distinct=True).record.meta.uid
    assert uid is not None
    return uid


def test_cancel_while_rendering_stores_nothing(services: Services, web: str) -> None:
    uid = _source(services, f"{web}/post")
    stages: list[str] = []
    with pytest.raises(CaptureError, match="cancelled"):
        capture_source(services, uid, policy=LOCAL, render=True, stage=stages.append,
                       cancel=lambda: stages[-1] == "rendering")
    assert stages == ["fetching", "rendering"]
    assert services.evidence.of(OwnerKind.SOURCE, uid) == []


def test_a_renderer_that_fails_stores_nothing_and_says_why(
    services: Services, web: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setattr(page_pictures, "renderer_command", lambda: [
        sys.executable, "-c",
        "import sys; print('render-page: the page crashed', file=sys.stderr); sys.exit(3)"])
    uid = _source(services, f"{web}/post")
    with pytest.raises(CaptureError, match=r"could not be rendered \(the page crashed\)"):
        capture_source(services, uid, policy=LOCAL, render=True)
    assert services.evidence.of(OwnerKind.SOURCE, uid) == []


def test_a_renderer_that_cannot_load_keeps_the_warc_alone_and_says_why(
    services: Services, web: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    # As the renderer's process says it when a library of Chromium's is missing.
    monkeypatch.setattr(page_pictures, "renderer_command", lambda: [
        sys.executable, "-c", "import sys; print('render-page: no screenshot or PDF: "
        "libnss3.so: cannot open shared object file', file=sys.stderr); sys.exit(4)"])
    uid = _source(services, f"{web}/post")
    captured = capture_source(services, uid, policy=LOCAL, render=True)
    assert captured.renderings == ()
    assert [a.media_type for a in services.evidence.of(OwnerKind.SOURCE, uid)] == [
        "application/warc"]
    assert "libnss3.so" in captured.attachment.details["rendering"]


def test_chromium_flags_are_added_as_root_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QTWEBENGINE_CHROMIUM_FLAGS", "--lang=en")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    page_render.prepare_environment()
    import os

    assert os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] == "--lang=en"
    monkeypatch.setattr("os.geteuid", lambda: 0)
    page_render.prepare_environment()
    assert os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] == "--lang=en --no-sandbox --disable-gpu"
