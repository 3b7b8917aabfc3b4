"""A read in the background whose answer goes to a widget: ``QueryOp``.

Shaped like Anki's ``aqt.operations.QueryOp``: an op object holds the
function to run off the GUI thread, the callback that gets its answer and
(optionally) the one that gets its error; ``run_in_background`` hands it to a
``TaskRunner``. On top of ``Task`` it does what every view that reads
while the user keeps typing, scrolling or zooming needs:

* **The latest request wins.** Ops run ``latest_in`` the same ``Latest`` slot
  supersede each other: the answer (or error) of an older one is dropped on
  arrival, and the older one is asked to stop (``cancelled()`` turns true).
* **The widget may be gone.** When the parent ``QObject`` has been deleted by
  the time the answer arrives (another log was opened, the window closed),
  no callback is called.

The function receives ``cancelled`` (a callable) and plain values captured
when the op was made; it never touches a widget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject

from incidentlog.gui.workers import CancelFn, Task, TaskRunner

T = TypeVar("T")


class Latest:
    """A slot where the latest op wins: running one here supersedes the one before."""

    def __init__(self) -> None:
        self._current: QueryOp[Any] | None = None
        self._waiting: set[QueryOp[Any]] = set()

    @property
    def current(self) -> QueryOp[Any] | None:
        """The op whose answer is still wanted (None after ``drop``)."""
        return self._current

    @property
    def waiting(self) -> bool:
        """An op run here has not answered yet (a superseded one included)."""
        return bool(self._waiting)

    def is_current(self, op: QueryOp[Any]) -> bool:
        return op is self._current

    def drop(self) -> None:
        """No answer asked for so far is wanted any more; the running op is asked to stop."""
        current, self._current = self._current, None
        if current is not None:
            current.cancel()

    def _claim(self, op: QueryOp[Any]) -> None:
        self.drop()
        self._current = op
        self._waiting.add(op)

    def _arrived(self, op: QueryOp[Any]) -> None:
        self._waiting.discard(op)


class QueryOp(Generic[T]):
    """``op(cancelled)`` run in the background; ``success(answer)`` on the GUI thread."""

    def __init__(self, *, parent: QObject, op: Callable[[CancelFn], T],
                 success: Callable[[T], object]) -> None:
        self._parent = parent
        self._op = op
        self._success = success
        self._failure: Callable[[BaseException], object] | None = None
        self._latest: Latest | None = None
        self.task: Task | None = None
        #: The answer or the error reached the GUI thread (delivered or dropped).
        self.arrived = False

    def failure(self, failure: Callable[[BaseException], object]) -> QueryOp[T]:
        """Who gets the error; without one, the error is raised on the GUI thread."""
        self._failure = failure
        return self

    def latest_in(self, latest: Latest) -> QueryOp[T]:
        """Supersede the op run before in ``latest``; be superseded by the next one."""
        self._latest = latest
        return self

    def run_in_background(self, runner: TaskRunner) -> QueryOp[T]:
        task = Task(lambda _progress, cancelled: self._op(cancelled))
        self.task = task
        if self._latest is not None:
            self._latest._claim(self)
        # Closures, not bound methods: the binding keeps a closure alive until
        # the task is done, and the closure keeps the op.
        task.succeeded.connect(lambda answer: self._arrive(self._success, answer))
        task.failed.connect(lambda error: self._arrive(self._failure or _raise, error))
        runner.submit(task)
        return self

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    @property
    def wanted(self) -> bool:
        """Its answer would still be delivered (not superseded, parent alive)."""
        return (shiboken6.isValid(self._parent)
                and (self._latest is None or self._latest.is_current(self)))

    def _arrive(self, callback: Callable[[Any], object], value: Any) -> None:
        self.arrived = True
        if self._latest is not None:
            self._latest._arrived(self)
        if self.wanted:
            callback(value)


def _raise(error: BaseException) -> None:
    raise error


__all__ = ["Latest", "QueryOp"]
