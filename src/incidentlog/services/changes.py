"""What a use case changed, so each view redraws only what concerns it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from incidentlog.domain.enums import RecordKind

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Changes:
    """Uids touched per record kind; ``rows_changed`` when rows appeared or vanished."""

    incidents: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    quotes: frozenset[str] = frozenset()
    periods: frozenset[str] = frozenset()
    views: frozenset[str] = frozenset()  # saved views
    rows_changed: bool = False
    vocabulary: bool = False

    @classmethod
    def of(cls, kind: RecordKind, uids: frozenset[str], *, rows_changed: bool = False) -> Changes:
        """``uids`` of records of one ``kind``."""
        none: frozenset[str] = frozenset()
        return cls(
            incidents=uids if kind is RecordKind.INCIDENT else none,
            sources=uids if kind is RecordKind.SOURCE else none,
            quotes=uids if kind is RecordKind.QUOTE else none,
            periods=uids if kind is RecordKind.PERIOD else none,
            views=uids if kind is RecordKind.SAVED_VIEW else none,
            rows_changed=rows_changed,
        )

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            self.incidents | other.incidents,
            self.sources | other.sources,
            self.quotes | other.quotes,
            self.periods | other.periods,
            self.views | other.views,
            self.rows_changed or other.rows_changed,
            self.vocabulary or other.vocabulary,
        )

    @property
    def empty(self) -> bool:
        return self == Changes()


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """The record as stored after a use case, and what the use case changed."""

    record: T
    changes: Changes = field(default_factory=Changes)
    reused: bool = False  # a source that already existed was returned instead of a new one


Listener = Callable[[Changes], None]


class ChangeNotifier:
    """Plain-Python observer: the GUI turns each notification into one Qt signal."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def notify(self, changes: Changes) -> None:
        if changes.empty:
            return
        for listener in list(self._listeners):
            listener(changes)
