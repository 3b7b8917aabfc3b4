"""The window on a server log with others at work: against the real test server (tests/pg.py).

A lead makes the log and gives a reader and an officer their roles; the officer
enters the al-Assad incident while the reader's window shows it appear by
itself, read-only. The others' changes reach an open table and an open form
(LISTEN/NOTIFY on the window's own connection); a lost connection shows a banner,
keeps what was typed and goes when the server is back; File ▸ Connect to a team
server… keeps the password in the keyring, never in the settings file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pytest
from PySide6.QtWidgets import QDialog
from sample_data import DialogRecorder, build_window

from incidentlog import cli
from incidentlog.domain.records import Incident
from incidentlog.domain.when import parse_local
from incidentlog.gui import connect_dialog
from incidentlog.gui.main_window import MainWindow
from incidentlog.gui.server_listener import changes_of
from incidentlog.gui.settings import open_settings
from incidentlog.services import Changes, Services
from incidentlog.store.database import open_database
from tests.pg import PgServer

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")

TITLE = "Iranian-backed militants attack al-Assad Airbase"
AL_ASSAD = Incident(title=TITLE, occurred=parse_local("~2024-01-20 18:30", "Asia/Baghdad"),
                    place="al-Assad Airbase", country="IQ")
#: The others' work must show within about a second; the wait allows for a loaded machine.
ARRIVES_MS = 10_000


@pytest.fixture
def desk(pg_server: PgServer) -> Iterator[dict[str, str]]:
    """A log made by its lead (``incidentlog init``), with an officer and a reader granted:
    the address each of them connects with."""
    name = pg_server.empty_database()
    lead = pg_server.login_role("lead")
    pg_server.execute(f'ALTER DATABASE "{name}" OWNER TO "{lead}"')
    pg_server.execute(f'GRANT CREATE ON DATABASE "{name}" TO "{lead}"')
    pg_server.execute(f'ALTER ROLE "{lead}" CREATEROLE')
    assert cli.main(["init", "--db", pg_server.url(name, lead)]) == 0
    logins = {"lead": lead}
    for role in ("officer", "reader", "reviewer"):
        logins[role] = pg_server.login_role(role)
        assert cli.main(["grant", logins[role], role, "--db", pg_server.url(name, lead)]) == 0
    yield {role: pg_server.url(name, login) for role, login in logins.items()} | {
        "database": name, **{f"{role}_login": login for role, login in logins.items()}}
    pg_server.drop_database(name)


def window_on(qtbot: Any, address: str) -> MainWindow:
    window: MainWindow = build_window(qtbot, ["--db", address])  # type: ignore[assignment]
    window.resize(1400, 860)
    window.show()
    qtbot.waitExposed(window)
    assert window.context is not None and window.team_flow.link is not None
    # The listener is connected before the others start working.
    qtbot.waitUntil(lambda: window.team_flow.link.listener.connected, timeout=ARRIVES_MS)
    return window


def titles(window: MainWindow) -> list[str]:
    model: Any = window.workspace.incident_table.incident_model
    return [model.record_at(row).title for row in range(model.rowCount())]


def test_the_officer_enters_al_assad_and_the_readers_window_shows_it_by_itself(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch, desk: dict[str, str]) -> None:
    dialogs = DialogRecorder().install(monkeypatch)
    reader = window_on(qtbot, desk["reader"])
    officer = window_on(qtbot, desk["officer"])
    # The reader's window is read-only by itself, and says why.
    assert reader.context.read_only and not officer.context.read_only
    badge = reader.status_line.read_only_badge
    assert badge.isVisibleTo(reader)
    reason = f"your login {desk['reader_login']} may only read this log"
    assert reason in badge.toolTip()
    assert reason in reader.status_line.read_only_reason_label.text()
    assert reader.status_line.read_only_reason_label.isVisibleTo(reader)
    assert not officer.status_line.read_only_reason_label.isVisibleTo(officer)
    assert not reader.actionNewIncident.isEnabled() and officer.actionNewIncident.isEnabled()
    assert titles(reader) == []

    form: Any = officer.workspace.incident_form
    officer.new_incident()
    form.title.setText(TITLE)
    form.occurred.edit.setText("2024-01-20 18:30")
    form.place.setText("al-Assad Airbase")
    assert form.save(), dialogs.calls

    qtbot.waitUntil(lambda: titles(reader) == [TITLE], timeout=ARRIVES_MS)
    assert titles(officer) == [TITLE]
    stored = reader.context.services.incidents.find(form.uid())
    assert stored is not None and stored.meta.updated_by == desk["officer_login"]
    assert not dialogs.calls


def test_a_changed_row_changes_and_the_open_form_says_someone_else_changed_it(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch, desk: dict[str, str]) -> None:
    DialogRecorder().install(monkeypatch)
    with open_database(desk["officer"]) as database:
        uid = Services(database).incidents.create(AL_ASSAD).record.meta.uid
    window = window_on(qtbot, desk["lead"])
    window.show_incident(uid)
    form: Any = window.workspace.incident_form
    assert form.uid() == uid and form.title.text() == TITLE
    form.summary.setPlainText("Typed by the lead, not saved yet.")
    assert form.is_dirty()

    with open_database(desk["officer"]) as database:  # the officer, at another desk
        services = Services(database)
        services.incidents.update(replace(services.incidents.get(uid),
                                          title="Attack on Ain al-Asad"))

    qtbot.waitUntil(lambda: titles(window) == ["Attack on Ain al-Asad"], timeout=ARRIVES_MS)
    qtbot.waitUntil(lambda: "changed by" in form.notice.text(), timeout=ARRIVES_MS)
    assert desk["officer_login"] in form.notice.text()
    assert form.notice.button("Reload") is not None
    # What the lead typed is still there; saving over it is the conflict the lock detects.
    assert form.summary.toPlainText() == "Typed by the lead, not saved yet."
    assert not form.save()
    assert "changed by" in form.notice.text()
    form.notice.button("Reload").click()
    assert form.title.text() == "Attack on Ain al-Asad" and not form.is_dirty()


def test_the_windows_own_saves_are_not_shown_twice(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch, desk: dict[str, str]) -> None:
    DialogRecorder().install(monkeypatch)
    window = window_on(qtbot, desk["officer"])
    heard: list[str] = []
    window.team_flow.link.listener.notified.connect(heard.append)
    window.context.services.incidents.create(AL_ASSAD)
    with open_database(desk["lead"]) as database:  # another connection: announced
        Services(database).incidents.create(replace(AL_ASSAD, title="Another"))
    qtbot.waitUntil(lambda: len(heard) >= 1, timeout=ARRIVES_MS)
    qtbot.wait(300)
    assert [payload.split(" ")[:2] for payload in heard] == [["incident", "insert"]]


def test_a_lost_connection_shows_a_banner_keeps_what_was_typed_and_goes_when_back(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch, pg_server: PgServer,
        desk: dict[str, str]) -> None:
    dialogs = DialogRecorder().install(monkeypatch)
    window = window_on(qtbot, desk["officer"])
    banner = window.team_flow.banner
    assert not banner.isVisibleTo(window)
    form: Any = window.workspace.incident_form
    window.new_incident()
    form.title.setText(TITLE)
    form.occurred.edit.setText("2024-01-20 18:30")

    name = desk["database"]
    pg_server.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    try:
        pg_server.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
        qtbot.waitUntil(lambda: banner.isVisibleTo(window), timeout=ARRIVES_MS)
        assert "connection to the server" in banner.text() and banner.button("Try now")
        # A save while the server is away is refused with a sentence; nothing typed is lost.
        assert not form.save()
        assert dialogs.calls and "connection" in dialogs.calls[-1][2].lower()
        assert form.title.text() == TITLE and form.is_dirty()
        qtbot.wait(600)
        assert banner.isVisibleTo(window)  # still away: still said
    finally:
        pg_server.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    banner.button("Try now").click()
    qtbot.waitUntil(lambda: not banner.isVisibleTo(window), timeout=ARRIVES_MS)
    assert form.save()
    assert titles(window) == [TITLE]


class MemoryKeyring:
    """A keyring backend that keeps passwords in memory (the platform's, in the tests)."""

    def __init__(self) -> None:
        from keyring.backend import KeyringBackend

        class Backend(KeyringBackend):
            priority = 1  # type: ignore[assignment]
            kept: ClassVar[dict[tuple[str, str], str]] = {}

            def get_password(self, service: str, username: str) -> str | None:
                return self.kept.get((service, username))

            def set_password(self, service: str, username: str, password: str) -> None:
                self.kept[(service, username)] = password

            def delete_password(self, service: str, username: str) -> None:
                self.kept.pop((service, username), None)

        self.backend = Backend()
        self.kept = Backend.kept


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    import keyring

    before = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory.backend)
    yield memory
    keyring.set_keyring(before)


