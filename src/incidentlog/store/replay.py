"""The records compared with what the audit log says they should be.

Every write incidentlog makes to a record is one audit entry in the same
transaction: a creation lists every field that has a value, an edit the fields
it changed as ``{field: [old, new]}`` (``services/records.py``, and the import
in ``exchange/``). Replaying a record's entries in order therefore gives the
value each of its fields must hold now. A field that differs was changed
around incidentlog (an ``UPDATE`` in the sqlite3 shell needs no trigger to be
dropped), and the hash chain cannot show that: the entries themselves are
intact.

The replay reads the audit log in ``(uid, id)`` order, which its index
``ix_audit_log_uid`` gives without a sort, so that only one record's entries are
held at a time, and looks the records up a batch at a time: memory stays flat
on a large log.

Only the fields the log records are compared (not the version or the
``updated_*`` stamps, which an import takes from the file), and only for the
records the log knows: a log filled by another program (``bench/generate.py``)
has records without entries, which are not judged here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Select, Table, bindparam, select
from sqlalchemy.engine import Connection

from incidentlog.domain.actors import IncidentActor, actors_beyond_legacy
from incidentlog.store import bulk
from incidentlog.store.actors import actors_by_incident
from incidentlog.store.records import QUOTE_SELECT, tags_of
from incidentlog.store.schema import (
    audit_table,
    incident_table,
    period_table,
    quote_table,
    saved_view_table,
    source_table,
)

TABLES: dict[str, Table] = {
    "incident": incident_table,
    "source": source_table,
    "quote": quote_table,
    "period": period_table,
    "saved_view": saved_view_table,
}
#: Bookkeeping the audit log does not record field by field, and what the database derives
#: (the actors' names for the search, store/actor_text.py).
_UNRECORDED = {"id", "uid", "version", "created_at", "created_by", "updated_at", "updated_by",
               "actor_text"}
#: Fields of a record kept outside its row, or recorded under another name.
_EXTRA = {"incident": ("tags", "actors"), "quote": ("incident", "source")}
#: A quote's references are recorded by uid (the services) or by row id (an import's
#: update): setting one makes the other unknown.
_TWINS = {"incident": "incident_id", "incident_id": "incident",
          "source": "source_id", "source_id": "source"}
#: A field that is never empty: an entry that sets it from nothing is a creation.
_ALWAYS_SET = {"incident": "occurred_at", "source": "kind", "quote": "text",
               "period": "starts_at", "saved_view": "name"}
#: Entries that change citations and related incidents, not the record's own fields.
_NOT_FIELDS = {"link", "unlink", "relate", "unrelate"}
_UNKNOWN = object()
_ABSENT = object()


@lru_cache(maxsize=8)
def fields_of(kind: str) -> tuple[str, ...]:
    """The fields of ``kind`` the audit log records."""
    table = TABLES[kind]
    own = tuple(c.name for c in table.columns if c.name not in _UNRECORDED)
    return own + _EXTRA.get(kind, ())


@lru_cache(maxsize=8)
def _known(kind: str) -> frozenset[str]:
    return frozenset(fields_of(kind))


@dataclass
class Expected:
    """What the audit log says one record holds now."""

    kind: str
    uid: str
    #: The first entry was the record's creation: a field it never set is empty.
    complete: bool = False
    purged: bool = False
    values: dict[str, Any] = field(default_factory=dict)

    def apply(self, action: str, changes: Any) -> None:
        if action in _NOT_FIELDS or not isinstance(changes, dict):
            return
        if self.purged and action in ("create", "import"):  # imported again after a purge
            self.purged, self.complete, self.values = False, False, {}
        if not self.values and not self.complete and _is_creation(self.kind, action, changes):
            self.complete = True
        known, values = _known(self.kind), self.values
        for name, pair in changes.items():
            if name in known and type(pair) is list and len(pair) == 2:
                values[name] = pair[1]
                twin = _TWINS.get(name)
                if twin is not None:
                    values[twin] = _UNKNOWN
        if action == "purge":
            self.purged = True


def _is_creation(kind: str, action: str, changes: Mapping[str, Any]) -> bool:
    """A creation, or an import of a record new here: it sets a field that is never empty
    from nothing (an import's update of that field would name its old value)."""
    if action == "create":
        return True
    pair = changes.get(_ALWAYS_SET[kind]) if action == "import" else None
    return type(pair) is list and len(pair) == 2 and pair[0] is None


def record_name(kind: str, ref: Any, uid: str) -> str:
    """``incident IQ-2024-0007 (uid …)``: the ref a person knows, the uid that is certain."""
    return f"{kind} {ref} (uid {uid})" if ref else f"{kind} uid {uid}"


#: Records looked up per query.
BATCH = 500


def replay_problems(connection: Connection) -> Iterator[str]:
    """One sentence per record field that differs from what the audit log says."""
    pending: list[Expected] = []
    current: Expected | None = None
    query = select(audit_table.c.uid, audit_table.c.kind, audit_table.c.action,
                   audit_table.c.changes).order_by(audit_table.c.uid, audit_table.c.id)
    for rows in bulk.stream(connection, query):
        for uid, kind, action, changes in rows:
            if kind not in TABLES:
                continue
            if current is None or current.uid != uid:
                if current is not None:
                    pending.append(current)
                current = Expected(kind, uid)
            try:
                current.apply(action, orjson.loads(changes))
            except orjson.JSONDecodeError:
                continue  # an altered entry: the hash chain reports it
        if len(pending) >= BATCH:
            yield from _compare(connection, pending)
            pending = []
    if current is not None:
        pending.append(current)
    yield from _compare(connection, pending)


@lru_cache(maxsize=8)
def _rows_query(kind: str) -> Select[Any]:
    table = TABLES[kind]
    base = QUOTE_SELECT if kind == "quote" else select(table)
    return base.where(table.c.uid.in_(bindparam("uids", expanding=True)))


def _compare(connection: Connection, replayed: Sequence[Expected]) -> Iterator[str]:
    for kind in TABLES:
        wanted = {item.uid: item for item in replayed if item.kind == kind}
        if not wanted:
            continue
        fields = fields_of(kind)
        rows = _rows(connection, kind, list(wanted))
        ids = [row["id"] for row in rows.values()] if kind == "incident" else []
        tags = tags_of(connection, ids) if ids else {}
        actors = actors_by_incident(connection, ids) if ids else {}
        for uid, item in wanted.items():
            row = rows.get(uid)
            if row is None or item.purged:
                yield from _presence_problem(item, row)
                continue
            stored = _stored(kind, row, tags, actors)
            values = item.values
            for name in fields:
                # The common case first, without a call: the field holds what it should.
                expected = values.get(name, _ABSENT)
                value = stored[name]
                if expected is _ABSENT:
                    if value is None or not item.complete:
                        continue
                elif expected == value and (expected is None) == (value is None):
                    continue
                problem = _field_problem(connection, item, name, stored)
                if problem:
                    yield f"{record_name(kind, row.get('ref'), uid)}: {name}: {problem}"


def _rows(connection: Connection, kind: str, uids: list[str]) -> dict[str, dict[str, Any]]:
    """The rows of these uids by uid, as plain dicts (the driver's values, read fast)."""
    result = connection.execute(_rows_query(kind), {"uids": uids})
    try:
        names = list(result.keys())
        return {row["uid"]: row
                for row in (dict(zip(names, values, strict=True))
                            for values in result.cursor.fetchall())}
    finally:
        result.close()


def _stored(
    kind: str,
    row: Mapping[str, Any],
    tags: Mapping[int, list[str]],
    actors: Mapping[int, tuple[IncidentActor, ...]],
) -> dict[str, Any]:
    """The row's fields under the names the audit log uses (an incident's actors as
    ``domain.actors.actors_beyond_legacy`` has them audited)."""
    stored = dict(row)
    if kind == "incident":
        stored["tags"] = tags.get(row["id"], [])
        stored["actors"] = actors_beyond_legacy(actors.get(row["id"], ()), row["perpetrator"],
                                                row["attribution"])
    elif kind == "quote":
        stored["incident"], stored["source"] = row["incident_uid"], row["source_uid"]
    return stored


def _presence_problem(item: Expected, row: Mapping[str, Any] | None) -> Iterator[str]:
    if row is None and not item.purged:
        name = record_name(item.kind, item.values.get("ref"), item.uid)
        yield (f"{name}: is in the audit log but not in the database: it was deleted by "
               "another program")
    elif row is not None and item.purged:
        name = record_name(item.kind, row.get("ref"), item.uid)
        yield (f"{name}: the audit log says it was deleted for good, but it is in the "
               "database: it was put back by another program")


def _field_problem(
    connection: Connection, item: Expected, name: str, stored: Mapping[str, Any]
) -> str | None:
    value = stored[name]
    if name not in item.values:
        if not item.complete or _empty(value):
            return None
        expected: Any = None
    else:
        expected = item.values[name]
        if expected is _UNKNOWN or _same(name, expected, value):
            return None
        if value is None and name in _TWINS and _gone(connection, name, expected):
            return None  # its incident or source was deleted for good (ON DELETE SET NULL)
    return (f"is {_shown(value)} but the audit log says {_shown(expected)}: "
            "changed by another program, not through incidentlog")


def _empty(value: Any) -> bool:
    """What a creation leaves out of its entry: no value, false, zero, no tags."""
    if isinstance(value, list):
        return not value
    return value is None or (not isinstance(value, str) and value == 0)


def _same(name: str, expected: Any, value: Any) -> bool:
    if name == "tags":
        return sorted(set(expected or ())) == sorted(set(value))
    if expected is None:
        return value is None
    return bool(expected == value)


def _gone(connection: Connection, name: str, expected: Any) -> bool:
    """Whether the incident or source that ``expected`` (a uid or a row id) names is gone."""
    table = incident_table if name.startswith("incident") else source_table
    column = table.c.id if name.endswith("_id") else table.c.uid
    return connection.execute(select(table.c.id).where(column == expected)).first() is None


def _shown(value: Any, limit: int = 60) -> str:
    """A value as a short quotation: a long text is cut, not repeated whole."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"
