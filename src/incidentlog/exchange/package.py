"""The evidence package: one ZIP a colleague can verify with ``sha256sum -c`` (docs/evidence.md).

Layout::

    incidents.json        the JSON export of the chosen incidents, their sources and quotes
    attachments.json      what each file is, whose it is, who added it and when
    files/sha256/<hash>   every attached file, under its SHA-256
    index.html            a page listing each incident with its evidence
    MANIFEST-sha256.txt   "<sha256>  <name>" for every other member

Export re-hashes every stored file while copying it in, so a file altered in
the store is refused rather than packaged under a hash it no longer has.
Import looks at the ZIP's directory before reading any member (names that
climb out with ``../``, absolute names, too many members, a declared size
beyond the limit or a compression ratio only a ZIP bomb has), then reads
every member once, counting real bytes against the declared ones and hashing
them against the manifest, and refuses the whole package, changing nothing,
if any of that fails. Only then are the files stored and the records merged.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import select

from incidentlog.domain.errors import ExchangeError
from incidentlog.domain.evidence import Attachment, CustodyAction, OwnerKind, is_sha256
from incidentlog.domain.query import IncidentFilter
from incidentlog.exchange.files import atomic_file
from incidentlog.exchange.json.export import export_json
from incidentlog.exchange.json.importing import import_json
from incidentlog.exchange.reports import Cancel, ImportReport, Progress
from incidentlog.exchange.scope import Scope
from incidentlog.services import Services
from incidentlog.store import attachments as attachment_rows
from incidentlog.store.blobs import CHUNK
from incidentlog.store.safe_paths import SpoolFolder
from incidentlog.store.schema import incident_table, source_table

MANIFEST = "MANIFEST-sha256.txt"
RECORDS = "incidents.json"
ATTACHMENTS = "attachments.json"
INDEX = "index.html"
FILES = "files/sha256/"
_FILE_MEMBER = re.compile(r"files/sha256/[0-9a-f]{64}")
_MANIFEST_LINE = re.compile(r"([0-9a-f]{64})  (\S.*)")

#: Limits an imported package must keep, checked on the ZIP's directory before
#: anything is read: members, bytes in all (declared), and the ratio of a
#: member's size to its compressed size (text compresses 10:1, a bomb 1000:1).
MAX_MEMBERS = 200_000
MAX_TOTAL_BYTES = 256 * 1024**3
MAX_RATIO = 200
#: Below this a member's ratio is not judged (a tiny file of zeros is not a bomb).
RATIO_FLOOR = 1024 * 1024
#: Compressed in the package: text; everything else is stored (media is compressed already).
_DEFLATED = ("text/", "application/json", "application/xml", "application/warc")


@dataclass(frozen=True)
class PackageReport:
    path: Path
    incidents: int
    sources: int
    quotes: int
    files: int
    sha256: str

    def summary(self) -> str:
        return (f"Wrote the evidence package {self.path}: {self.incidents} incidents, "
                f"{self.sources} sources, {self.quotes} quotes, {self.files} files "
                f"(SHA-256 {self.sha256}).")


# --- export -------------------------------------------------------------------------------


def export_package(services: Services, out: Path, flt: IncidentFilter | None = None, *,
                   progress: Progress | None = None,
                   cancel: Cancel | None = None) -> PackageReport:
    """Write the package of what ``flt`` selects to ``out`` (appears whole or not at all)."""
    out = Path(out)
    spool = SpoolFolder(out.parent if out.parent.is_dir() else None)
    try:
        records = spool.path / RECORDS
        exported = export_json(services, records, flt, progress=progress, cancel=cancel)
        incidents, sources = _chosen(services, flt)
        chosen = _attachments_of(services, incidents, sources)
        hashes: dict[str, str] = {}
        with atomic_file(out) as handle, zipfile.ZipFile(handle, "w", allowZip64=True) as package:
            with records.open("rb") as reading:
                hashes[RECORDS] = _add(package, RECORDS, reading, deflate=True)
            hashes[ATTACHMENTS] = _add_bytes(package, ATTACHMENTS, orjson.dumps(
                [_attachment_json(a) for a in chosen], option=orjson.OPT_INDENT_2))
            for sha256 in sorted({a.sha256 for a in chosen}):
                media = next(a.media_type for a in chosen if a.sha256 == sha256)
                with services.evidence.store.open(sha256) as reading:
                    digest = _add(package, FILES + sha256, reading,
                                  deflate=media.startswith(_DEFLATED))
                if digest != sha256:
                    raise ExchangeError(
                        f"cannot be written: the stored file {sha256} no longer matches its "
                        "hash (run 'incidentlog check'). Nothing was written.", file=str(out))
                hashes[FILES + sha256] = digest
            hashes[INDEX] = _add_bytes(package, INDEX, _index_html(incidents, sources, chosen))
            manifest = "".join(f"{digest}  {name}\n" for name, digest in hashes.items())
            _add_bytes(package, MANIFEST, manifest.encode())
    finally:
        spool.remove()
    with out.open("rb") as reading:
        package_hash = _digest_of(reading)
    services.evidence.record_custody(
        chosen, CustodyAction.EXPORT, {"package": out.name, "package_sha256": package_hash})
    return PackageReport(out, exported.incidents, exported.sources, exported.quotes,
                         len({a.sha256 for a in chosen}), package_hash)


def _chosen(services: Services, flt: IncidentFilter | None
            ) -> tuple[list[tuple[str, str, str]], list[tuple[str, str | None, str | None]]]:
    """The incidents (uid, ref, title) and sources (uid, title, url) an export selects."""
    scope = Scope(flt, services.database.backend)
    with services.database.read() as connection:
        incidents = [tuple(row) for row in connection.execute(
            select(incident_table.c.uid, incident_table.c.ref, incident_table.c.title)
            .where(*scope.incident_where()).order_by(incident_table.c.occurred_at))]
        sources = [tuple(row) for row in connection.execute(
            select(source_table.c.uid, source_table.c.title, source_table.c.url)
            .where(*scope.source_where()).order_by(source_table.c.id))]
    return incidents, sources


def _attachments_of(services: Services, incidents: list[Any], sources: list[Any]
                    ) -> list[Attachment]:
    with services.database.read() as connection:
        return [
            *attachment_rows.of_owners(connection, OwnerKind.INCIDENT, [i[0] for i in incidents]),
            *attachment_rows.of_owners(connection, OwnerKind.SOURCE, [s[0] for s in sources]),
        ]


def _add(package: zipfile.ZipFile, name: str, reading: IO[bytes], *, deflate: bool) -> str:
    """Copy ``reading`` into the member ``name``, streamed; return its SHA-256."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    hasher = hashlib.sha256()
    with package.open(info, "w", force_zip64=True) as writing:
        while chunk := reading.read(CHUNK):
            hasher.update(chunk)
            writing.write(chunk)
    return hasher.hexdigest()