def answer_connect_dialog(monkeypatch: pytest.MonkeyPatch, address: str, password: str,
                          seen: list[connect_dialog.ConnectDialog]) -> None:
    target = connect_dialog.ServerAddress.parse(address)

    def fill(dialog: connect_dialog.ConnectDialog) -> int:
        seen.append(dialog)
        dialog.set_address(target)
        dialog.password.setText(password)
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(connect_dialog.ConnectDialog, "exec", fill)


def test_connect_keeps_the_password_in_the_keyring_and_the_server_among_the_recent_logs(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, desk: dict[str, str],
        memory_keyring: MemoryKeyring) -> None:
    dialogs = DialogRecorder().install(monkeypatch)
    window: MainWindow = build_window(qtbot, ["--db", str(tmp_path / "own.sqlite3")])  # type: ignore[assignment]
    seen: list[connect_dialog.ConnectDialog] = []
    answer_connect_dialog(monkeypatch, desk["officer"], "s3cret-pass", seen)
    window.actionConnectServer.trigger()
    assert seen and seen[0].remember.isEnabled() and seen[0].remember.isChecked()
    assert window.context.services.database.backend.name == "postgresql"
    assert window.team_flow.link is not None
    address = connect_dialog.ServerAddress.parse(desk["officer"])
    assert memory_keyring.kept == {("incidentlog", address.key): "s3cret-pass"}
    recent = window.settings.recent_databases()
    assert recent[0] == address.url() and "s3cret" not in recent[0]
    settings_file = open_settings().fileName()
    window.settings.qsettings.sync()
    assert "s3cret" not in Path(settings_file).read_text(encoding="utf-8")
    assert not dialogs.calls
    # Opened again from the recent logs: the keyring's password goes with it.
    window.open_database_file(tmp_path / "own.sqlite3")
    assert window.team_flow.link is None  # a file: nobody else to listen to
    assert window.open_database_file(recent[0])
    assert window.context.services.database.engine.url.password == "s3cret-pass"


