"""Capturing a page from a real HTTP server on 127.0.0.1: WARC, redirects, refusals, caps."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from incidentlog.domain.evidence import OwnerKind
from incidentlog.domain.records import Source
from incidentlog.exchange.capture import (
    CaptureError,
    CapturePolicy,
    capture_source,
    public_only,
)
from incidentlog.services import Services
from incidentlog.store.blobs import FolderBlobStore

PAGE = b"<!DOCTYPE html><html><body><h1>Strike on Tower 22</h1></body></html>"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        routes = {
            "/page": self._page, "/moved": lambda: self._redirect("/page"),
            "/to-file": lambda: self._redirect("file:///etc/passwd"),
            "/to-private": lambda: self._redirect("http://10.1.2.3/admin"),
            "/slow": self._slow, "/huge": self._huge,
        }
        routes.get(self.path, self._missing)()

    def _page(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.send_header("X-Seen-By", "test server")
        self.end_headers()
        self.wfile.write(PAGE)

    def _redirect(self, where: str) -> None:
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _missing(self) -> None:
        self.send_error(404, "Not Found")

    def _slow(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        for _ in range(200):  # a page that never ends, a byte at a time (stops after 40 s)
            try:
                self.wfile.write(b"x")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.2)

    def _huge(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        chunk = b"\0" * 65536
        for _ in range(10_000):  # 640 MiB unless the client hangs up first
            try:
                self.wfile.write(chunk)
            except OSError:
                return


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


#: The tests' policy: this machine's loopback allowed (the test server), nothing private.
LOCAL = CapturePolicy(allow_address=lambda address: address.is_loopback,
                      max_bytes=1024 * 1024, time_limit_s=1.5)


def _source(services: Services, url: str) -> str:
    uid = services.sources.create(Source(title="page", url=url), distinct=True).record.meta.uid
    assert uid is not None
    return uid


def _nothing_stored(services: Services, uid: str) -> None:
    assert services.evidence.of(OwnerKind.SOURCE, uid) == []
    root = FolderBlobStore.beside(services.database.path).root  # type: ignore[arg-type]
    assert not root.exists() or not [p for p in (root / "sha256").rglob("*") if p.is_file()]


def test_a_page_is_captured_as_a_warc_after_its_redirect(services: Services, server: str) -> None:
    uid = _source(services, f"{server}/moved")
    captured = capture_source(services, uid, policy=LOCAL)
    assert (captured.final_url, captured.status) == (f"{server}/page", 200)
    attachment = captured.attachment
    assert attachment.role == "capture" and attachment.media_type == "application/warc"
    details = attachment.details
    assert details["redirects"] == [f"{server}/moved"]
    assert details["body_sha256"] == hashlib.sha256(PAGE).hexdigest()
    assert details["content_type"] == "text/html; charset=utf-8"
    with services.evidence.open(attachment) as reading:
        data = reading.read()
    assert hashlib.sha256(data).hexdigest() == attachment.sha256
    with services.evidence.open(attachment) as reading:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"),
                    r.http_headers.get_statuscode() if r.rec_type == "response" else
                    f"{r.http_headers.protocol} {r.http_headers.statusline}",
                    r.content_stream().read(),
                    r.http_headers.get_header("X-Seen-By") or r.http_headers.get_header("Host"))
                   for r in ArchiveIterator(reading)]
    host = server.removeprefix("http://")
    assert records == [
        ("response", f"{server}/moved", "302", b"", None),
        ("request", f"{server}/moved", "GET /moved HTTP/1.1", b"", host),
        ("response", f"{server}/page", "200", PAGE, "test server"),
        ("request", f"{server}/page", "GET /page HTTP/1.1", b"", host),
    ]
    trail = services.evidence.custody(attachment.uid)
    assert [e.action for e in trail] == ["capture"]
    assert trail[0].changes["details"]["final_url"] == f"{server}/page"


@pytest.mark.parametrize(("path", "why"), [
    ("/missing", "answered 404"),
    ("/to-file", "only http and https"),
    ("/to-private", "10.1.2.3, a private or local address"),
    ("/huge", "larger than 1,048,576 bytes"),
    ("/slow", "took longer than 1.5 s"),
])
def test_a_failed_capture_says_why_and_stores_nothing(
    services: Services, server: str, path: str, why: str
) -> None:
    uid = _source(services, f"{server}{path}")
    with pytest.raises(CaptureError, match=why) as caught:
        capture_source(services, uid, policy=LOCAL)
    assert "nothing was stored" in str(caught.value).lower()
    _nothing_stored(services, uid)


def test_the_default_policy_refuses_this_machine(services: Services, server: str) -> None:
    uid = _source(services, f"{server}/page")
    with pytest.raises(CaptureError, match="private or local address"):
        capture_source(services, uid)
    _nothing_stored(services, uid)


def test_cancel_stops_the_capture_and_stores_nothing(services: Services, server: str) -> None:
    uid = _source(services, f"{server}/huge")
    with pytest.raises(CaptureError, match="cancelled"):
        capture_source(services, uid, policy=LOCAL, cancel=lambda: True)
    _nothing_stored(services, uid)


def test_public_only_judges_addresses() -> None:
    import ipaddress

    judged = {text: public_only(ipaddress.ip_address(text)) for text in (
        "127.0.0.1", "10.0.0.1", "192.168.1.1", "169.254.169.254", "::1", "fc00::1",
        "100.64.0.1", "0.0.0.0", "93.184.216.34", "2606:4700::1111")}
    assert [text for text, allowed in judged.items() if allowed] == [
        "93.184.216.34", "2606:4700::1111"]


def test_a_source_without_url_cannot_be_captured(services: Services, tmp_path: Path) -> None:
    uid = services.sources.create(Source(title="a leaflet")).record.meta.uid
    assert uid is not None
    with pytest.raises(CaptureError, match="no URL"):
        capture_source(services, uid, policy=LOCAL)
