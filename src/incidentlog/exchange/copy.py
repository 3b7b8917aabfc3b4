"""``incidentlog copy``: a whole log, record for record, from a file to a server or back.

Every table is copied row for row with its ids, the audit log's entries included
verbatim (so its hash chain holds on the other side), in one transaction on the
target, which must be an empty log. The copy is then verified twice: the rows of
every table counted on both sides, and the JSON exports of both compared (all
but the time of export). A copy that does not verify is reported; the target
keeps it for inspection (it was empty before).

The evidence files go with the rows: each file an attachment names is copied from
the source's evidence store into the target's (a folder beside a log file, the
``blob`` tables of a server), re-hashed on the way (a file that no longer matches
its hash, or is missing, stops the copy before any row is written). On a server the
bytes go into the copy's own transaction (docs/evidence.md).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.engine import Connection

from incidentlog.domain.errors import StorageError
from incidentlog.exchange.json.export import export_json
from incidentlog.services import Services
from incidentlog.store.blobs import FolderBlobStore
from incidentlog.store.database import Database
from incidentlog.store.schema import metadata

#: Rows inserted per statement.
CHUNK = 2000
#: Tables a new log already fills (the default vocabularies, the actors and their aliases):
#: replaced by the source's (deleting an actor deletes its aliases).
PREFILLED = ("vocabulary", "actor", "actor_alias")
#: The bytes of a server's evidence: moved by the evidence stores, not as rows.
BLOB_TABLES = ("blob", "blob_chunk")
#: Tables that must be empty in the target for a copy to go there.
RECORDS = ("incident", "source", "quote", "period", "saved_view", "audit_log")


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    #: Evidence files copied into the target's store.
    files: int = 0

    def summary(self, source: str, target: str) -> str:
        counts = ", ".join(f"{self.rows.get(t, 0):,} {t.replace('_', ' ')} rows"
                           for t in ("incident", "source", "quote", "audit_log"))
        if self.files:
            counts += f", {self.files:,} evidence files"
        if self.problems:
            return f"Copied {source} to {target} ({counts}), but it did not verify."
        return (f"Copied {source} to {target} ({counts}); verified: the same rows in every "
                "table and the same JSON export.")


def _tables() -> list[Table]:
    return [t for t in metadata.sorted_tables
            if t.name != "alembic_version" and t.name not in BLOB_TABLES]


def _count(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def copy_log(source: Database, target: Database) -> CopyReport:
    """Copy every row of ``source`` into the empty log ``target``, then verify the copy."""
    report = CopyReport()
    with source.read() as reading, target.long_write() as writing:
        for name in RECORDS:
            if _count(writing, metadata.tables[name]):
                raise StorageError(
                    f"{target.location} already holds records; a copy goes into a new, empty "
                    "log only (nothing was copied).", target.location)
        report.files = _copy_files(source, target, writing)
        for table in _tables():
            if table.name in PREFILLED:
                writing.execute(delete(table))
            report.rows[table.name] = _copy_table(reading, writing, table)
        if writing.dialect.name == "postgresql":
            _advance_sequences(writing)
    report.problems = _verify(source, target, report)
    return report


def _copy_files(source: Database, target: Database, writing: Connection) -> int:
    """Every file the source's attachments name, into the target's evidence store (before
    the rows: a missing or altered file stops the copy with no row written). A server
    target takes them in the copy's transaction ``writing``."""
    from incidentlog.services.evidence import store_of
    from incidentlog.store.blobs import BlobStore
    from incidentlog.store.server_blobs import TableBlobStore

    with source.read() as reading:
        hashes = sorted({str(h) for h in reading.execute(
            select(metadata.tables["attachment"].c.sha256).distinct()).scalars()})
    if not hashes:
        return 0
    from_store = store_of(source)
    to_store: BlobStore = store_of(target)
    if isinstance(to_store, TableBlobStore):
        to_store = to_store.bound(writing)
    for sha256 in hashes:
        if not from_store.has(sha256):
            raise StorageError(f"The evidence file {sha256} of {source.location} is missing. "
                               "Run 'incidentlog check'; no row was copied.", source.location)
        with from_store.open(sha256) as reading:
            stored = to_store.put(reading)  # hashed as it is copied: read once
        if stored.sha256 != sha256:
            raise StorageError(f"The evidence file {sha256} of {source.location} no longer "
                               "matches its hash. Run 'incidentlog check'; no row was copied.",
                               source.location)
    return len(hashes)


def _copy_table(reading: Connection, writing: Connection, table: Table) -> int:
    order = list(table.primary_key.columns)
    copied = 0
    result = reading.execution_options(stream_results=True).execute(
        select(table).order_by(*order))
    for rows in result.mappings().partitions(CHUNK):
        writing.execute(insert(table), [dict(row) for row in rows])
        copied += len(rows)
    return copied


def _advance_sequences(writing: Connection) -> None:
    """Ids copied as they were: each table's sequence goes on after the largest."""
    for table in _tables():
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        writing.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"))


def _verify(source: Database, target: Database, report: CopyReport) -> list[str]:
    problems: list[str] = []
    with source.read() as before, target.read() as after:
        for table in _tables():
            wanted, found = _count(before, table), _count(after, table)
            if wanted != found:
                problems.append(f"{table.name}: {wanted} rows in the source, {found} in the copy")
    with tempfile.TemporaryDirectory(prefix="incidentlog-copy-") as folder:
        documents = []
        for number, database in enumerate((source, target)):
            path = Path(folder) / f"{number}.json"
            export_json(Services(database), path)
            document = orjson.loads(path.read_bytes())
            document.pop("exported_at", None)
            documents.append(document)
        if documents[0] != documents[1]:
            problems.append("the JSON exports of the source and the copy differ")
    return problems


def backup_server(source: Database, out: Path) -> tuple[Path, CopyReport]:
    """A server log as a local log file at ``out`` (a folder: a dated name in it), copied
    and verified aside, then renamed into place: the same file format a user opens offline.

    Refuses to replace anything: a server's backup is a new file each time.
    """
    from datetime import UTC, datetime

    from incidentlog.store.backup import verify_backup
    from incidentlog.store.database import open_database

    if out.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        name = source.engine.url.database or "server"
        out = out / f"{name}-backup-{stamp}.sqlite3"
    files = FolderBlobStore.beside(out).root
    for taken in (out, files):
        if taken.exists():
            raise StorageError(f"{taken} exists; a backup of a server log is a new file "
                               "(nothing was written).", str(taken))
    with tempfile.TemporaryDirectory(prefix=".incidentlog-backup-", dir=out.parent) as folder:
        partial = Path(folder) / "copy.sqlite3"
        with open_database(partial) as target:
            report = copy_log(source, target)
        if report.problems:
            raise StorageError(f"The backup of {source.location} did not verify: "
                               f"{'; '.join(report.problems)}. Nothing was written.")
        verify_backup(partial, None)
        # The evidence first: the log file never appears without the files it names.
        partial_files = FolderBlobStore.beside(partial).root
        if partial_files.exists():
            partial_files.replace(files)
        partial.replace(out)
    return out, report
