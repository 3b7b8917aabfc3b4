"""Evidence kept with a record: attached files and captured pages (docs/evidence.md).

An attachment names bytes by their SHA-256; the bytes themselves live in the
log's evidence store (``store/blobs.py``). What a person gave as the file's
name is kept for display only, made harmless here: it never becomes a path.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: The longest original name kept, in characters (file systems allow 255 bytes).
MAX_NAME = 200
_SHA256 = re.compile(r"[0-9a-f]{64}")


class OwnerKind(StrEnum):
    """The record kinds that hold evidence."""

    SOURCE = "source"
    INCIDENT = "incident"


class CustodyAction(StrEnum):
    """The custody events of an attachment, as the audit log records them."""

    ATTACH = "attach"
    CAPTURE = "capture"
    IMPORT = "import"
    EXPORT = "export"
    VERIFY = "verify"
    DETACH = "detach"


#: The audit log's kind for custody entries (the replay of records ignores it).
CUSTODY_KIND = "attachment"


def is_sha256(text: str) -> bool:
    return _SHA256.fullmatch(text) is not None


def safe_name(name: str, fallback: str = "file") -> str:
    """``name`` fit to show and to name a working copy: its last path part only, without
    control or formatting characters (bidi overrides), trimmed, never ``.`` or ``..``."""
    last = re.split(r"[/\\]", name)[-1]
    kept = "".join(
        " " if unicodedata.category(char) in ("Zl", "Zp") else char
        for char in last
        if unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    kept = " ".join(kept.split()).strip(" .")
    if not kept:
        return fallback
    if len(kept) > MAX_NAME:
        stem, dot, suffix = kept.rpartition(".")
        keep_suffix = dot and 0 < len(suffix) <= 10
        kept = (stem[: MAX_NAME - len(suffix) - 2] + "…." + suffix) if keep_suffix \
            else kept[: MAX_NAME - 1] + "…"
    return kept


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """Bytes in the evidence store: what they are, not who gave them."""

    sha256: str
    size: int
    media_type: str
    #: True when this call wrote the bytes; False when the store already held them.
    new: bool = False


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file kept with a source or an incident."""

    uid: str
    owner_kind: OwnerKind
    owner_uid: str
    sha256: str
    size: int
    media_type: str
    name: str
    added_at: str
    added_by: str
    #: "file" (attached) or "capture" (a page fetched by incidentlog).
    role: str = "file"
    #: For a capture: url, final_url, status, fetched_at, warc record ids.
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")
