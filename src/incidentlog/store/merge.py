"""Moving an incident's child rows to another incident, and back; following tombstones.

``CHILDREN`` names every table whose rows belong to an incident through a
column holding its id: a new such table is one line here. A table whose
primary key includes that column (a link: citations, tags) moves the rows the
survivor does not have already, so that a source cited by both stays cited
once; the others stay with the merged-away incident, and undo leaves them be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, and_, select, tuple_, update
from sqlalchemy.engine import Connection

from incidentlog.store.schema import (
    attachment_table,
    comment_table,
    incident_link_table,
    incident_source_table,
    incident_table,
    incident_tag_table,
    quote_table,
    verdict_table,
)

#: (table, column holding the incident's id) of everything that moves in a merge.
CHILDREN: tuple[tuple[Table, str], ...] = (
    (incident_source_table, "incident_id"),
    (incident_tag_table, "incident_id"),
    (quote_table, "incident_id"),
    (comment_table, "incident_id"),
    (verdict_table, "incident_id"),
    (attachment_table, "incident_id"),
)
#: Links between incidents (``incident_link``): either end may be the merged-away incident.
#: A link between the two, or one the survivor states already, stays with the tombstone.
LINK_ENDS: tuple[tuple[str, str], ...] = (("from_id", "to_id"), ("to_id", "from_id"))

#: A merged-away incident's survivor may itself be merged later: followed this far.
MAX_HOPS = 20

Moved = dict[str, list[list[Any]]]  # table name → the moved rows' keys, JSON-friendly


def _key_columns(table: Table, column: str) -> list[Any]:
    """What names a row of ``table`` apart from the incident: its primary key without it."""
    return [c for c in table.primary_key.columns if c.name != column]


def move_children(connection: Connection, from_id: int, to_id: int) -> Moved:
    """Move every child row of incident ``from_id`` to ``to_id``; the keys moved, per table."""
    moved: Moved = {}
    for table, name in CHILDREN:
        column = table.c[name]
        keys = _key_columns(table, name)
        rows = [list(row) for row in connection.execute(select(*keys).where(column == from_id))]
        if len(keys) < len(table.primary_key.columns):  # a link: skip what the survivor has
            theirs = {tuple(row) for row in connection.execute(
                select(*keys).where(column == to_id))}
            rows = [row for row in rows if tuple(row) not in theirs]
        if rows:
            # Only this incident's rows: a tag's or a citation's key names rows of others too.
            _repoint(connection, table, name, keys, rows, to_id, only_from=from_id)
            moved[str(table.name)] = rows
    _move_links(connection, from_id, to_id, moved)
    return moved


def _move_links(connection: Connection, from_id: int, to_id: int, moved: Moved) -> None:
    t = incident_link_table
    for end, other in LINK_ENDS:
        theirs = {(row[0], row[1]) for row in connection.execute(
            select(t.c[other], t.c.kind).where(t.c[end] == to_id))}
        rows = [[row_id] for row_id, other_id, kind in connection.execute(
                    select(t.c.id, t.c[other], t.c.kind).where(t.c[end] == from_id))
                if other_id != to_id and (other_id, kind) not in theirs]
        if rows:
            _repoint(connection, t, end, [t.c.id], rows, to_id, only_from=from_id)
            moved[f"{t.name}.{end}"] = rows


def move_back(connection: Connection, moved: Mapping[str, Sequence[Sequence[Any]]],
              from_id: int, to_id: int) -> None:
    """Undo ``move_children``: the rows it moved to ``from_id`` go back to ``to_id``."""
    for table, name in CHILDREN:
        rows = moved.get(str(table.name))
        if rows:
            _repoint(connection, table, name, _key_columns(table, name), rows, to_id,
                     only_from=from_id)
    t = incident_link_table
    for end, _other in LINK_ENDS:
        rows = moved.get(f"{t.name}.{end}")
        if rows:
            _repoint(connection, t, end, [t.c.id], rows, to_id, only_from=from_id)


def _repoint(connection: Connection, table: Table, name: str, keys: list[Any],
             rows: Sequence[Sequence[Any]], to_id: int, *, only_from: int | None = None) -> None:
    column = table.c[name]
    for start in range(0, len(rows), 400):
        chunk = [tuple(row) for row in rows[start:start + 400]]
        match = keys[0].in_([row[0] for row in chunk]) if len(keys) == 1 \
            else tuple_(*keys).in_(chunk)
        condition = match if only_from is None else and_(match, column == only_from)
        connection.execute(update(table).where(condition).values({name: to_id}))


def survivors(connection: Connection, uids: Sequence[str]) -> dict[str, str]:
    """For each merged-away incident among ``uids``: the uid of the live incident it is now."""
    t = incident_table
    found: dict[str, str] = {}
    wanted = list(dict.fromkeys(uids))
    for start in range(0, len(wanted), 500):
        rows = connection.execute(select(t.c.uid, t.c.merged_into).where(
            t.c.uid.in_(wanted[start:start + 500]), t.c.merged_into.is_not(None)))
        found.update((uid, into) for uid, into in rows)
    for _ in range(MAX_HOPS):  # the survivor may have been merged away since
        next_hops = survivors_once(connection, list(set(found.values())))
        if not next_hops:
            break
        found = {uid: next_hops.get(into, into) for uid, into in found.items()}
    return found


def survivors_once(connection: Connection, uids: Sequence[str]) -> dict[str, str]:
    t = incident_table
    if not uids:
        return {}
    return dict(connection.execute(select(t.c.uid, t.c.merged_into).where(
        t.c.uid.in_(list(uids)), t.c.merged_into.is_not(None))).all())


def follow_merged(connection: Connection, ids: dict[str, int]) -> dict[str, int]:
    """``ids`` (incident uid → row id) with merged-away incidents replaced by their survivor."""
    moved = survivors(connection, list(ids))
    if not moved:
        return ids
    t = incident_table
    targets = dict(connection.execute(select(t.c.uid, t.c.id).where(
        t.c.uid.in_(list(set(moved.values()))))).all())
    return {uid: targets.get(moved[uid], row_id) if uid in moved else row_id
            for uid, row_id in ids.items()}


def bump_quotes(connection: Connection, ids: Sequence[int], at: str, actor: str) -> list[str]:
    """A new version of each quote of ``ids`` (moved to another incident); their uids."""
    q = quote_table
    connection.execute(update(q).where(q.c.id.in_(list(ids))).values(
        version=q.c.version + 1, updated_at=at, updated_by=actor))
    return [uid for uid, in connection.execute(select(q.c.uid).where(q.c.id.in_(list(ids))))]
