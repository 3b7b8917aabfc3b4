"""Pass 1 of an import: the whole file validated before anything is written.

Streaming (``json.reader``), each record is checked against the schema
(``json.schema``), then against the domain rules (``json.records``), and what it
becomes is kept in a ``Spool`` for the write pass. Every uid must be used once and
every uid a record refers to must resolve within the file or the database; both are
kept on disk (``store.bulk.UidLedger``) so that memory stays flat. The first
problem in the order of the file is raised as an ``ExchangeError``.
"""

from __future__ import annotations

import contextlib
import marshal
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from incidentlog.domain.errors import ExchangeError
from incidentlog.exchange.json.reader import CountingReader, opened, read_document
from incidentlog.exchange.json.records import BAD_RECORD, converted, record_error, record_label
from incidentlog.exchange.json.schema import (
    EXTRAS,
    FORMAT,
    KIND_OF_SECTION,
    SECTIONS,
    VERSION,
    schema_problem,
)
from incidentlog.exchange.reports import Ticker
from incidentlog.exchange.scope import BATCH
from incidentlog.store import bulk
from incidentlog.store.database import Database
from incidentlog.store.safe_paths import SpoolFolder, open_private
from incidentlog.store.schema import incident_table, source_table

__all__ = ["Checked", "Spool", "check_file", "validate_document"]


def validate_document(path: Path) -> None:
    """Check a document on its own, writing nothing: JSON syntax, schema, domain rules,
    and that every uid it refers to is in the file. Raises ``ExchangeError`` naming the
    file, the line or the record, and the field."""
    check_file(Path(path), None, Ticker(None, None))


@dataclass
class Checked:
    """What validation learnt about a file: its size and how many records of each kind."""

    size: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    #: The optional ``actors`` and ``merged`` of the document (exchange/json/vocabulary.py).
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def records(self) -> int:
        return sum(self.counts.values())


def _uid_key(uid: str) -> bytes:
    # 16 bytes instead of a 36-character str per record. The schema has checked the
    # form (lower-case hex in 8-4-4-4-12), so the hex digits are the UUID's bytes.
    return bytes.fromhex(uid.replace("-", ""))

def check_file(
    path: Path, database: Database | None, ticker: Ticker, spool: Spool | None = None
) -> Checked:
    """Pass 1: raise ``ExchangeError`` at the first problem of the file; write nothing.

    With a ``spool``, what each record becomes for the write pass is kept there.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ExchangeError(
            f"cannot be read: {exc.strerror or exc}. Nothing was imported.", file=str(path)
        ) from exc
    checked = Checked(size)
    with contextlib.ExitStack() as stack:
        folder = spool.folder if spool is not None else Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="incidentlog-check-")
        ))
        uids = _UidCheck(path, bulk.UidLedger(folder / "uids.sqlite3"))
        stack.callback(uids.close)
        with opened(path) as reader:
            head = _check_records(path, reader, uids, checked, ticker, spool)
        uids.flush()
        document = {**head, **{name: [] for name in SECTIONS if name in head}}
        checked.extras = {name: head[name] for name in EXTRAS if name in head}
        problem = schema_problem("document", document)
        if problem is not None:
            name, message = problem
            raise ExchangeError(message, file=str(path), field=name)
        _check_references(path, database, uids.ledger)
    ticker.set(size)
    return checked


def _check_records(
    path: Path,
    reader: CountingReader,
    uids: _UidCheck,
    checked: Checked,
    ticker: Ticker,
    spool: Spool | None,
) -> dict[str, Any]:
    """Check every record of the file in turn; return the document's other fields."""
    head: dict[str, Any] = {}
    for section, index, record in read_document(reader, path):
        if not section:
            key, value = record
            head[key] = value
            _check_head(path, key, value)
            continue
        if index % 64 == 0:
            ticker.set(reader.consumed)
        label = record_label(section, index, record)
        try:
            references, item = _check_record(path, section, label, record)
        except ExchangeError:
            uids.flush()  # a uid used twice before this record is the first problem
            raise
        if spool is not None:
            spool.add(section, (label, *item))
        uids.add(section, index, label, record["uid"], references)
        checked.counts[section] += 1
    return head


def _check_record(
    path: Path, section: str, label: str, record: Any
) -> tuple[list[tuple[str, str, str]], tuple[Any, ...]]:
    """One record by the schema, then by the domain rules: see ``records.converted``."""
    problem = schema_problem(KIND_OF_SECTION[section], record)
    if problem is not None:
        name, message = problem
        raise ExchangeError(message, file=str(path), record=label, field=name)
    try:
        return converted(section, record)
    except BAD_RECORD as exc:
        raise record_error(path, label, exc) from None


#: Small integers for the uid ledger: record kinds and sections.
_KIND_CODE = {"incident": 0, "source": 1, "quote": 2, "period": 3, "saved_view": 4,
              "comment": 5, "verdict": 6}
_SECTION_CODE = {name: number for number, name in enumerate(SECTIONS)}


