"""The renderer of a captured page: a full-page screenshot (PNG) and a PDF print.

Runs in a process of its own (``incidentlog _render-page``, started by
``exchange/page_pictures.py``, which says why), always offscreen, with Qt's
web engine (Chromium, in the optional PySide6-Addons wheel). Each step is a
signal or a timer on Qt's event loop.

What is rendered is the page **as the WARC holds it**: the body fetched once
for the WARC is handed to the engine (``setContent``, with the final URL as
its base), so the pictures show the very bytes whose hash is kept, not a
second download that may differ. Only a body over 2 MB (the most
``setContent`` takes) is loaded from its URL again. Images, style sheets
and scripts the page refers to are fetched by the engine; every request it
makes passes the address guard, which refuses other schemes than http(s),
data and blob, and hosts that resolve to an address the capture's policy
refuses (public addresses only, unless the policy names more networks). The
page cannot navigate away; pop-ups are not opened. See docs/evidence.md.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import os
import socket
import sys
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QImage

from incidentlog.exchange.capture import CapturePolicy

#: How the renderer's process says that it cannot render at all (exit status 4).
UNAVAILABLE = "no screenshot or PDF"
#: The width the page is laid out at, in CSS pixels (a desktop browser's).
WIDTH = 1280
#: The tallest screenshot; a longer page is cut there (and its details say so). The
#: PDF holds the whole page.
MAX_HEIGHT = 16_384
#: The most ``setContent`` takes (it becomes a data: URL); a larger body is loaded by URL.
MAX_CONTENT = 2 * 1024 * 1024
#: How long the page may take to load before what has arrived is rendered.
LOAD_LIMIT_MS = 20_000
#: How long rendering may take in all before it is given up.
TOTAL_LIMIT_MS = 60_000
#: The screenshot is taken when two grabs this far apart are the same picture.
SETTLE_MS = 250
SETTLE_LIMIT_MS = 10_000


#: The scripts run in an isolated world of their own (QWebEngineScript.ApplicationWorld):
#: the page's scripts cannot see or change them.
_OUR_WORLD = 1
_FRAMES_AFTER_RESIZE = """(function () {
  if (window.innerHeight < %d) return 0;
  if (window.incidentlogFrames === undefined) {
    window.incidentlogFrames = 0;
    requestAnimationFrame(function () { requestAnimationFrame(function () {
      window.incidentlogFrames = 2; }); });
  }
  return window.incidentlogFrames;
})()"""


def prepare_environment() -> None:
    """Chromium's flags, before the engine starts. As root (CI, containers) Chromium's
    sandbox refuses to start, so it is switched off there only; without a display the
    GPU is not asked for."""
    wanted: list[str] = []
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        wanted.append("--no-sandbox")
    if os.environ.get("QT_QPA_PLATFORM", "") == "offscreen" or wanted:
        wanted.append("--disable-gpu")
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    missing = [flag for flag in wanted if flag not in flags]
    if missing:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join([*flags, *missing])


def encode_png(image: QImage) -> bytes:
    """The screenshot as PNG (run on a worker thread: a tall page takes a second)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # (the stubs want bytes for the format; the binding refuses them at run time)
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise OSError("the screenshot could not be encoded as PNG")
    buffer.close()
    return bytes(data.data())


