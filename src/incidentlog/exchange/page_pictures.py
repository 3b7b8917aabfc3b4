"""A captured page's full-page screenshot (PNG) and PDF print, made in a separate process.

The pictures are drawn by Qt's web engine (Chromium, in the optional
PySide6-Addons wheel: the extra ``capture``) in a child process of its own —
``incidentlog _render-page``, which runs ``gui/page_render.py`` — for three
reasons: Chromium inside the window's process crashes the binding as soon as
the application has an event filter of its own (PySide wraps each of the web
engine's internal QtQuick objects for it, and that crashes: the window's
plain-text tooltip guard is one); a renderer that crashes or hangs on a
hostile page takes nothing of the log with it; and a capture can run on a
worker thread from start to end, the window's thread never waiting. The
child always runs offscreen: nothing is shown, and no display is needed.

The child is handed the body **the WARC holds** (a file), the final URL as
its base, and the capture's address policy as networks (``also_allow``), and
writes ``page.png``, ``page.pdf`` and ``details.json`` into a private folder
this process made and removes. Cancel and the time limit end it; a failure
of any kind raises ``CaptureError`` and leaves nothing (docs/evidence.md).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from incidentlog.exchange.capture import (
    CaptureCancelledError,
    CaptureError,
    CapturePolicy,
    Fetched,
    Rendering,
)
from incidentlog.store.safe_paths import open_private

#: The hidden command that runs the renderer (cli/entry.py).
RENDER_COMMAND = "_render-page"
#: The most a page body handed to the renderer may be (larger: loaded from its URL).
MAX_BODY = 2 * 1024 * 1024
#: The renderer's own limit is 60 s; this one is the parent's, for a child that hangs.
TIME_LIMIT_S = 90.0


class RendererUnavailableError(CaptureError):
    """The renderer cannot run here (Qt's web engine or a library of Chromium's missing):
    the capture keeps its WARC alone and says why."""


def renderer_missing() -> str | None:
    """None when pages can be rendered; else why not (kept in the capture's details)."""
    try:
        found = importlib.util.find_spec("PySide6.QtWebEngineWidgets")
    except (ImportError, ValueError):
        found = None
    if found is None:
        return ("no screenshot or PDF: Qt's web engine is not installed (the 'capture' "
                "extra: pip install 'incidentlog[capture]')")
    return None


def renderer_command() -> list[str]:
    """How to start incidentlog's renderer: the packaged program, or this Python."""
    if getattr(sys, "frozen", False):
        return [sys.executable, RENDER_COMMAND]
    return [sys.executable, "-m", "incidentlog", RENDER_COMMAND]


def render_page(fetched: Fetched, policy: CapturePolicy, *,
                cancel: Callable[[], bool] | None = None,
                time_limit_s: float = TIME_LIMIT_S) -> list[Rendering]:
    """The screenshot and the PDF of ``fetched``'s final page, or ``CaptureError``."""
    folder = Path(tempfile.mkdtemp(prefix="incidentlog-render-"))  # owner-only (0700)
    try:
        command = [*renderer_command(), "--out", str(folder), "--url", fetched.final.url]
        body = fetched.body(MAX_BODY)
        if body is not None:
            with open_private(folder / "body") as writing:
                writing.write(body)
            command += ["--body", str(folder / "body"),
                        "--content-type", fetched.content_type or "text/html"]
        for network in policy.also_allow:
            command += ["--allow", network]
        status, error = _run(command, cancel, time_limit_s)
        if status == 4:
            raise RendererUnavailableError(error or "no screenshot or PDF")
        png, pdf = folder / "page.png", folder / "page.pdf"
        if error is not None or not png.is_file() or not pdf.is_file():
            raise CaptureError(
                f"The page was fetched but could not be rendered ({error or 'no pictures'})"
                "; nothing was stored.")
        details = json.loads((folder / "details.json").read_text("utf-8"))
        host = urlsplit(fetched.final.url).hostname or "page"
        stem = f"capture-{host}-{fetched.stamp()}"
        return [Rendering(f"{stem}.png", png.read_bytes(), {**details, "kind": "screenshot"}),
                Rendering(f"{stem}.pdf", pdf.read_bytes(), {**details, "kind": "pdf print"})]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(command: list[str], cancel: Callable[[], bool] | None,
         time_limit_s: float) -> tuple[int, str | None]:
    """Run the renderer to its end: its exit status, and its last line of errors if it
    failed (else None)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    deadline = time.monotonic() + time_limit_s
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=errors, env=env)
        try:
            while child.poll() is None:
                if cancel is not None and cancel():
                    raise CaptureCancelledError()
                if time.monotonic() > deadline:
                    raise CaptureError(f"Rendering the page took longer than "
                                       f"{time_limit_s:g} s; nothing was stored.")
                time.sleep(0.1)
        finally:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(5)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        if child.returncode == 0:
            return 0, None
        errors.seek(0)
        said = [line for line in errors.read().decode("utf-8", "replace").splitlines()
                if line.startswith("render-page: ")]
        return child.returncode, (said[-1].removeprefix("render-page: ") if said else
                                  f"the renderer stopped with status {child.returncode}")
