"""Save Page Now with the officer's consent, against a local server that answers as the
Internet Archive does: the snapshot's address kept in the source's archive_url."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication, QMessageBox

from incidentlog.domain.records import Source
from incidentlog.exchange.archive import ArchiveError, save_page_now
from incidentlog.exchange.capture import CapturePolicy
from incidentlog.gui import plain_text
from incidentlog.gui.context import AppContext, ChangeBus, SelectionState
from incidentlog.gui.forms.source_form import SourceForm
from incidentlog.gui.settings import Settings
from incidentlog.services import Services

PAGE = "https://example.org/statement?id=7"


class Archive:
    """The requests it was sent; how it answers (a redirect, Content-Location, a 429)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.answer = "redirect"
        self.url = ""


@pytest.fixture
def archive() -> Iterator[Archive]:
    state = Archive()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:
            state.requests.append(self.path)
            if not self.path.startswith("/save/"):  # a page of the site being captured
                body = b"<html><body>a page</body></html>"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            target = self.path.removeprefix("/save/")
            snapshot = f"/web/20240120101500/{target}"
            if state.answer == "too many":
                self.send_error(429, "Too Many Requests")
                return
            self.send_response(302 if state.answer == "redirect" else 200)
            self.send_header("Location" if state.answer == "redirect" else "Content-Location",
                             snapshot)
            self.send_header("Content-Length", "0")
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("answer", ["redirect", "content-location"])
def test_the_snapshot_address_is_read_from_either_header(archive: Archive, answer: str) -> None:
    archive.answer = answer
    snapshot = save_page_now(PAGE, archive=f"{archive.url}/save/")
    assert snapshot == f"{archive.url}/web/20240120101500/{PAGE}"
    assert archive.requests == [f"/save/{PAGE}"]


def test_a_refusal_says_why(archive: Archive) -> None:
    archive.answer = "too many"
    with pytest.raises(ArchiveError, match=r"429 \(too many requests"):
        save_page_now(PAGE, archive=f"{archive.url}/save/")


@pytest.fixture
def form(qtbot: Any, services: Services, tmp_path: Path, qapp: QApplication,
         archive: Archive) -> Iterator[SourceForm]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    bus = ChangeBus(services)
    context = AppContext(services, SelectionState(), bus, QUndoStack(), Settings(settings))
    uid = services.sources.create(Source(title="statement", url=f"{archive.url}/post"))
    widget = SourceForm(context)
    qtbot.addWidget(widget)
    widget.load(uid.record.meta.uid)
    widget.evidence.archive_endpoint = f"{archive.url}/save/"
    yield widget
    context.runner.wait()
    bus.detach()


def test_the_archive_is_asked_only_with_consent_and_its_address_kept(
    qtbot: Any, form: SourceForm, services: Services, archive: Archive,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []

    def answer(reply: QMessageBox.StandardButton) -> Any:
        def question(_parent: Any, _title: str, text: str, *_a: Any) -> Any:
            asked.append(text)
            return reply
        return question

    uid = form.uid()
    assert uid is not None
    # A capture never contacts the archive.
    form.evidence.capture_policy = CapturePolicy(also_allow=("127.0.0.1/32",))
    monkeypatch.setattr("incidentlog.exchange.page_pictures.renderer_missing", lambda: "n/a")
    task = form.evidence.capture()
    assert task is not None
    qtbot.waitUntil(lambda: task.done, timeout=30_000)
    assert archive.requests == ["/post"]
    # Declined: nothing is sent.
    monkeypatch.setattr(plain_text, "question", answer(QMessageBox.StandardButton.No))
    assert form.evidence.ask_archive() is None
    assert archive.requests == ["/post"] and len(asked) == 1
    assert f"{archive.url}/save/" in asked[0]  # the officer is told where it goes
    # Agreed: asked once, its answer kept in the source.
    monkeypatch.setattr(plain_text, "question", answer(QMessageBox.StandardButton.Yes))
    task = form.evidence.ask_archive()
    assert task is not None
    qtbot.waitUntil(lambda: task.done, timeout=30_000)
    snapshot = f"{archive.url}/web/20240120101500/{archive.url}/post"
    assert archive.requests == ["/post", f"/save/{archive.url}/post"]
    assert services.sources.get(uid).archive_url == snapshot
    assert snapshot in form.evidence.status.text()
    qtbot.waitUntil(lambda: form.archive_url.text() == snapshot, timeout=5_000)


def test_a_failed_request_leaves_the_source_unchanged(
    qtbot: Any, form: SourceForm, services: Services, archive: Archive,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive.answer = "too many"
    monkeypatch.setattr(plain_text, "question",
                        lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    task = form.evidence.ask_archive()
    assert task is not None
    qtbot.waitUntil(lambda: task.done, timeout=30_000)
    uid = form.uid()
    assert uid is not None
    assert services.sources.get(uid).archive_url is None
    qtbot.waitUntil(lambda: "429" in form.evidence.status.text(), timeout=5_000)
