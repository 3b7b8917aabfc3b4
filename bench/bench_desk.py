"""The desk officer's minute: the seed's al-Assad report entered from the keyboard only.

    python -m bench.bench_desk [--show-keys]

Drives the real window (offscreen) the way a person at the keyboard does:
every key goes to the widget that has the focus (or the open popup), as a
key press and release; nothing calls into the application, sets a field's
text or clicks. The log starts with one source already in it (the AP live
page) and the clipboard holds what the officer copied in the browser: first
CENTCOM's post, then the AP page's address. The officer enters the incident
(title, local time and zone, "about", place, province, country, event type,
weapons, perpetrator), pastes the post (a source and a quote in one step),
then links the AP page by pasting its address, which the log recognises and
reuses. The result is read back from a JSON export of the log and checked
field by field.

Printed: key presses in all, those of the text itself (printable characters
typed) and those outside it (Tab, shortcuts, Space on a check box, Enter),
mouse clicks (always 0: there is no mouse here), and an estimate of a
person's time at 0.4 s a key — the rate at which the first-hour test measured
410 keys as about 165 seconds. docs/performance.md holds the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QDeadlineTimer,
    QMessageLogContext,
    Qt,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from bench.common import Figure, markdown_table

TITLE = "Missile attack on al-Assad Airbase"
POST_TEXT = ("At approximately 6:30 p.m. (Baghdad time) time Jan. 20, multiple ballistic "
             "missiles and rockets were launched by Iranian-backed militants in Western Iraq "
             "targeting al-Assad Airbase. Most of the missiles were intercepted by…")
POST = (f"{POST_TEXT}\n— U.S. Central Command (@CENTCOM) January 20, 2024\n"
        "https://twitter.com/CENTCOM/status/1748846497406726425")
POST_URL = "https://twitter.com/CENTCOM/status/1748846497406726425"
AP_URL = "https://apnews.com/live/israel-hamas-war-news-1-20-2024"
AP_TITLE = "The Latest | Ballistic missiles and rockets target al-Assad Airbase in Iraq"
SECONDS_PER_KEY = 0.4
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier
NONE = Qt.KeyboardModifier.NoModifier


@dataclass
class Typist:
    """Sends keys to whatever has the focus, and counts them."""

    text_keys: int = 0
    other_keys: int = 0
    clicks: int = 0
    log: list[str] = field(default_factory=list)

    @staticmethod
    def target() -> QWidget:
        widget = (QApplication.activePopupWidget() or QApplication.focusWidget()
                  or QApplication.activeModalWidget() or QApplication.activeWindow())
        if widget is None:
            raise RuntimeError("no widget has the keyboard focus")
        return widget

    def press(self, key: Qt.Key, modifiers: Qt.KeyboardModifier = NONE, name: str = "") -> None:
        """A key outside the text: Tab, a shortcut, Space on a check box, Enter."""
        self.other_keys += 1
        self.log.append(f"[{name or key.name.removeprefix('Key_')}]")
        QTest.keyClick(self.target(), key, modifiers)
        settle()

    def type(self, text: str) -> None:
        """The text itself, one printable character at a time."""
        for character in text:
            self.text_keys += 1
            QTest.keyClick(self.target(), character)
            QCoreApplication.processEvents()
        self.log.append(text)
        settle()

    @property
    def total(self) -> int:
        return self.text_keys + self.other_keys


def settle(ms: int = 30) -> None:
    """Let the window do what a key asked (completers, dialogs, queued queries)."""
    deadline = QDeadlineTimer(ms)
    while not deadline.hasExpired():
        QCoreApplication.processEvents()
        QTest.qWait(5)


def wait_for(condition: Callable[[], bool], what: str, ms: int = 5000) -> None:
    deadline = QDeadlineTimer(ms)
    while not condition():
        if deadline.hasExpired():
            raise RuntimeError(f"timed out waiting for {what}")
        QCoreApplication.processEvents()
        QTest.qWait(10)


def _quiet_offscreen(_kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    # The offscreen platform says it cannot raise or grab; anything else is printed.
    if not message.startswith("This plugin does not support"):
        print(message, file=sys.stderr)


def window_manager_activates(window: QWidget) -> None:
    """What a desktop's window manager does when a dialog closes: the window is active
    again. The offscreen platform does not, so the bench does it (it is no key)."""
    window.activateWindow()
    wait_for(window.isActiveWindow, "the window to be active again")
    settle()


def prepare_log(path: Path) -> None:
    """A log holding the AP page already, as a desk's log would after a morning's work."""
    from incidentlog.domain.enums import SourceKind
    from incidentlog.domain.records import Source
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    with open_database(path) as database:
        Services(database, actor="desk").sources.create(
            Source(title=AP_TITLE, url=AP_URL, outlet="Associated Press",
                   kind=SourceKind.ARTICLE))


def enter_the_report(typist: Typist, window: Any) -> None:
    """The fastest path, key by key, as docs/entering-incidents.md shows it."""
    form = window.workspace.incident_form
    press, type_ = typist.press, typist.type
    press(Qt.Key.Key_N, CTRL, "Ctrl+N")
    wait_for(lambda: QApplication.focusWidget() is form.title, "the title to take the focus")
    type_(TITLE)
    press(Qt.Key.Key_O, ALT, "Alt+O")           # Occurred
    type_("202401201830")
    press(Qt.Key.Key_Z, ALT, "Alt+Z")           # Time zone
    type_("Baghdad")
    press(Qt.Key.Key_Tab)                        # takes Asia/Baghdad, on to Approximate
    press(Qt.Key.Key_Space)                      # "about"
    press(Qt.Key.Key_Tab)                        # Place
    type_("al-Assad Airbase")
    press(Qt.Key.Key_Tab)                        # Province
    type_("Al Anbar")
    press(Qt.Key.Key_Tab)                        # Country
    type_("IQ")
    press(Qt.Key.Key_Tab)                        # takes Iraq (IQ)
    press(Qt.Key.Key_Y, ALT, "Alt+Y")           # Event type
    type_("ballistic missile attack")
    press(Qt.Key.Key_W, ALT, "Alt+W")           # Weapons
    type_("ballistic missiles, rockets")
    press(Qt.Key.Key_R, ALT, "Alt+R")           # Actors: on "Add actor"
    press(Qt.Key.Key_Space)                      # a row, its role "perpetrator"
    press(Qt.Key.Key_Tab)                        # the actor's name
    type_("Iranian-backed militants")
    press(Qt.Key.Key_S, CTRL, "Ctrl+S")
    # The post copied in the browser: one step makes its source and its quote.
    QGuiApplication.clipboard().setText(POST)
    press(Qt.Key.Key_V, CTRL | SHIFT, "Ctrl+Shift+V")
    wait_for(lambda: QApplication.activeModalWidget() is not None, "the paste post dialog")
    press(Qt.Key.Key_S, CTRL, "Ctrl+S")
    wait_for(lambda: QApplication.activeModalWidget() is None, "the paste post dialog to close")
    window_manager_activates(window)
    # The AP page's address copied in the browser: already in the log, so reused.
    QGuiApplication.clipboard().setText(AP_URL)
    press(Qt.Key.Key_Backtab, CTRL | SHIFT, "Ctrl+Shift+Tab")  # from Quotes to Sources
    press(Qt.Key.Key_P, ALT, "Alt+P")           # Paste citation…
    wait_for(lambda: QApplication.activeModalWidget() is not None, "the citation dialog")
    press(Qt.Key.Key_Tab)                        # Continue…
    press(Qt.Key.Key_Space)
    wait_for(lambda: hasattr(form.sources_tab.active_dialog, "form"), "the source dialog")
    notice = form.sources_tab.active_dialog.form.duplicate_notice
    wait_for(notice.isVisible, "the duplicate notice")
    press(Qt.Key.Key_E, ALT, "Alt+E")           # Use the &existing source
    wait_for(lambda: form.sources_tab.active_dialog is None, "the source dialog to close")
    window_manager_activates(window)


def stored_result(window: Any, folder: Path) -> dict[str, Any]:
    """The log as a colleague receives it: a JSON export of everything."""
    from incidentlog.exchange.json import export_json

    out = folder / "export.json"
    export_json(window.context.services, out)
    return json.loads(out.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def check(exported: dict[str, Any]) -> list[str]:
    """Every way the stored report could be wrong, as sentences (none when right)."""
    wrong: list[str] = []

    def expect(what: str, actual: object, wanted: object) -> None:
        if actual != wanted:
            wrong.append(f"{what}: stored {actual!r}, wanted {wanted!r}")

    incidents = exported.get("incidents", [])
    expect("incidents", len(incidents), 1)
    if not incidents:
        return wrong
    incident = incidents[0]
    expect("title", incident.get("title"), TITLE)
    expect("occurred (UTC)", incident.get("occurred_at"), "2024-01-20T15:30:00Z")
    expect("precision", incident.get("time_precision"), "minute")
    expect("time zone", incident.get("tz"), "Asia/Baghdad")
    expect("approximate", incident.get("approximate"), True)
    expect("place", incident.get("place"), "al-Assad Airbase")
    expect("province", incident.get("admin1"), "Al Anbar")
    expect("country", incident.get("country"), "IQ")
    expect("event type", incident.get("event_type"), "ballistic missile attack")
    expect("weapons", incident.get("weapons"), "ballistic missiles, rockets")
    expect("perpetrator", incident.get("perpetrator"), "Iranian-backed militants")
    sources = {source["url"]: source for source in exported.get("sources", [])}
    expect("sources in the log", sorted(sources), sorted([AP_URL, POST_URL]))
    post = sources.get(POST_URL, {})
    expect("post handle", post.get("handle"), "@CENTCOM")
    expect("post author", post.get("author"), "U.S. Central Command")
    expect("post published", (post.get("published_at"), post.get("published_precision")),
           ("2024-01-20T00:00:00Z", "day"))
    linked = sorted(link["source"] for link in incident.get("sources", []))
    expect("sources of the incident", linked,
           sorted(source["uid"] for source in exported.get("sources", [])))
    quotes = exported.get("quotes", [])
    expect("quotes", len(quotes), 1)
    if quotes:
        expect("quote text", quotes[0].get("text"), POST_TEXT)
        expect("quote speaker", quotes[0].get("speaker"), "U.S. Central Command")
        expect("quote about", quotes[0].get("incident"), incident.get("uid"))
        expect("quote carried by", quotes[0].get("source"), post.get("uid"))
    return wrong


def measure(show_keys: bool = False) -> tuple[list[Figure], list[str], Typist]:
    from incidentlog.app import build_main_window

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    qInstallMessageHandler(_quiet_offscreen)
    with tempfile.TemporaryDirectory(prefix="bench-desk-") as scratch:
        folder = Path(scratch)
        log = folder / "desk.sqlite3"
        prepare_log(log)
        window = build_main_window(["--db", str(log)])
        window.resize(1024, 700)
        window.show()
        window.activateWindow()
        wait_for(window.isActiveWindow, "the window to be active")
        settle(300)
        typist = Typist()
        enter_the_report(typist, window)
        exported = stored_result(window, folder)
        if os.environ.get("BENCH_DESK_DUMP"):
            print(json.dumps(exported, indent=1, ensure_ascii=False)[:6000], file=sys.stderr)
        wrong = check(exported)
        window.close()
        app.processEvents()
    if show_keys:
        print(" ".join(typist.log), file=sys.stderr)
    figures = [
        Figure("desk", "key presses in all (post pasted)", "keys", limit=200),
        Figure("desk", "key presses outside the text itself", "keys", limit=40),
        Figure("desk", "key presses of the text itself", "keys"),
        Figure("desk", "mouse clicks", "clicks", limit=0),
        Figure("desk", f"a person's time at {SECONDS_PER_KEY} s a key", "s", limit=90),
        Figure("desk", "fields stored wrong", "fields", limit=0),
    ]
    for figure, value in zip(figures, (typist.total, typist.other_keys, typist.text_keys,
                                       typist.clicks, typist.total * SECONDS_PER_KEY,
                                       len(wrong)), strict=True):
        figure.add(value)
    return figures, wrong, typist


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show-keys", action="store_true", help="print every key sent")
    args = parser.parse_args(argv)
    figures, wrong, _typist = measure(args.show_keys)
    print(markdown_table(figures))
    for sentence in wrong:
        print(f"stored wrong: {sentence}")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
