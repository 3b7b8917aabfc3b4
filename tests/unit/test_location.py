from __future__ import annotations

from pathlib import Path

import pytest

from incidentlog.store.location import storage_warnings

MOUNTS = """\
/dev/vda / ext4 rw,relatime 0 0
server:/export /mnt/team nfs4 rw,relatime 0 0
//nas/share /media/nas cifs rw 0 0
user@host:/data /home/me/remote fuse.sshfs rw 0 0
tmpfs /tmp tmpfs rw 0 0
"""


@pytest.fixture
def mounts(tmp_path: Path) -> Path:
    path = tmp_path / "mounts"
    path.write_text(MOUNTS)
    return path


@pytest.mark.parametrize(("where", "fs"), [
    ("/mnt/team/log.sqlite3", "nfs4"),
    ("/media/nas/logs/log.sqlite3", "cifs"),
    ("/home/me/remote/log.sqlite3", "fuse.sshfs"),
])
def test_network_file_systems_are_warned(mounts: Path, where: str, fs: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    warnings = storage_warnings(Path(where), mounts_file=mounts)
    assert len(warnings) == 1 and fs in warnings[0] and "network file system" in warnings[0]


def test_a_local_disk_is_fine(mounts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    assert storage_warnings(Path("/home/me/log.sqlite3"), mounts_file=mounts) == []
    assert storage_warnings(Path("/mnt/teamwork/log.sqlite3"), mounts_file=mounts) == []


@pytest.mark.parametrize("folder", ["Dropbox", "OneDrive - Contoso", "Google Drive",
                                    "iCloud Drive", "Nextcloud"])
def test_cloud_sync_folders_are_warned(tmp_path: Path, folder: str) -> None:
    path = tmp_path / folder / "work" / "log.sqlite3"
    warnings = storage_warnings(path, mounts_file=tmp_path / "none")
    assert len(warnings) == 1 and "cloud-sync folder" in warnings[0]


def test_a_word_that_merely_contains_a_sync_name_is_fine(tmp_path: Path) -> None:
    assert storage_warnings(tmp_path / "boxing-club" / "log.sqlite3",
                            mounts_file=tmp_path / "none") == []