class PageRenderer(QObject):
    """Renders one fetched page; emits ``rendered(image, pdf, details)`` or
    ``failed(reason)``, once."""

    rendered = Signal(object, bytes, dict)
    failed = Signal(str)
    stage = Signal(str)

    def __init__(self, policy: CapturePolicy | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        prepare_environment()
        from PySide6.QtWebEngineCore import QWebEngineProfile, QWebEngineSettings
        from PySide6.QtWebEngineWidgets import QWebEngineView

        self._policy = policy or CapturePolicy()
        self._profile = QWebEngineProfile(None)  # off the record: nothing kept on disk
        guard_class, page_class = _web_classes()
        self._guard: Any = guard_class(self._policy)
        self._profile.setUrlRequestInterceptor(self._guard)
        self._page: Any = page_class(self._profile)
        settings = self._page.settings()
        attribute = QWebEngineSettings.WebAttribute
        settings.setAttribute(attribute.ShowScrollBars, False)
        settings.setAttribute(attribute.PluginsEnabled, False)
        settings.setAttribute(attribute.LocalContentCanAccessFileUrls, False)
        settings.setAttribute(attribute.JavascriptCanOpenWindows, False)
        self._view = QWebEngineView()
        self._view.setPage(self._page)
        self._view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        self._view.resize(WIDTH, 900)
        self._details: dict[str, Any] = {}
        self._last_grab: str | None = None
        self._image: QImage | None = None
        self._settle_ms = 0
        self._target_height = 0
        self._done = False
        self._load_timer = QTimer(self, singleShot=True, interval=LOAD_LIMIT_MS)
        self._load_timer.timeout.connect(self._stop_loading)
        self._total_timer = QTimer(self, singleShot=True, interval=TOTAL_LIMIT_MS)
        self._total_timer.timeout.connect(
            lambda: self._fail(f"rendering the page took longer than "
                               f"{TOTAL_LIMIT_MS // 1000} s"))
        self._page.loadFinished.connect(self._loaded)

    # --- the steps ---------------------------------------------------------------------

    def render(self, url: str, body: bytes | None, content_type: str | None) -> None:
        """Render ``body`` (as received, ``content_type``) with ``url`` as its base; without
        a body, load ``url``."""
        self._details = {"rendered_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "engine": _engine(), "width": WIDTH}
        self._view.show()
        self._total_timer.start()
        self._load_timer.start()
        self.stage.emit("Rendering the page…")
        if body is not None and len(body) <= MAX_CONTENT:
            self._details["rendered_from"] = "the body kept in the WARC"
            mime = (content_type or "text/html").split(";")[0].strip() or "text/html"
            charset = _charset(content_type)
            if charset:
                mime += f";charset={charset}"
            self._page.setContent(QByteArray(body), mime, QUrl(url))
        else:
            self._details["rendered_from"] = "the URL, loaded again (body over 2 MB)"
            self._page.load(QUrl(url))

    def cancel(self) -> None:
        self._fail("cancelled")

    def _stop_loading(self) -> None:
        from PySide6.QtWebEngineCore import QWebEnginePage

        self._details["load_stopped"] = f"after {LOAD_LIMIT_MS // 1000} s, the page was " \
                                        "rendered as far as it had loaded"
        self._page.triggerAction(QWebEnginePage.WebAction.Stop)
        self._loaded(True)

    def _loaded(self, ok: bool) -> None:
        if self._done or self._page.loading_done:
            return
        self._page.loading_done = True
        self._load_timer.stop()
        if not ok and "load_stopped" not in self._details:
            self._fail("the page could not be loaded into the renderer")
            return
        self._page.runJavaScript(
            "Math.max(document.documentElement ? document.documentElement.scrollHeight : 0,"
            " document.body ? document.body.scrollHeight : 0)", _OUR_WORLD, self._measured)

    def _measured(self, height: Any) -> None:
        if self._done:
            return
        full = int(height) if isinstance(height, int | float) and height > 0 else 900
        self._target_height = min(full, MAX_HEIGHT)
        self._details["page_height"] = full
        if full > MAX_HEIGHT:
            self._details["cut_at"] = MAX_HEIGHT
        self._view.resize(WIDTH, self._target_height)
        self._wait_for_layout()

    def _wait_for_layout(self) -> None:
        if self._done:
            return

        def answer(frames: Any) -> None:
            if frames == 2:
                QTimer.singleShot(SETTLE_MS, self._grab)
            else:
                QTimer.singleShot(20, self._wait_for_layout)

        # Laid out at the new height, then two animation frames: by then Chromium has
        # produced a frame of the whole page (the grabs below make sure it is painted).
        self._page.runJavaScript(_FRAMES_AFTER_RESIZE % self._target_height, _OUR_WORLD, answer)

    def _grab(self) -> None:
        """Grab until two grabs a moment apart agree: Chromium paints a resized page over
        several frames, and a grab taken too early is partly blank."""
        if self._done:
            return
        image = self._view.grab().toImage()
        digest = hashlib.sha256(bytes(image.constBits())).hexdigest()
        self._settle_ms += SETTLE_MS
        if digest != self._last_grab and self._settle_ms < SETTLE_LIMIT_MS:
            self._last_grab = digest
            QTimer.singleShot(SETTLE_MS, self._grab)
            return
        self._image = image
        self._details["height"] = image.height()
        self.stage.emit("Printing the page to PDF…")
        self._page.printToPdf(self._printed)

    def _printed(self, pdf: QByteArray | bytes) -> None:
        if self._done:
            return
        data = bytes(pdf.data()) if isinstance(pdf, QByteArray) else bytes(pdf)
        if not data.startswith(b"%PDF"):
            self._fail("the page could not be printed to PDF")
            return
        if self._guard.refused:
            self._details["refused"] = sorted(self._guard.refused)[:100]
        self._finish()
        self.rendered.emit(self._image, data, dict(self._details))

    def _fail(self, reason: str) -> None:
        if self._done:
            return
        self._finish()
        self.failed.emit(reason)

    def _finish(self) -> None:
        self._done = True
        self._load_timer.stop()
        self._total_timer.stop()
        # The page before its profile (Chromium warns otherwise), neither while a
        # callback of theirs is still on the stack.
        view, page, profile = self._view, self._page, self._profile
        view.hide()
        view.deleteLater()
        page.deleteLater()
        QTimer.singleShot(0, profile.deleteLater)


def _charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None


def _engine() -> str:
    from PySide6 import QtWebEngineCore

    return f"QtWebEngine {getattr(QtWebEngineCore, 'qWebEngineVersion', lambda: '?')()} " \
           f"(Chromium {getattr(QtWebEngineCore, 'qWebEngineChromiumVersion', lambda: '?')()})"


@functools.cache
def _web_classes() -> tuple[type, type]:
    """The guard and the page (their Qt bases exist only with PySide6-Addons)."""
    prepare_environment()
    from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineUrlRequestInterceptor

    class AddressGuard(QWebEngineUrlRequestInterceptor):
        """Refuses every request of the page that the capture's policy would refuse."""

        def __init__(self, policy: CapturePolicy) -> None:
            super().__init__()
            self._policy = policy
            self._verdicts: dict[tuple[str, int], bool] = {}
            self.refused: set[str] = set()

        def interceptRequest(self, info: Any) -> None:
            url: QUrl = info.requestUrl()
            scheme = url.scheme().lower()
            if scheme in ("data", "blob") or url.toString() == "about:blank":
                return
            if scheme not in ("http", "https") or not self._allowed(url):
                self.refused.add(url.toString()[:300])
                info.block(True)

        def _allowed(self, url: QUrl) -> bool:
            host = url.host()
            port = url.port(443 if url.scheme().lower() == "https" else 80)
            key = (host, port)
            if key not in self._verdicts:
                # Resolved once per host and capture. Chromium resolves the name again
                # itself; docs/evidence.md says what that leaves open.
                try:
                    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0])
                                 for info in infos]
                except (OSError, ValueError):
                    addresses = []
                self._verdicts[key] = bool(addresses) and all(
                    self._policy.allows(a) for a in addresses)
            return self._verdicts[key]

    class OnePage(QWebEnginePage):
        """A page that shows what it was given and goes nowhere else."""

        def __init__(self, profile: Any) -> None:
            super().__init__(profile, None)
            self.loading_done = False
            self._navigations = 0

        def acceptNavigationRequest(self, url: QUrl | str, kind: Any,
                                    is_main_frame: bool) -> bool:
            if not is_main_frame:
                return True  # frames load through the guard like everything else
            self._navigations += 1
            return self._navigations == 1

        def javaScriptConsoleMessage(self, *_args: Any) -> None:
            pass  # the page's console is not ours to print

        def createWindow(self, _kind: Any) -> None:  # type: ignore[override]
            return None  # no pop-ups

    return AddressGuard, OnePage