def test_without_a_keyring_the_password_is_not_kept_and_the_window_says_so(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        desk: dict[str, str]) -> None:
    import keyring
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        dialogs = DialogRecorder().install(monkeypatch)
        window: MainWindow = build_window(qtbot, ["--db", str(tmp_path / "own.sqlite3")])  # type: ignore[assignment]
        seen: list[connect_dialog.ConnectDialog] = []
        answer_connect_dialog(monkeypatch, desk["reader"], "s3cret-pass", seen)
        window.actionConnectServer.trigger()
        assert not seen[0].remember.isEnabled()
        assert "No password keyring works" in seen[0].keyring_note.text()
        assert window.context.read_only  # the reader's login
        assert not dialogs.calls  # the dialog said so already: no second box
        assert connect_dialog.stored_password(
            connect_dialog.ServerAddress.parse(desk["reader"])) is None
    finally:
        keyring.set_keyring(before)


@pytest.mark.parametrize(("payload", "expected"), [
    ("incident insert a,b", Changes(incidents=frozenset({"a", "b"}), rows_changed=True)),
    ("incident update a", Changes(incidents=frozenset({"a"}))),
    ("quote delete q", Changes(quotes=frozenset({"q"}), rows_changed=True)),
    ("source update *", Changes(rows_changed=True)),
    ("saved_view insert v", Changes(views=frozenset({"v"}), rows_changed=True)),
    ("vocabulary insert x", None),
    ("garbage", None),
])
def test_a_notification_is_the_changes_the_views_already_follow(
        payload: str, expected: Changes | None) -> None:
    assert changes_of(payload) == expected


def test_a_server_log_given_at_start_opens_after_the_first_paint_without_showing_the_password(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch, desk: dict[str, str]) -> None:
    from incidentlog.app import build_main_window
    from incidentlog.gui.workers import ImmediateRunner

    DialogRecorder().install(monkeypatch)
    address = connect_dialog.ServerAddress.parse(desk["officer"])
    window = build_main_window(["--db", address.url("not-shown-anywhere")],
                               runner=ImmediateRunner(), open_later=True)
    qtbot.addWidget(window)
    assert "not-shown-anywhere" not in window.windowTitle()
    assert "not-shown-anywhere" not in window.statusBar().currentMessage()
    assert "not-shown-anywhere" not in window.opening_page.toolTip()
    window.show()
    qtbot.waitUntil(lambda: window.context is not None, timeout=ARRIVES_MS)
    assert window.context.services.database.login == desk["officer_login"]
    assert window.settings.recent_databases()[0] == address.url()


def test_a_reviewers_window_opens_in_review_mode_and_judges_the_officers_incident(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch, desk: dict[str, str]) -> None:
    from incidentlog.domain.enums import Status

    dialogs = DialogRecorder().install(monkeypatch)
    officer = window_on(qtbot, desk["officer"])
    uid = officer.context.services.incidents.create(AL_ASSAD).record.meta.uid or ""
    officer.context.services.incidents.set_status(uid, Status.IN_REVIEW)
    reviewer = window_on(qtbot, desk["reviewer"])
    database = reviewer.context.services.database
    assert database.review_only and reviewer.context.read_only  # the facts: read-only
    badge = reviewer.status_line.read_only_badge
    assert badge.text() == "REVIEW MODE" and badge.isVisibleTo(reviewer)
    assert f"your login {desk['reviewer_login']} may comment and give verdicts" in \
        reviewer.status_line.read_only_reason_label.text()
    assert not reviewer.actionNewIncident.isEnabled()
    reviewer.context.services.review.verify(uid, "CENTCOM's post and the AP page agree")
    qtbot.waitUntil(lambda: officer.context.services.incidents.get(uid).status
                    is Status.VERIFIED, timeout=ARRIVES_MS)
    assert not dialogs.calls