def _add_bytes(package: zipfile.ZipFile, name: str, data: bytes) -> str:
    import io

    return _add(package, name, io.BytesIO(data), deflate=True)


def _digest_of(reading: IO[bytes]) -> str:
    hasher = hashlib.sha256()
    while chunk := reading.read(CHUNK):
        hasher.update(chunk)
    return hasher.hexdigest()


def _attachment_json(attachment: Attachment) -> dict[str, Any]:
    return {
        "uid": attachment.uid, "owner_kind": attachment.owner_kind.value,
        "owner_uid": attachment.owner_uid, "sha256": attachment.sha256,
        "size": attachment.size, "media_type": attachment.media_type,
        "name": attachment.name, "role": attachment.role, "details": attachment.details,
        "added_at": attachment.added_at, "added_by": attachment.added_by,
        "path": FILES + attachment.sha256,
    }


def _index_html(incidents: list[Any], sources: list[Any], chosen: list[Attachment]) -> bytes:
    """A page a person opens first: each incident and source with its files (escaped)."""
    by_owner: dict[str, list[Attachment]] = {}
    for attachment in chosen:
        by_owner.setdefault(attachment.owner_uid, []).append(attachment)

    def files(uid: str) -> str:
        items = by_owner.get(uid, [])
        if not items:
            return "<p><em>No preserved copy.</em></p>"
        return "<ul>" + "".join(
            f'<li><a href="{FILES}{a.sha256}">{html.escape(a.name)}</a> '
            f"({html.escape(a.media_type)}, {a.size:,} bytes, added {html.escape(a.added_at)} "
            f"by {html.escape(a.added_by)})<br><code>{a.sha256}</code></li>"
            for a in items) + "</ul>"

    parts = ['<!DOCTYPE html><html><head><meta charset="utf-8"><title>Evidence package'
             "</title></head><body><h1>Evidence package</h1>",
             f"<p>Verify every file: <code>sha256sum -c {MANIFEST}</code></p><h2>Incidents</h2>"]
    for uid, ref, title in incidents:
        parts.append(f"<h3>{html.escape(ref)} — {html.escape(title)}</h3>{files(uid)}")
    parts.append("<h2>Sources</h2>")
    for uid, title, url in sources:
        parts.append(f"<h3>{html.escape(title or url or uid)}</h3>"
                     f"<p>{html.escape(url or '')}</p>{files(uid)}")
    parts.append("</body></html>\n")
    return "".join(parts).encode()