# --- the renderer's process -----------------------------------------------------------------


def main(argv: list[str]) -> int:
    """``incidentlog _render-page --out DIR --url URL [--body FILE --content-type T]
    [--allow NETWORK]...``: writes DIR/page.png, DIR/page.pdf, DIR/details.json. A failure
    is one line on stderr, "render-page: <why>", and exit status 3; 4 when Qt's web engine
    cannot be loaded here."""
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="incidentlog _render-page")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--body", type=Path)
    parser.add_argument("--content-type")
    parser.add_argument("--allow", action="append", default=[])
    args = parser.parse_args(argv)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # nothing is ever shown
    prepare_environment()
    try:
        import PySide6.QtWebEngineWidgets  # noqa: F401
    except ImportError as exc:  # not installed, or a library of Chromium's missing
        print(f"render-page: {UNAVAILABLE}: Qt's web engine cannot be loaded ({exc})",
              file=sys.stderr)
        return 4
    from PySide6.QtWidgets import QApplication

    app = QApplication(["incidentlog-render"])
    renderer = PageRenderer(CapturePolicy(also_allow=tuple(args.allow)))
    outcome: list[str] = []

    def rendered(image: QImage, pdf: bytes, details: dict[str, Any]) -> None:
        from incidentlog.store.safe_paths import open_private

        try:
            for name, data in (("page.png", encode_png(image)), ("page.pdf", pdf),
                               ("details.json", json.dumps(details).encode())):
                with open_private(args.out / name) as writing:
                    writing.write(data)
        except OSError as exc:
            outcome.append(f"the pictures could not be written ({exc})")
        app.quit()

    def failed(reason: str) -> None:
        outcome.append(reason)
        app.quit()

    renderer.rendered.connect(rendered)
    renderer.failed.connect(failed)
    body = args.body.read_bytes() if args.body is not None else None
    renderer.render(args.url, body, args.content_type)
    app.exec()
    if outcome:
        print(f"render-page: {outcome[0]}", file=sys.stderr)
        return 3
    return 0
