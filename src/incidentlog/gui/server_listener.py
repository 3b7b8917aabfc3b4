"""The others' work on a server log, as it lands: LISTEN on a connection of its own.

Every change to a record table of a server log is announced by the server on
channel ``incidentlog`` (store/postgres_sql.py: "TABLE OPERATION uid,uid…", or
``*`` for many). ``ServerListener`` keeps one psycopg connection of its own that
LISTENs, on a plain thread so that the window never waits for the network, and
hands each notification to the GUI thread through a queued signal.
``TeamLink`` turns them into the window's ``Changes`` (gui/context.py's
``ChangeBus``): the table, the form, the timeline and the sources and quotes
views refresh as they do after this window's own saves.

The same connection tells whether the server can be reached: when it is lost
(the server restarted, the network gone), ``connectionChanged`` says so and the
listener tries again with a growing pause; once it is back, every view reloads,
since what changed meanwhile was not announced to it. Nothing typed in a form is
touched: a save made while the server is away is refused with a sentence, and
the form keeps what was typed (docs/team.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from sqlalchemy import Engine, event

from incidentlog.domain.enums import RecordKind
from incidentlog.services import Changes
from incidentlog.store.postgres_sql import NOTIFY_CHANNEL

#: How long the listener waits for a notification before it checks that it should go on
#: (and that the server still answers): what closing a window waits for, at most.
POLL_S = 0.25
#: The server is asked whether it is there after this long without a notification: a
#: network gone without a word is noticed within about this time.
PING_S = 2.0
#: The pauses between tries while the server cannot be reached (the last one repeats).
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)
#: Notifications arriving within this time are shown as one refresh (an import's burst).
COALESCE_MS = 50

#: The tables announced are named as the kinds of record they hold.
_KINDS = {kind.value: kind for kind in RecordKind}


def changes_of(payload: str) -> Changes | None:
    """A notification's payload ("incident update uid1,uid2") as ``Changes``; None when it
    names nothing this window shows.

    Rows that appeared or vanished (an insert, a delete, or ``*``: too many to name) reload
    the lists; an update repaints the rows named, as this window's own saves do.
    """
    parts = payload.split(" ", 2)
    if len(parts) != 3 or parts[0] not in _KINDS:
        return None
    table, operation, uids = parts
    many = uids == "*"
    named = frozenset() if many else frozenset(u for u in uids.split(",") if u)
    rows_changed = many or operation in ("insert", "delete")
    return Changes.of(_KINDS[table], named, rows_changed=rows_changed)


EVERYTHING = Changes(rows_changed=True, vocabulary=True)


class ServerListener(QObject):
    """LISTENs on its own connection to ``conninfo``, on a thread of its own.

    ``notified`` carries each notification's payload (not those of ``own_pids``, the
    window's own connections: their changes were shown already); ``connectionChanged``
    says whether the server can be reached, with the reason when not, and ``seconds``
    until the next try.
    """

    notified = Signal(str)
    connectionChanged = Signal(bool, str, float)  # connected, why not, next try in (s)

    def __init__(self, conninfo: str, own_pids: set[int] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._conninfo = conninfo
        self.own_pids = own_pids if own_pids is not None else set()
        self._stop = threading.Event()
        self._retry = threading.Event()
        self._thread: threading.Thread | None = None
        #: Whether the last word from the listener was "connected".
        self.connected = False

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="incidentlog-listen",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop listening; returns within about ``POLL_S`` (or a connection's timeout)."""
        self._stop.set()
        self._retry.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def retry_now(self) -> None:
        """Cut the pause before the next try short ("Try now")."""
        self._retry.set()

    # --- the thread -----------------------------------------------------------------------
    def _run(self) -> None:
        import psycopg

        failures = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5,
                                     keepalives=1, keepalives_idle=5, keepalives_interval=2,
                                     keepalives_count=2,
                                     application_name="incidentlog listener") as connection:
                    connection.execute(f'LISTEN "{NOTIFY_CHANNEL}"')
                    failures = 0
                    self.connected = True
                    self.connectionChanged.emit(True, "", 0.0)
                    self._listen(connection)
            except psycopg.Error as exc:
                self.connected = False
                if self._stop.is_set():
                    break
                pause = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                failures += 1
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                self.connectionChanged.emit(False, reason, pause)
                self._retry.clear()
                self._retry.wait(pause)

    def _listen(self, connection: Any) -> None:
        quiet = 0.0
        while not self._stop.is_set():
            got = False
            for note in connection.notifies(timeout=POLL_S):
                got = True
                if note.pid not in self.own_pids:
                    self.notified.emit(note.payload)
                if self._stop.is_set():
                    return
            quiet = 0.0 if got else quiet + POLL_S
            if quiet >= PING_S:  # a network gone silently is noticed here
                connection.execute("SELECT 1")
                quiet = 0.0


def track_own_connections(engine: Engine) -> set[int]:
    """The server process ids of ``engine``'s connections, kept up to date: the
    notifications they cause are this window's own, shown already."""
    pids: set[int] = set()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        pid = getattr(getattr(dbapi_connection, "info", None), "backend_pid", None)
        if pid:
            pids.add(int(pid))
            record.info["incidentlog_pid"] = int(pid)

    # A connection gone (closed, lost): its number may be another user's later.
    @event.listens_for(engine, "close")
    def _close(_dbapi_connection: Any, record: Any) -> None:
        pids.discard(record.info.pop("incidentlog_pid", 0))

    @event.listens_for(engine, "invalidate")
    def _invalidate(_dbapi_connection: Any, record: Any, _exception: Any) -> None:
        pids.discard(record.info.pop("incidentlog_pid", 0))

    return pids


class TeamLink(QObject):
    """Connects a server log's window to the others' work: their changes reach ``announce``
    (the window's ``ChangeBus``), gathered over ``COALESCE_MS``; ``connectionChanged``
    says when the server is lost and back."""

    connectionChanged = Signal(bool, str, float)

    def __init__(self, listener: ServerListener, announce: Callable[[Changes], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.listener = listener
        self._announce = announce
        self._pending: Changes | None = None
        self._lost = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self._flush)
        # Queued: the listener's signals are emitted on its own thread.
        listener.notified.connect(self._on_notified)
        listener.connectionChanged.connect(self._on_connection)

    @property
    def lost(self) -> bool:
        return self._lost

    def start(self) -> None:
        self.listener.start()

    def stop(self) -> None:
        self._timer.stop()
        self.listener.stop()

    def _on_notified(self, payload: str) -> None:
        changes = changes_of(payload)
        if changes is None:
            return
        self._pending = changes if self._pending is None else self._pending | changes
        if not self._timer.isActive():
            self._timer.start()

    def _flush(self) -> None:
        changes, self._pending = self._pending, None
        if changes is not None:
            self._announce(changes)

    def _on_connection(self, connected: bool, reason: str, retry_in: float) -> None:
        came_back = connected and self._lost
        self._lost = not connected
        self.connectionChanged.emit(connected, reason, retry_in)
        if came_back:  # what changed while away was not announced: show it all again
            self._announce(EVERYTHING)
