"""Paste a whole post in the real window: one dialog, then a source, a quote and the link.

See docs/entering-incidents.md, "Paste a post". The window runs on a real
SQLite file; the clipboard holds what a browser puts there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication
from sample_data import build_window, make_database

from incidentlog.domain.enums import SourceKind
from incidentlog.domain.query import TextFilter
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.gui.forms.paste_post import PastePostDialog
from incidentlog.gui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")

POST_TEXT = ("At approximately 6:30 p.m. (Baghdad time) time Jan. 20, multiple ballistic missiles "
             "and rockets were launched by Iranian-backed militants in Western Iraq targeting "
             "al-Assad Airbase.")
#: The seed's CENTCOM post as copied from a page: text, attribution, the link on its own line.
PLAIN_POST = (f"{POST_TEXT} pic.twitter.com/rYaNrRdRtu\n"
              "— U.S. Central Command (@CENTCOM) January 20, 2024\n"
              "https://twitter.com/CENTCOM/status/1748783633954324512\n")
#: The same post as the HTML of its embed (what a browser copies); see
#: tests/unit/test_pasted_html.py.
EMBED_HTML = (
    '<meta charset="utf-8"><blockquote class="twitter-tweet"><p lang="en" dir="ltr">'
    f'{POST_TEXT} <a href="https://t.co/rYaNrRdRtu">pic.twitter.com/rYaNrRdRtu</a>'
    "</p>&mdash; U.S. Central Command (@CENTCOM) "
    '<a href="https://twitter.com/CENTCOM/status/1748783633954324512?ref_src=twsrc%5Etfw">'
    "January 20, 2024</a></blockquote>"
    '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
)


@pytest.fixture(autouse=True)
def _clear_clipboard() -> Iterator[None]:
    # Mime data left on the clipboard crashes the interpreter's exit (offscreen platform).
    yield
    QGuiApplication.clipboard().clear()


@pytest.fixture
def window(qtbot: Any, db_path: Path) -> MainWindow:
    make_database(db_path, sample=False)
    win: MainWindow = build_window(qtbot, ["--db", str(db_path)])  # type: ignore[assignment]
    win.resize(1200, 800)
    win.show()
    services = win.context.services
    occurred = parse_local("2024-01-20 18:30", "Asia/Baghdad")
    incident = Incident(title="al-Assad Airbase attack", occurred=occurred)
    uid = services.incidents.create(incident).record.uid
    assert uid is not None
    win.show_incident(uid)
    qtbot.waitUntil(lambda: win.workspace.incident_form.uid() == uid)
    return win


def _set_clipboard(*, text: str | None = None, html: str | None = None) -> None:
    data = QMimeData()
    if text is not None:
        data.setText(text)
    if html is not None:
        data.setHtml(html)
        data.setText("")  # a browser's plain text of an embed is not what is read
    QGuiApplication.clipboard().setMimeData(data)


def _paste(window: MainWindow) -> PastePostDialog:
    assert window.actionPastePost.isEnabled()
    window.actionPastePost.trigger()
    dialog = window.workspace.incident_form.quotes_tab.active_dialog
    assert isinstance(dialog, PastePostDialog)
    return dialog


def _made(window: MainWindow) -> tuple[list[Any], list[Any], list[str]]:
    services = window.context.services
    uid = window.workspace.incident_form.uid()
    return (services.source_query.list(),
            services.quote_query.list(TextFilter(incident_uid=uid)),
            [link.source_uid for link in services.incidents.links(uid)])


def _check_centcom(window: MainWindow) -> None:
    sources, quotes, links = _made(window)
    assert len(sources) == 1 and len(quotes) == 1
    source, quote = sources[0], quotes[0]
    assert source.kind is SourceKind.SOCIAL_POST and source.handle == "@CENTCOM"
    assert source.outlet == "U.S. Central Command" and source.author == "U.S. Central Command"
    assert source.url is not None and "/status/1748783633954324512" in source.url
    assert source.published is not None and source.published.utc_text.startswith("2024-01-20")
    assert quote.text is not None and quote.text.startswith("At approximately 6:30")
    assert quote.speaker == "U.S. Central Command"
    assert quote.said is not None and quote.said.utc_text.startswith("2024-01-20")
    assert quote.source_uid == source.uid
    assert links == [source.uid]
    assert window.workspace.incident_form.quotes_tab.table.rowCount() == 1


@pytest.mark.parametrize("clipboard", [{"text": PLAIN_POST}, {"html": EMBED_HTML}],
                         ids=["plain-text", "embed-html"])
def test_a_pasted_post_makes_source_quote_and_link(window: MainWindow,
                                                   clipboard: dict[str, str]) -> None:
    _set_clipboard(**clipboard)
    dialog = _paste(window)
    assert dialog.speaker.text() == "U.S. Central Command"
    assert not dialog.reuse_note.text()
    dialog.accept_button.click()
    _check_centcom(window)


def test_the_same_post_again_reuses_its_source(window: MainWindow) -> None:
    _set_clipboard(text=PLAIN_POST)
    _paste(window).accept_button.click()
    _set_clipboard(html=EMBED_HTML)
    again = _paste(window)
    assert "already in the log" in again.reuse_note.text()
    again.accept_button.click()
    sources, quotes, links = _made(window)
    assert len(sources) == 1 and len(quotes) == 2
    assert {q.source_uid for q in quotes} == {sources[0].uid} and links == [sources[0].uid]


def test_cancel_writes_nothing(window: MainWindow) -> None:
    _set_clipboard(text=PLAIN_POST)
    _paste(window).reject()
    assert _made(window) == ([], [], [])


def test_undo_removes_what_the_paste_made_and_redo_brings_it_back(window: MainWindow) -> None:
    _set_clipboard(html=EMBED_HTML)
    _paste(window).accept_button.click()
    _check_centcom(window)
    window.actionUndo.trigger()
    assert _made(window) == ([], [], [])
    window.actionRedo.trigger()
    _check_centcom(window)


def test_an_article_paragraph_leaves_the_speaker_to_the_officer(window: MainWindow) -> None:
    _set_clipboard(text="Officials said the base was attacked on January 20, 2024. "
                        "https://www.reuters.com/world/middle-east/al-asad-attack-2024-01-20/")
    dialog = _paste(window)
    assert dialog.kind.currentData() == SourceKind.ARTICLE.value
    assert dialog.speaker.text() == ""
    assert "speaker" in dialog.missing_note.text()
    dialog.speaker.setText("Iraqi security officials")
    dialog.accept_button.click()
    sources, quotes, links = _made(window)
    assert len(sources) == 1 and sources[0].url is not None and "reuters.com" in sources[0].url
    assert [q.speaker for q in quotes] == ["Iraqi security officials"]
    assert links == [sources[0].uid]


def test_ctrl_s_accepts_and_the_focus_lands_beside_the_new_quote(
        qtbot: Any, window: MainWindow) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    form = window.workspace.incident_form
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    form.tabs.setCurrentIndex(0)
    form.title.setFocus()  # a field of the Details tab, which the paste hides
    _set_clipboard(text=PLAIN_POST)
    dialog = _paste(window)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(dialog.quote_text, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    _check_centcom(window)
    window.activateWindow()  # what the window manager does when a dialog closes
    qtbot.waitUntil(window.isActiveWindow)
    assert QApplication.focusWidget() is form.quotes_tab.paste_button
