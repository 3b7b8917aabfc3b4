"""Warn when a database file lives where SQLite is not safe.

SQLite's locking relies on the local file system: on a network file system
(NFS, SMB/CIFS, sshfs…) locks can be lost and two writers corrupt the file,
and a cloud-sync client (Dropbox, OneDrive, iCloud, Google Drive…) may upload
or replace the file and its -wal journal separately, mid-transaction. Both are
documented causes of corruption (sqlite.org/howtocorrupt.html §2). The file is
still opened — the user may have no choice — but is told.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

NETWORK_FILE_SYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb", "smbfs", "smb3", "ncpfs", "afs", "9p", "davfs",
    "fuse.sshfs", "fuse.rclone", "fuse.gcsfuse", "fuse.s3fs", "fuse.davfs2", "glusterfs",
    "ceph", "lustre", "virtiofs", "vboxsf", "prl_fs", "fuse.vmhgfs-fuse",
})
SYNC_FOLDER_NAMES = (
    "dropbox", "onedrive", "google drive", "googledrive", "my drive", "icloud drive",
    "icloud~", "mobile documents", "box sync", "box", "pcloud", "nextcloud", "owncloud",
    "seafile", "megasync", "mega", "sync.com", "yandex.disk", "syncthing",
)


def _mount_type(path: Path, mounts_file: Path) -> str | None:
    """File system type of the mount that holds ``path`` (Linux ``/proc/mounts``)."""
    try:
        lines = mounts_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    best: tuple[int, str] | None = None
    target = str(path)
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount_point = fields[1].replace("\\040", " ")
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and (best is None or len(mount_point) > best[0]):
            best = (len(mount_point), fields[2])
    return best[1] if best else None


def storage_warnings(path: Path, *, mounts_file: Path = Path("/proc/mounts")) -> list[str]:
    """Sentences to show the user about where ``path`` lives; empty when it is fine."""
    resolved = Path(os.path.realpath(path))
    warnings: list[str] = []
    if sys.platform.startswith("linux"):
        fs_type = _mount_type(resolved, mounts_file)
        if fs_type and (fs_type in NETWORK_FILE_SYSTEMS or fs_type.startswith("nfs")):
            warnings.append(
                f"{path} is on a network file system ({fs_type}). SQLite cannot lock files "
                "reliably there and the database can be damaged; keep it on a local disk "
                "and share exports or use a team server instead."
            )
    elif sys.platform == "win32" and str(resolved).startswith("\\\\"):
        warnings.append(
            f"{path} is on a network share. SQLite cannot lock files reliably there and the "
            "database can be damaged; keep it on a local disk."
        )
    folders = [part.lower() for part in resolved.parent.parts]
    for name in SYNC_FOLDER_NAMES:
        if any(part == name or part.startswith(name + " ") or part.startswith(name + "-")
               for part in folders):
            warnings.append(
                f"{path} is inside a cloud-sync folder ({name}). The sync client can copy "
                "the database and its journal at different moments and damage it; keep it "
                "outside the synced folder and sync backups or exports instead."
            )
            break
    return warnings