# --- import -------------------------------------------------------------------------------


def is_package(path: Path) -> bool:
    """Whether ``path`` is a ZIP with a manifest at least (what ``incidentlog import`` tells
    from a JSON export; any other ZIP is refused as not JSON)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(info.filename == MANIFEST for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def import_package(services: Services, path: Path, *, dry_run: bool = False,
                   progress: Progress | None = None,
                   before_commit: Any = None) -> tuple[ImportReport, int]:
    """Verify the whole package, then merge its records and store its files.

    Returns the JSON import's report and the number of attachments added. Raises
    ``ExchangeError`` (nothing changed) when any check fails.
    """
    path = Path(path)
    try:
        package = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ExchangeError(f"is not a readable ZIP package ({exc}). Nothing was imported.",
                            file=str(path)) from exc
    with package:
        members = _checked_directory(package, path)
        manifest = _read_manifest(package, members, path)
        for name in manifest:
            _verify_member(package, members[name], manifest[name], path)
        listed = orjson.loads(package.read(ATTACHMENTS)) if ATTACHMENTS in members else []
        attachments = [_attachment_from_json(item, manifest, path) for item in listed]
        spool = SpoolFolder(None)
        try:
            records = spool.path / RECORDS
            with package.open(members[RECORDS]) as reading, records.open("xb") as writing:
                shutil.copyfileobj(reading, writing, CHUNK)
            if not dry_run:
                for sha256 in sorted({a.sha256 for a in attachments}):
                    with package.open(members[FILES + sha256]) as reading:
                        stored = services.evidence.store.put(reading)
                    if stored.sha256 != sha256:  # read twice; changed between the reads
                        raise ExchangeError(f"changed while it was read ({FILES}{sha256}).",
                                            file=str(path))
            report = import_json(services, records, dry_run=dry_run, progress=progress,
                                 before_commit=before_commit)
        finally:
            spool.remove()
    added = 0 if dry_run else services.evidence.import_attachments(attachments)
    return report, added


def _checked_directory(package: zipfile.ZipFile, path: Path) -> dict[str, zipfile.ZipInfo]:
    """The members by name, after every check that needs no byte of them."""
    infos = package.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _refused(path, f"it holds {len(infos):,} members (at most {MAX_MEMBERS:,})")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        if name in members:
            raise _refused(path, f"it holds {name!r} twice")
        if name not in (MANIFEST, RECORDS, ATTACHMENTS, INDEX) and not _FILE_MEMBER.fullmatch(
                name):
            raise _refused(path, f"it holds a member this format does not have: {name!r}")
        total += info.file_size
        ratio = info.file_size // max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise _refused(path, f"{name} would expand {ratio:,} times: a ZIP bomb")
        members[name] = info
    if total > MAX_TOTAL_BYTES:
        raise _refused(path, f"its members declare {total:,} bytes in all")
    for needed in (MANIFEST, RECORDS):
        if needed not in members:
            raise _refused(path, f"it has no {needed}")
    return members


def _read_manifest(package: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo],
                   path: Path) -> dict[str, str]:
    if members[MANIFEST].file_size > 64 * 1024 * 1024:
        raise _refused(path, f"its {MANIFEST} is too large")
    manifest: dict[str, str] = {}
    text = _read_capped(package, members[MANIFEST], path).decode("utf-8", "replace")
    for number, line in enumerate(text.splitlines(), 1):
        match = _MANIFEST_LINE.fullmatch(line)
        if match is None:
            raise _refused(path, f"line {number} of {MANIFEST} is not '<sha256>  <name>'")
        manifest[match.group(2)] = match.group(1)
    unlisted = sorted(set(members) - set(manifest) - {MANIFEST})
    missing = sorted(set(manifest) - set(members))
    if unlisted or missing:
        raise _refused(path, f"its manifest does not list {unlisted}" if unlisted
                       else f"members named in its manifest are missing: {missing}")
    return manifest


def _read_capped(package: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    return b"".join(_chunks(package, info, path))


def _chunks(package: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> Iterator[bytes]:
    """The member's bytes, refused as soon as they exceed what its entry declares."""
    seen = 0
    try:
        with package.open(info) as reading:
            while chunk := reading.read(CHUNK):
                seen += len(chunk)
                if seen > info.file_size:
                    raise _refused(path, f"{info.filename} holds more than it declares")
                yield chunk
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _refused(path, f"{info.filename} cannot be read ({exc})") from exc
    if seen != info.file_size:
        raise _refused(path, f"{info.filename} holds fewer bytes than it declares")


