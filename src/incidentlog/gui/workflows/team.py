"""A log on a team server in the window: connecting, the others' work, a lost connection.

- File ▸ Connect to a team server… (gui/connect_dialog.py) and the server logs among
  the recent ones open through ``open_server``: the password comes from the dialog or
  the keyring, never from the settings file.
- Once a server log is open, ``attach`` starts a ``TeamLink`` (gui/server_listener.py):
  the others' saves reach the window's ``ChangeBus``, and the banner above the views
  says when the server cannot be reached, until it is back.
- A login that may only read opens the log read-only by itself (store/server.py);
  the read-only badge and the status bar say why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from incidentlog.domain.errors import IncidentLogError
from incidentlog.gui.errors import show_error
from incidentlog.gui.widgets.notices import NoticeBar
from incidentlog.gui.workflows.base import Workflow

if TYPE_CHECKING:
    from incidentlog.gui.connect_dialog import ServerAddress
    from incidentlog.gui.context import AppContext
    from incidentlog.gui.main_window import MainWindow
    from incidentlog.gui.server_listener import TeamLink

#: How long the status bar says that the server is back.
MESSAGE_MS = 10_000


class TeamWorkflow(Workflow):
    """Server logs in the window; does nothing for a file."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.banner = NoticeBar()
        self.banner.setObjectName("connectionBanner")
        self.banner.setAccessibleName(self.tr("Connection to the server"))
        self.link: TeamLink | None = None
        #: Whether the user asked for read-only (else a read-only server log is a reader's).
        self._asked_read_only = False

    def wrap(self, central: QWidget) -> QWidget:
        """``central`` with the connection banner above it."""
        box = QWidget(self.window)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.banner.setParent(box)
        layout.addWidget(self.banner)
        layout.addWidget(central, 1)
        return box

    # --- opening ---------------------------------------------------------------------------
    def connect_dialog(self, address: ServerAddress | None = None, problem: str = "",
                       read_only: bool = False) -> bool:
        """Ask where the server log is and open it; False when cancelled or it failed."""
        from incidentlog.gui import plain_text
        from incidentlog.gui.connect_dialog import ConnectDialog, forget_password, store_password

        dialog = ConnectDialog(self.window, address, problem)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return False
            chosen, password = dialog.address(), dialog.password.text()
            remember = dialog.remember.isChecked() and dialog.remember.isEnabled()
        finally:
            dialog.deleteLater()
        opened = self._open(chosen, password or None, read_only=read_only)
        if opened and password:
            if remember:
                refused = store_password(chosen, password)
                if refused:
                    plain_text.information(self.window, self.tr("Password not kept"),
                                           self.tr(refused))
            else:
                forget_password(chosen)
        return opened

    def open_server(self, address: str, *, read_only: bool = False) -> bool:
        """Open the server log at ``address`` (a recent log, ``--db``), with the password of
        the address, else the keyring's, else ``~/.pgpass``; asks when the server refuses."""
        from incidentlog.gui.connect_dialog import ServerAddress, stored_password

        try:
            parsed = ServerAddress.parse(address)
        except Exception as exc:  # sqlalchemy's ArgumentError: not an address
            show_error(self.window, IncidentLogError(
                self.tr("{0} is not a server address ({1}).").format(address, exc)))
            return False
        given = _password_of(address)
        return self._open(parsed, given or stored_password(parsed), read_only=read_only,
                          target=address if given else None)

    def _open(self, address: ServerAddress, password: str | None, *, read_only: bool,
              target: str | None = None) -> bool:
        window = self.window
        self._asked_read_only = read_only
        try:
            context = window._opener(target or address.url(password), read_only)
        except IncidentLogError as exc:
            if "login" in str(exc) and "password" in str(exc):  # refused: ask again
                return self.connect_dialog(address, str(exc), read_only)
            show_error(window, exc)
            return False
        window.set_context(context)
        window.settings.add_recent_database(address.url())  # never the password
        return True

    # --- an open server log --------------------------------------------------------------
    def attach(self, context: AppContext) -> None:
        """Follow the others' work on ``context``'s log when it is on a server."""
        self.detach()
        database = context.services.database
        if database.backend.name != "postgresql":
            return
        from incidentlog.gui.server_listener import (
            ServerListener,
            TeamLink,
            track_own_connections,
        )

        conninfo = database.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        listener = ServerListener(conninfo, track_own_connections(database.engine))
        self.link = TeamLink(listener, context.bus.announce, self)
        self.link.connectionChanged.connect(self._show_connection)
        self.link.start()
        if database.read_only and not self._asked_read_only:
            reason = self.tr("Read-only: your login {0} may only read this log.").format(
                database.login or "?")
            self.window.status_line.explain_read_only(reason)
        elif database.review_only:
            reason = self.tr("Review mode: your login {0} may comment and give verdicts, "
                             "not change the facts.").format(database.login or "?")
            self.window.status_line.explain_read_only(reason)

    def detach(self) -> None:
        if self.link is not None:
            self.link.stop()
            self.link.deleteLater()
            self.link = None
        self.banner.clear()

    def _show_connection(self, connected: bool, reason: str, retry_in: float) -> None:
        if connected:
            if self.banner.isVisibleTo(self.banner.parentWidget() or self.banner):
                self.banner.clear()
                self.window.statusBar().showMessage(
                    self.tr("Connected to the server again."), MESSAGE_MS)
            return
        where = self.context.services.database.location if self.context else ""
        self.banner.show_notice(
            self.tr("The connection to the server {0} is lost ({1}). Trying again in {2} s. "
                    "Nothing you typed is lost: save once the connection is back.")
            .format(where, reason, f"{retry_in:g}"),
            [(self.tr("Try now"), self._retry_now)])

    def _retry_now(self) -> None:
        if self.link is not None:
            self.link.listener.retry_now()


def _password_of(address: str) -> str | None:
    from sqlalchemy.engine import make_url

    try:
        return make_url(address).password
    except Exception:  # not an address: no password in it
        return None
