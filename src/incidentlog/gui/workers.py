"""Long work (import, export, backup) off the GUI thread, results posted back by signals.

A task is a plain function ``work(progress, cancelled) -> result`` that
receives and returns plain values: it is handed the services (whose engine is
thread-safe and opens its own connection), never a live connection or a
widget. ``TaskRunner`` runs it on a ``QThreadPool``; its ``Task`` object
re-emits progress, the result and the error on the GUI thread through
queued signals. Tests swap in ``ImmediateRunner`` (runs at once) or
``ManualRunner`` (runs when told), as Picard's tests do.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]
Work = Callable[[ProgressFn, CancelFn], Any]


class Task(QObject):
    """One piece of background work, as seen from the GUI thread."""

    progressed = Signal(int, int)  # done, total
    succeeded = Signal(object)  # the work's return value
    failed = Signal(object)  # the exception
    finished = Signal()  # after succeeded or failed

    def __init__(self, work: Work, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self._cancel = threading.Event()
        # True once ``finished`` has reached this object's (the GUI) thread, so whoever
        # sees it can rely on every ``succeeded``/``failed`` slot having run already.
        self.done = False
        self.finished.connect(self._mark_done)

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def execute(self) -> None:
        """Run the work in the calling thread; signals reach the GUI thread queued."""
        try:
            result = self._work(self._report, self._cancel.is_set)
        except BaseException as exc:  # handed to the GUI thread, which decides
            self._emit(self.failed, exc)
        else:
            self._emit(self.succeeded, result)
        finally:
            self._emit(self.finished)

    @Slot()
    def _mark_done(self) -> None:
        self.done = True

    def _report(self, done: int, total: int) -> None:
        self._emit(self.progressed, done, total)

    @staticmethod
    def _emit(signal: Any, *args: Any) -> None:
        # RuntimeError: the application is shutting down, no one is left to tell.
        with contextlib.suppress(RuntimeError):
            signal.emit(*args)


class _Runnable(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self._task = task

    def run(self) -> None:
        self._task.execute()


class TaskRunner:
    """Runs tasks on a thread pool and keeps them alive until they finish."""

    def __init__(self, pool: QThreadPool | None = None) -> None:
        self._pool = pool or QThreadPool()
        self._pool.setMaxThreadCount(max(self._pool.maxThreadCount(), 2))
        self._running: set[Task] = set()

    def start(self, work: Work) -> Task:
        """Run ``work``; connect to the returned task's signals before control returns
        to the event loop (they are queued, so none is missed)."""
        return self.submit(Task(work))

    def submit(self, task: Task) -> Task:
        """Run a task whose signals are already connected."""
        self._running.add(task)
        task.finished.connect(lambda: self._running.discard(task))
        self._submit(task)
        return task

    def _submit(self, task: Task) -> None:
        self._pool.start(_Runnable(task))

    def wait(self, msecs: int = -1) -> bool:
        """Block until every task is done (closing the window, switching databases)."""
        return self._pool.waitForDone(msecs)

    @property
    def busy(self) -> bool:
        return bool(self._running)


class ImmediateRunner(TaskRunner):
    """Runs each task at once on the calling thread (tests, tiny jobs)."""

    def __init__(self) -> None:
        self._running = set()

    def _submit(self, task: Task) -> None:
        task.execute()

    def wait(self, msecs: int = -1) -> bool:
        return True


class ManualRunner(TaskRunner):
    """Holds tasks until ``run_pending()``: lets a test cancel before work starts."""

    def __init__(self) -> None:
        self._running = set()
        self.pending: list[Task] = []

    def _submit(self, task: Task) -> None:
        self.pending.append(task)

    def run_pending(self) -> None:
        while self.pending:
            self.pending.pop(0).execute()

    def wait(self, msecs: int = -1) -> bool:
        return not self.pending
