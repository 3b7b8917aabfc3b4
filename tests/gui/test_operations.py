"""QueryOp: the latest request wins, a deleted parent gets nothing, errors go to failure."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject

from incidentlog.gui.operations import Latest, QueryOp
from incidentlog.gui.workers import ManualRunner


def test_the_answer_to_a_superseded_op_is_dropped(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = ManualRunner()
    parent = QObject()
    latest = Latest()
    answers: list[str] = []
    seen_cancelled: list[bool] = []

    def work(name: str):  # type: ignore[no-untyped-def]
        def op(cancelled):  # type: ignore[no-untyped-def]
            seen_cancelled.append(cancelled())
            return name
        return op

    old = QueryOp(parent=parent, op=work("old"), success=answers.append).latest_in(latest)
    old.run_in_background(runner)
    new = QueryOp(parent=parent, op=work("new"), success=answers.append).latest_in(latest)
    new.run_in_background(runner)
    assert latest.waiting and latest.is_current(new)
    runner.run_pending()  # the old one answers first, then the new one
    assert answers == ["new"]
    assert seen_cancelled == [True, False]  # the superseded op was asked to stop
    assert old.arrived and new.arrived and not latest.waiting


def test_dropping_the_slot_drops_the_answer_under_way(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = ManualRunner()
    latest = Latest()
    answers: list[int] = []
    QueryOp(parent=QObject(), op=lambda _c: 1, success=answers.append
            ).latest_in(latest).run_in_background(runner)
    latest.drop()
    assert latest.waiting  # asked, not arrived yet
    runner.run_pending()
    assert answers == [] and not latest.waiting


def test_no_callback_once_the_parent_is_deleted(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = ManualRunner()
    parent = QObject()
    answers: list[int] = []
    errors: list[BaseException] = []

    def fail(_cancelled):  # type: ignore[no-untyped-def]
        raise ValueError("boom")

    QueryOp(parent=parent, op=lambda _c: 1, success=answers.append).run_in_background(runner)
    QueryOp(parent=parent, op=fail, success=answers.append
            ).failure(errors.append).run_in_background(runner)
    shiboken6.delete(parent)
    runner.run_pending()
    assert answers == [] and errors == []


def test_an_error_goes_to_the_failure_callback(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = ManualRunner()
    parent = QObject()
    answers: list[int] = []
    errors: list[BaseException] = []

    def fail(_cancelled):  # type: ignore[no-untyped-def]
        raise ValueError("boom")

    op = QueryOp(parent=parent, op=fail, success=answers.append).failure(errors.append)
    op.run_in_background(runner)
    runner.run_pending()
    assert answers == []
    assert len(errors) == 1 and isinstance(errors[0], ValueError) and str(errors[0]) == "boom"


def test_a_stale_error_is_dropped_too(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = ManualRunner()
    parent = QObject()
    latest = Latest()
    errors: list[BaseException] = []

    def fail(_cancelled):  # type: ignore[no-untyped-def]
        raise ValueError("old")

    QueryOp(parent=parent, op=fail, success=lambda _v: None
            ).failure(errors.append).latest_in(latest).run_in_background(runner)
    answers: list[int] = []
    QueryOp(parent=parent, op=lambda _c: 2, success=answers.append
            ).failure(errors.append).latest_in(latest).run_in_background(runner)
    runner.run_pending()
    assert errors == [] and answers == [2]


def test_a_task_is_done_only_after_its_answer_reached_the_gui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    # A pool thread finishes the work long before the queued answer is delivered;
    # ``done`` must not tell a caller to look before the success slot has run.
    import threading

    from incidentlog.gui.workers import TaskRunner

    runner = TaskRunner()
    release = threading.Event()
    seen: list[tuple[str, bool]] = []

    def work(_progress, _cancelled):  # type: ignore[no-untyped-def]
        release.wait(10)
        return "answer"

    task = runner.start(work)
    task.succeeded.connect(lambda result: seen.append((result, task.done)))
    release.set()
    runner.wait()  # the work has returned; its signals wait in the event queue
    assert not task.done and seen == []
    qtbot.waitUntil(lambda: task.done, timeout=5_000)
    assert seen == [("answer", False)]
