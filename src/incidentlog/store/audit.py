"""The append-only audit log, each entry hashed together with the one before it.

The database itself refuses UPDATE and DELETE on ``audit_log`` (triggers of the
first migration); the hash chain makes an edit made around those triggers (by
another program, or by dropping them) visible to ``incidentlog check``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, RowMapping

from incidentlog.store.schema import audit_table

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    kind: str
    uid: str
    label: str | None
    changes: dict[str, list[Any]]


def _digest(
    prev_hash: str,
    at: str,
    actor: str,
    action: str,
    kind: str,
    uid: str,
    label: str | None,
    changes: str,
) -> str:
    payload = orjson.dumps([prev_hash, at, actor, action, kind, uid, label, changes])
    return hashlib.sha256(payload).hexdigest()


def last_hash(connection: Connection) -> str:
    value = connection.execute(
        select(audit_table.c.hash).order_by(audit_table.c.id.desc()).limit(1)
    ).scalar_one_or_none()
    return value or GENESIS


def audit_rows(
    prev_hash: str,
    entries: Iterable[tuple[str, str, str, str, str, str | None, Mapping[str, Any]]],
) -> tuple[list[dict[str, Any]], str]:
    """Chain ``(at, actor, action, kind, uid, label, changes)`` tuples into rows."""
    rows: list[dict[str, Any]] = []
    for at, actor, action, kind, uid, label, changes in entries:
        changes_text = orjson.dumps(changes, option=orjson.OPT_SORT_KEYS).decode()
        digest = _digest(prev_hash, at, actor, action, kind, uid, label, changes_text)
        rows.append(
            {
                "at": at,
                "actor": actor,
                "action": action,
                "kind": kind,
                "uid": uid,
                "label": label,
                "changes": changes_text,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    return rows, prev_hash


def append(
    connection: Connection,
    *,
    at: str,
    actor: str,
    action: str,
    kind: str,
    uid: str,
    label: str | None,
    changes: Mapping[str, Any],
) -> None:
    rows, _ = audit_rows(last_hash(connection), [(at, actor, action, kind, uid, label, changes)])
    connection.execute(insert(audit_table), rows)


def history(connection: Connection, uid: str) -> list[AuditEntry]:
    rows = connection.execute(
        select(audit_table).where(audit_table.c.uid == uid).order_by(audit_table.c.id)
    )
    return [_entry(row._mapping) for row in rows]


def _entry(row: RowMapping) -> AuditEntry:
    return AuditEntry(
        row["id"],
        row["at"],
        row["actor"],
        row["action"],
        row["kind"],
        row["uid"],
        row["label"],
        orjson.loads(row["changes"]),
    )


def recent(connection: Connection, limit: int = 100) -> list[AuditEntry]:
    rows = connection.execute(select(audit_table).order_by(audit_table.c.id.desc()).limit(limit))
    return [_entry(row._mapping) for row in rows]


#: The columns ``chain_problems`` reads, in its order.
CHAIN_COLUMNS = ("id", "at", "actor", "action", "kind", "uid", "label", "changes", "prev_hash",
                 "hash")
#: The SQL of those columns in id order, for a plain ``sqlite3`` connection (a backup).
CHAIN_SQL = f"SELECT {', '.join(CHAIN_COLUMNS)} FROM audit_log ORDER BY id"
#: A broken chain is one problem to act on: this many entries are named, no more.
MAX_CHAIN_PROBLEMS = 20


def chain_problems(rows: Iterable[Sequence[Any]]) -> list[str]:
    """Entries of ``rows`` (``CHAIN_COLUMNS`` each, in id order) whose hash does not
    follow from the one before; empty when intact."""
    problems: list[str] = []
    expected_prev = GENESIS
    for entry_id, at, actor, action, kind, uid, label, changes, prev_hash, stored in rows:
        if prev_hash != expected_prev:
            problems.append(f"audit log entry {entry_id}: does not follow the entry before it")
        if _digest(prev_hash, at, actor, action, kind, uid, label, changes) != stored:
            problems.append(f"audit log entry {entry_id}: its content was altered")
        expected_prev = stored
        if len(problems) >= MAX_CHAIN_PROBLEMS:
            break
    return problems


def verify_chain(connection: Connection) -> list[str]:
    """Entries whose hash does not follow from the one before; empty when intact."""
    columns = [audit_table.c[name] for name in CHAIN_COLUMNS]
    return chain_problems(connection.execute(select(*columns).order_by(audit_table.c.id)))