def _verify_member(package: zipfile.ZipFile, info: zipfile.ZipInfo, expected: str,
                   path: Path) -> None:
    hasher = hashlib.sha256()
    for chunk in _chunks(package, info, path):
        hasher.update(chunk)
    digest = hasher.hexdigest()
    if digest != expected:
        raise _refused(path, f"{info.filename} does not match its hash in {MANIFEST}")
    if info.filename.startswith(FILES) and info.filename[len(FILES):] != digest:
        raise _refused(path, f"{info.filename} is not stored under its own hash")


def _attachment_from_json(item: Any, manifest: dict[str, str], path: Path) -> Attachment:
    try:
        attachment = Attachment(
            uid=str(item["uid"]), owner_kind=OwnerKind(item["owner_kind"]),
            owner_uid=str(item["owner_uid"]), sha256=str(item["sha256"]),
            size=int(item["size"]), media_type=str(item["media_type"]),
            name=str(item["name"]), added_at=str(item["added_at"]),
            added_by=str(item["added_by"]), role=str(item.get("role", "file")),
            details=dict(item.get("details") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _refused(path, f"{ATTACHMENTS} has an entry that cannot be read ({exc})") from exc
    if not is_sha256(attachment.sha256) or FILES + attachment.sha256 not in manifest:
        raise _refused(path, f"{ATTACHMENTS} names a file the package does not hold")
    return attachment


def _refused(path: Path, why: str) -> ExchangeError:
    return ExchangeError(f"was refused: {why}. Nothing was imported.", file=str(path))


__all__ = ["PackageReport", "export_package", "import_package", "is_package"]
