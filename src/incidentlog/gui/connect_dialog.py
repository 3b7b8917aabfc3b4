"""File ▸ Connect to a team server…: where the server log is, and the password.

The password is kept in the platform's keyring (the ``keyring`` package: the
Keychain, the Windows credential store, the Secret Service) where one works, and
never in the settings file; where none works it is not kept and the dialog says
so (PostgreSQL's own ``~/.pgpass`` still works: the driver reads it itself). The
recent logs remember the address without the password (docs/team.md).
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import URL, make_url

from incidentlog.gui.plain_text import plain_label

#: The keyring's service name under which incidentlog keeps server passwords.
KEYRING_SERVICE = "incidentlog"
DEFAULT_PORT = 5432


@dataclass(frozen=True)
class ServerAddress:
    """A server log's address, without the password."""

    host: str
    port: int
    database: str
    user: str

    @classmethod
    def parse(cls, address: str) -> ServerAddress:
        url = make_url(address)
        return cls(host=url.host or "localhost", port=url.port or DEFAULT_PORT,
                   database=url.database or "", user=url.username or "")

    def url(self, password: str | None = None) -> str:
        """``postgresql://user[:password]@host:port/database``, what ``--db`` takes."""
        url = URL.create("postgresql", username=self.user or None, password=password or None,
                         host=self.host, port=self.port, database=self.database)
        return url.render_as_string(hide_password=False)

    @property
    def key(self) -> str:
        """The name the password is kept under in the keyring."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"


def _keyring() -> Any | None:
    """The ``keyring`` module when a backend that keeps secrets works; else None."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken backend configuration: as if there were none
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None
    return keyring


def keyring_available() -> bool:
    return _keyring() is not None


def stored_password(address: ServerAddress) -> str | None:
    """The password kept for ``address``; None when none is (or no keyring works)."""
    keyring = _keyring()
    if keyring is None:
        return None
    try:
        value = keyring.get_password(KEYRING_SERVICE, address.key)
    except Exception:  # a locked or broken keyring: connect without it
        return None
    return str(value) if value else None


def store_password(address: ServerAddress, password: str) -> str | None:
    """Keep ``password`` for ``address`` in the keyring; None when kept, else why not."""
    keyring = _keyring()
    if keyring is None:
        return ("No password keyring works on this computer, so the password was not kept: "
                "it is asked for again next time (or put it in ~/.pgpass, docs/team.md).")
    try:
        keyring.set_password(KEYRING_SERVICE, address.key, password)
    except Exception as exc:
        return f"The keyring refused to keep the password ({exc}); it was not kept."
    return None


def forget_password(address: ServerAddress) -> None:
    keyring = _keyring()
    if keyring is None:
        return
    try:
        keyring.delete_password(KEYRING_SERVICE, address.key)
    except Exception:  # nothing kept, or a locked keyring: nothing to forget
        return


class ConnectDialog(QDialog):
    """Asks for a server log's host, port, database, user and password."""

    def __init__(self, parent: QWidget | None = None, address: ServerAddress | None = None,
                 problem: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("connectDialog")
        self.setWindowTitle(self.tr("Connect to a team server"))
        root = QVBoxLayout(self)
        intro = plain_label(self.tr(
            "Open a log kept on a PostgreSQL server, shared by the desk. The server's "
            "administrator gives you these details (docs/team.md)."), self)
        intro.setWordWrap(True)
        root.addWidget(intro)
        self.problem = plain_label(problem, self)
        self.problem.setObjectName("connectProblem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(bool(problem))
        root.addWidget(self.problem)
        form = QFormLayout()
        self.host = QLineEdit(self)
        self.host.setObjectName("serverHost")
        self.host.setPlaceholderText(self.tr("logs.example.org"))
        self.port = QSpinBox(self)
        self.port.setObjectName("serverPort")
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.database = QLineEdit(self)
        self.database.setObjectName("serverDatabase")
        self.user = QLineEdit(self)
        self.user.setObjectName("serverUser")
        self.password = QLineEdit(self)
        self.password.setObjectName("serverPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        for label, field in ((self.tr("&Server:"), self.host), (self.tr("&Port:"), self.port),
                             (self.tr("&Database:"), self.database),
                             (self.tr("&User:"), self.user),
                             (self.tr("Pass&word:"), self.password)):
            form.addRow(label, field)
        root.addLayout(form)
        self.remember = QCheckBox(self.tr("&Remember the password in this computer's keyring"),
                                  self)
        self.remember.setObjectName("rememberPassword")
        self.keyring_note = plain_label("", self)
        self.keyring_note.setWordWrap(True)
        if keyring_available():
            self.remember.setChecked(True)
            self.keyring_note.setVisible(False)
        else:
            self.remember.setChecked(False)
            self.remember.setEnabled(False)
            self.keyring_note.setText(self.tr(
                "No password keyring works on this computer: the password is not kept, "
                "and is asked for again next time. PostgreSQL's own ~/.pgpass file works "
                "too (docs/team.md)."))
        root.addWidget(self.remember)
        root.addWidget(self.keyring_note)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("&Connect"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        root.addWidget(self.buttons)
        for edit in (self.host, self.database, self.user):
            edit.textChanged.connect(self._update_ok)
        self.host.setText("localhost")
        self.user.setText(_login_name())
        if address is not None:
            self.set_address(address)
        self._update_ok()
        (self.database if not self.database.text() else self.password).setFocus(
            Qt.FocusReason.OtherFocusReason)

    def set_address(self, address: ServerAddress) -> None:
        self.host.setText(address.host)
        self.port.setValue(address.port)
        self.database.setText(address.database)
        self.user.setText(address.user)

    def address(self) -> ServerAddress:
        return ServerAddress(host=self.host.text().strip(), port=self.port.value(),
                             database=self.database.text().strip(),
                             user=self.user.text().strip())

    def _update_ok(self) -> None:
        address = self.address()
        complete = bool(address.host and address.database and address.user)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(complete)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (containers, some services)
        return ""