class _UidCheck:
    """The uids of pass 1, by batch: a uid used twice, and what each record refers to.

    Kept in a ``store.bulk.UidLedger`` (on disk) rather than in sets: memory stays
    flat for a file of millions of records. A batch is checked when it is full,
    when the section changes, and before another problem is reported, so that
    problems are still reported in the order of the file.
    """

    def __init__(self, path: Path, ledger: bulk.UidLedger) -> None:
        self.path = path
        self.ledger = ledger
        self._kind = ""
        self._pending: list[tuple[bytes, str, str]] = []  # key, uid, label
        self._references: list[tuple[int, bytes, int, int, int, int]] = []
        self._place = 0

    def add(
        self,
        section: str,
        index: int,
        label: str,
        uid: str,
        references: list[tuple[str, str, str]],
    ) -> None:
        kind = KIND_OF_SECTION[section]
        if kind != self._kind:
            self.flush()
            self._kind = kind
        self._pending.append((_uid_key(uid), uid, label))
        for number, (ref_kind, _field_name, ref_uid) in enumerate(references):
            self._place += 1
            self._references.append(
                (
                    _KIND_CODE[ref_kind],
                    _uid_key(ref_uid),
                    self._place,
                    _SECTION_CODE[section],
                    index,
                    number if section == "incidents" else 0,
                )
            )
        if len(self._pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Check the pending uids; raise ``ExchangeError`` at the first one used before."""
        if self._pending:
            pending, self._pending = self._pending, []
            repeat = self.ledger.define(_KIND_CODE[self._kind], [key for key, _, _ in pending])
            if repeat is not None:
                _, uid, label = pending[repeat]
                raise ExchangeError(
                    f"uid {uid} is used by another {self._kind} earlier in the file",
                    file=str(self.path),
                    record=label,
                    field="uid",
                )
        if self._references:
            self.ledger.refer(self._references)
            self._references = []

    def close(self) -> None:
        self.ledger.close()


def _check_head(path: Path, key: str, value: Any) -> None:
    """Say early, and plainly, when the file is not one this version can read."""
    if key == "format" and value != FORMAT:
        raise ExchangeError(
            f"is not an incidentlog export (its format is {value!r}).", file=str(path)
        )
    if key == "version" and value != VERSION:
        if isinstance(value, int) and value > VERSION:
            raise ExchangeError(
                f"is a version {value} export; this incidentlog reads version {VERSION}. "
                "Update incidentlog to import it.",
                file=str(path),
                field="version",
            )
        raise ExchangeError(
            f"has version {value!r}; this incidentlog reads version {VERSION}.",
            file=str(path),
            field="version",
        )



class Spool:
    """What validation made of each record, kept aside for the write pass.

    Pass 1 parses, checks and converts every record; the write pass reads these
    ready values back (``marshal``: a few microseconds a record) in the order it
    writes them (sources, incidents, quotes, periods), instead of parsing the
    whole file once per section and converting every record a second time.
    It also writes exactly what was validated, even if the file changes
    meanwhile. One file per section in a hidden folder beside the database (the
    disk the user chose for their data, rather than a /tmp that may be held in
    memory), removed when the import ends, however it ends.
    """

    def __init__(self, near: Path | None) -> None:
        # Locked while the import runs: the next one removes what a killed one left.
        self._spool = SpoolFolder(near)
        self.folder = self._spool.path
        self._files: dict[str, IO[bytes]] = {}
        self._pending: dict[str, list[Any]] = {name: [] for name in SECTIONS}

    def add(self, section: str, item: tuple[Any, ...]) -> None:
        pending = self._pending[section]
        pending.append(item)
        if len(pending) >= BATCH:
            self._flush(section)

    def _flush(self, section: str) -> None:
        pending = self._pending[section]
        if not pending:
            return
        handle = self._files.get(section)
        if handle is None:
            handle = self._files[section] = open_private(self.folder / section, "w+b")
        # Length-prefixed: marshal.load on a file reads it in small pieces, loads does not.
        data = marshal.dumps(pending)
        handle.write(len(data).to_bytes(8, "little"))
        handle.write(data)
        self._pending[section] = []

    def batches(self, section: str) -> Iterator[list[Any]]:
        self._flush(section)
        handle = self._files.get(section)
        if handle is None:
            return
        handle.flush()
        handle.seek(0)
        while size := handle.read(8):
            yield marshal.loads(handle.read(int.from_bytes(size, "little")))

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._spool.remove()


def _check_references(path: Path, database: Database | None, ledger: bulk.UidLedger) -> None:
    """Every uid a record refers to must be in the file or (when importing) the database.

    Reported: the first reference in the file to a missing incident, else to a missing
    source.
    """
    tables = {"incident": incident_table, "source": source_table}
    for kind, table in tables.items():
        for batch in ledger.missing(_KIND_CODE[kind]):
            found: set[bytes] = set()
            if database is not None:
                with database.read() as connection:
                    chunk = [str(uuid.UUID(bytes=key)) for key, *_ in batch]
                    for (uid,) in connection.execute(
                        select(table.c.uid).where(table.c.uid.in_(chunk))
                    ):
                        found.add(_uid_key(uid))
            for key, section_code, index, number in batch:
                if key in found:
                    continue
                section = SECTIONS[section_code]
                field_name = f"sources[{number}].source" if section == "incidents" else kind
                where = (
                    "in the file or in this database" if database is not None else "in the file"
                )
                raise ExchangeError(
                    f"refers to the {kind} {uuid.UUID(bytes=key)}, which is not {where}",
                    file=str(path),
                    record=_label_at(path, section, index),
                    field=field_name,
                )


def _label_at(path: Path, section: str, index: int) -> str:
    """The label of record ``index`` of ``section``, read again from the file (an error
    is being reported: labels are not kept for every reference)."""
    with opened(path) as reader:
        for found, position, record in read_document(reader, path, (section,)):
            if found == section and position == index:
                return record_label(section, index, record)
    return f"{section}[{index}]"

