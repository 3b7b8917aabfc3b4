"""A reviewer works through the queue from the keyboard on a copy, the desk takes the reviews.

The copy is opened in review mode (facts read-only); the reviewer verifies one
incident with a reason, disputes one, comments on one, sends the reviews; the
desk imports the file into the original log and finds the statuses, reasons,
comments and history right.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPlainTextEdit, QWidget
from sample_data import DialogRecorder, build_window

from incidentlog.domain.enums import Status
from incidentlog.domain.records import Incident, Source
from incidentlog.domain.when import parse_local
from incidentlog.gui.history import HistoryView
from incidentlog.gui.main_window import MainWindow
from incidentlog.services import Services
from incidentlog.store.database import open_database

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

TITLES = (("2024-01-18", "Rocket attack on al-Assad"), ("2024-01-20", "Drone strike at Tower 22"),
          ("2024-01-21", "Rockets at Erbil airport"))


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> DialogRecorder:
    return DialogRecorder().install(monkeypatch)


def as_user(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(variable, name)


def desk_log(path: Path) -> list[str]:
    with open_database(path) as database:
        desk = Services(database, actor="desk")
        source = desk.sources.create(
            Source(title="CENTCOM post", archive_url="https://archive.ph/x")).record.uid or ""
        uids = []
        for day, title in TITLES:
            uid = desk.incidents.create(
                Incident(title=title, occurred=parse_local(day, "Asia/Baghdad"), country="IQ")
            ).record.uid or ""
            desk.incidents.link_source(uid, source)
            desk.incidents.set_status(uid, Status.IN_REVIEW)
            uids.append(uid)
        desk.review.set_two_person_rule(True)
    return uids


def when_modal(qtbot: Any, act: Callable[[QWidget], None]) -> None:
    """Run ``act`` on the next modal dialog as soon as it is open (it would wait otherwise)."""
    def attempt() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(10, attempt)
            return
        act(dialog)

    QTimer.singleShot(0, attempt)


def type_reason(qtbot: Any, reason: str) -> Callable[[QWidget], None]:
    def act(dialog: QWidget) -> None:
        field = dialog.findChild(QLineEdit, "reason")
        qtbot.keyClicks(field, reason)
        qtbot.keyClick(field, Qt.Key.Key_Return)

    return act


def type_comment(qtbot: Any, text: str) -> Callable[[QWidget], None]:
    def act(dialog: QWidget) -> None:
        field = dialog.findChild(QPlainTextEdit, "commentText")
        qtbot.keyClicks(field, text)
        qtbot.keyClick(field, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    return act


def key(qtbot: Any, widget: QWidget, letter: str) -> None:
    qtbot.waitUntil(lambda: widget.window().isActiveWindow() and widget.hasFocus())
    qtbot.keyClick(widget, letter)


def test_a_reviewer_works_through_the_queue_and_the_desk_takes_the_reviews(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialogs: DialogRecorder
) -> None:
    original = tmp_path / "desk.sqlite3"
    uids = desk_log(original)
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(original, copy)
    as_user(monkeypatch, "rita")
    window: MainWindow = build_window(qtbot, ["--db", str(copy)])  # type: ignore[assignment]
    window.show()
    qtbot.waitExposed(window)
    assert window.review_flow.open_for_review(copy)
    assert "[review]" in window.windowTitle()
    assert window.findChild(QLabel, "readOnlyBadge").text() == "REVIEW MODE"
    assert not window.actionNewIncident.isEnabled() and not window.actionDelete.isEnabled()
    assert window.actionSendReviews.isEnabled() and window.actionReviewQueue.isEnabled()
    waiting_shows(qtbot, window, "3 waiting for review")

    queue = window.review_flow.show_queue(modal=False)
    assert queue is not None
    qtbot.waitExposed(queue)
    queue.activateWindow()
    queue.table.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is queue.table)
    table = queue.table
    assert [table.item(row, 2).text() for row in range(3)] == [t for _, t in TITLES]
    assert table.item(0, 3).text() == "desk" and table.item(0, 5).text() == "1"

    when_modal(qtbot, type_reason(qtbot, "two sources agree on the time"))
    key(qtbot, table, "v")  # verify the first, oldest
    qtbot.waitUntil(lambda: table.rowCount() == 2)
    when_modal(qtbot, type_reason(qtbot, "the video is from 2023"))
    key(qtbot, table, "d")  # dispute what is now the first
    qtbot.waitUntil(lambda: table.rowCount() == 1)
    when_modal(qtbot, type_comment(qtbot, "Which rocket type? <b>not bold</b>"))
    key(qtbot, table, "c")
    qtbot.waitUntil(lambda: queue.discussion.tree.topLevelItemCount() == 1)
    assert queue.discussion.tree.topLevelItem(0).text(0) == "Which rocket type? <b>not bold</b>"
    assert table.item(0, 6).text() == "1"
    waiting_shows(qtbot, window, "1 waiting for review")
    queue.close()

    sent = window.review_flow.send_reviews(tmp_path / "reviews-rita.json")
    assert sent is not None and sent.is_file()

    as_user(monkeypatch, "desk")
    assert window.open_database_file(original)
    assert "[review]" not in window.windowTitle()
    summary = window.review_flow.import_reviews(sent)
    assert summary is not None and "Verdicts: 2 applied" in summary
    services = window.context.services
    assert services.incidents.get(uids[0]).status is Status.VERIFIED
    assert services.incidents.get(uids[1]).status is Status.DISPUTED
    assert services.incidents.get(uids[2]).status is Status.IN_REVIEW
    [comment] = services.review.comments(incident_uid=uids[2])
    assert comment.author == "rita"
    history = HistoryView(window.context)
    history.set_uid(uids[1])
    assert history.entries_text()[-1].split(" | ")[1:] == [
        "rita", "Status: in review → disputed — the video is from 2023"]
    waiting_shows(qtbot, window, "1 waiting for review")
    model = window.workspace.incident_table.incident_model
    qtbot.waitUntil(lambda: model.row_of_uid(uids[1]) is not None)
    column = [c.key for c in model.columns].index("status")
    tip = model.index(model.row_of_uid(uids[1]), column).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == "disputed by rita: the video is from 2023"


def test_the_author_cannot_verify_their_own_incident_in_the_window(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialogs: DialogRecorder
) -> None:
    original = tmp_path / "desk.sqlite3"
    uids = desk_log(original)
    as_user(monkeypatch, "desk")
    window: MainWindow = build_window(qtbot, ["--db", str(original)])  # type: ignore[assignment]
    assert window.actionTwoPersonRule.isChecked()
    queue = window.review_flow.show_queue(modal=False)
    assert queue is not None
    when_modal(qtbot, type_reason(qtbot, "I checked it myself"))
    queue.decide(Status.VERIFIED)
    qtbot.waitUntil(lambda: bool(dialogs.of("critical") or dialogs.of("warning")))
    shown = (dialogs.of("critical") + dialogs.of("warning"))[0][2]
    assert "two-person rule" in shown
    assert window.context.services.incidents.get(uids[0]).status is Status.IN_REVIEW
    assert queue.table.rowCount() == 3
    queue.close()


def test_the_verdict_dialog_needs_a_reason_to_dispute(qtbot: Any) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    from incidentlog.gui.review_dialogs import VerdictDialog

    dialog = VerdictDialog(Status.DISPUTED, "IQ-2024-0001")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    qtbot.keyClicks(dialog.reason, "wrong day")
    assert ok.isEnabled()


def test_a_source_is_discussed_from_the_sources_view(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "desk.sqlite3"
    desk_log(log)
    as_user(monkeypatch, "rita")
    window: MainWindow = build_window(qtbot, ["--db", str(log)])  # type: ignore[assignment]
    window.show()
    qtbot.waitExposed(window)
    assert window.workspace is not None
    from incidentlog.gui.views import SOURCES

    window.show_view(SOURCES)
    browser = window.workspace.sources_view
    qtbot.waitUntil(lambda: browser.table.model().rowCount() == 1)
    browser.table.selectRow(0)
    qtbot.waitUntil(lambda: browser.current_uid() is not None)
    source_uid = browser.current_uid()
    dialog = window.review_flow.show_discussion(modal=False)
    assert dialog is not None
    qtbot.addWidget(dialog)
    from incidentlog.gui.review_dialogs import DiscussionPanel

    panel = dialog.findChild(DiscussionPanel)
    assert panel.heading.text() == "Source: CENTCOM post" and not panel.verdicts.isVisible()
    when_modal(qtbot, type_comment(qtbot, "Is the archive copy complete? <i>x</i>"))
    panel.comment_button.click()
    [comment] = window.context.services.review.comments(source_uid=source_uid)
    assert comment.text == "Is the archive copy complete? <i>x</i>" and comment.author == "rita"
    assert comment.incident_uid is None
    assert panel.tree.topLevelItem(0).text(0) == "Is the archive copy complete? <i>x</i>"


def waiting_shows(qtbot: Any, window: MainWindow, text: str) -> None:
    """The status bar's count, which is counted in the background."""
    label = window.findChild(QLabel, "statusWaiting")
    qtbot.waitUntil(lambda: label.text() == text)


def test_the_rule_is_read_when_the_edit_menu_shows_not_on_each_selection(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another user may switch the two-person rule: the Edit menu shows it as it is now,
    and choosing incidents reads nothing for it (docs/performance.md)."""
    from sqlalchemy import event

    original = tmp_path / "desk.sqlite3"
    uids = desk_log(original)
    as_user(monkeypatch, "desk")
    window: MainWindow = build_window(qtbot, ["--db", str(original)])  # type: ignore[assignment]
    assert window.actionTwoPersonRule.isChecked()
    statements: list[str] = []
    event.listen(window.context.services.database.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_rest: statements.append(statement))
    for selected in ((uids[0],), (uids[1],), tuple(uids[:2])):
        window.context.state.set_selected_incidents(selected)
    assert not [s for s in statements if "log_setting" in s]
    with open_database(original) as database:
        Services(database, actor="lead").review.set_two_person_rule(False)
    assert window.actionTwoPersonRule.isChecked()  # not read yet
    edit_menu = next(action.menu() for action in window.menuBar().actions()
                     if action.menu() is not None and action.menu().objectName() == "menuEdit")
    edit_menu.aboutToShow.emit()
    assert not window.actionTwoPersonRule.isChecked()
