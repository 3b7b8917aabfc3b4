"""The window refuses a log that is not a regular file, with a message, and leaves it alone;
its settings file is owner-only and is refused too when it is not a regular file.

What the store refuses (``tests/unit/test_safe_paths.py``) reaches the person
through the usual ``StorageError`` message; no good backup is offered in its
place (restoring would replace the link or pipe with a file).
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

import pytest

from incidentlog.domain.errors import ExchangeError, StorageError
from incidentlog.gui.settings import Settings, open_settings
from incidentlog.store.backup import backup_database, default_backup_dir
from incidentlog.store.restore import newest_good_backup
from tests.gui.sample_data import DialogRecorder, build_window, make_database

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pipes and links are POSIX")


@pytest.mark.parametrize("kind", ["fifo", "link-to-database"])
def test_opening_a_pipe_or_a_link_shows_why_and_leaves_it(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    db_path = tmp_path / "log.sqlite3"
    make_database(db_path)
    window = build_window(qtbot, ["--db", str(db_path)])
    dialogs = DialogRecorder().install(monkeypatch)
    other = tmp_path / "other.sqlite3"
    if kind == "fifo":
        os.mkfifo(other)
    else:
        other.symlink_to(db_path)
        # A good backup under the link's name: it must not be offered over the link.
        default_backup_dir(other).mkdir()
        backup_database(db_path, out=default_backup_dir(other) /
                        "other-20240101T000000000000Z-daily.sqlite3")
        assert newest_good_backup(other) is not None
    before = os.lstat(other)
    assert window.open_database_file(other) is False
    assert [kind_ for kind_, _title, _text in dialogs.calls] == ["warning"]
    assert "not a regular file" in dialogs.calls[0][2]
    after = os.lstat(other)
    assert (stat.S_IFMT(after.st_mode), after.st_ino) == (stat.S_IFMT(before.st_mode),
                                                          before.st_ino)
    assert window.context.services.database.path == db_path  # the open log stays open


def test_a_settings_file_that_is_a_pipe_is_refused(tmp_path: Path) -> None:
    pipe = tmp_path / "settings.ini"
    os.mkfifo(pipe)

    def writer() -> None:  # so that a regression, which reads the pipe, fails instead of hanging
        with contextlib.suppress(OSError):
            os.close(os.open(pipe, os.O_WRONLY))

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        with pytest.raises(StorageError, match="not a regular file"):
            open_settings(pipe)  # Qt would read it for ever
    finally:
        reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)  # lets the writer's open() return
        thread.join(60)
        os.close(reader)
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)


def test_the_settings_file_and_its_folder_are_owner_only(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        path = tmp_path / "data" / "settings.ini"
        settings = open_settings(path)
        Settings(settings).add_recent_database(tmp_path / "secret-investigation.sqlite3")
        settings.sync()
    finally:
        os.umask(previous)
    assert "secret-investigation" in path.read_text(encoding="utf-8")
    assert (stat.S_IMODE(path.parent.stat().st_mode), stat.S_IMODE(path.stat().st_mode)) == (
        0o700, 0o600)


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_a_timeline_image_is_owner_only_and_never_written_over_a_link(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, suffix: str) -> None:
    from incidentlog.gui.timeline import TimelineWidget

    db_path = tmp_path / "log.sqlite3"
    make_database(db_path)
    window = build_window(qtbot, ["--db", str(db_path)])
    view = window.findChild(TimelineWidget).view
    previous = os.umask(0o022)
    try:
        image = tmp_path / f"timeline{suffix}"
        assert view.export_png(image) if suffix == ".png" else view.export_svg(image)
    finally:
        os.umask(previous)
    assert image.stat().st_size > 0 and stat.S_IMODE(image.stat().st_mode) == 0o600
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"not ours")
    link = tmp_path / f"link{suffix}"
    link.symlink_to(elsewhere)
    with pytest.raises(ExchangeError, match="not a regular file"):
        view.export_png(link) if suffix == ".png" else view.export_svg(link)
    assert link.is_symlink() and elsewhere.read_bytes() == b"not ours"
