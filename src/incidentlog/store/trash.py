"""The trash in SQL: the deleted records of one kind, newest first, and who deleted them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from incidentlog.store.schema import audit_table


def tombstones_hidden(table: Any) -> list[Any]:
    """A merged-away incident is not in the trash to restore or purge: its uid must resolve."""
    return [table.c.merged_into.is_(None)] if "merged_into" in table.c else []


def trash_page(
    connection: Connection, table: Any, *, limit: int, after: tuple[str, int] | None
) -> list[tuple[int, str]]:
    """(id, deleted_at) of up to ``limit`` trashed rows, the latest deleted first.

    Keyset paging on (deleted_at, id), descending: ``after`` is the key of the
    last row of the previous page.
    """
    t = table
    conditions = [t.c.deleted_at.is_not(None), *tombstones_hidden(t)]
    if after is not None:
        deleted_at, last_id = after
        conditions.append(
            or_(t.c.deleted_at < deleted_at, and_(t.c.deleted_at == deleted_at, t.c.id < last_id))
        )
    rows = connection.execute(
        select(t.c.id, t.c.deleted_at)
        .where(*conditions)
        .order_by(t.c.deleted_at.desc(), t.c.id.desc())
        .limit(limit)
    )
    return [(row_id, deleted_at) for row_id, deleted_at in rows]


def trash_count(connection: Connection, table: Any) -> int:
    query = select(func.count()).select_from(table).where(
        table.c.deleted_at.is_not(None), *tombstones_hidden(table))
    return int(connection.execute(query).scalar_one())


def deleted_by(connection: Connection, uids: Sequence[str]) -> dict[str, str]:
    """Who moved each record to the trash: the actor of its latest "delete" audit entry."""
    found: dict[str, str] = {}
    for start in range(0, len(uids), 500):
        chunk = list(uids[start : start + 500])
        latest = (
            select(func.max(audit_table.c.id))
            .where(audit_table.c.uid.in_(chunk), audit_table.c.action == "delete")
            .group_by(audit_table.c.uid)
        )
        rows = connection.execute(
            select(audit_table.c.uid, audit_table.c.actor).where(audit_table.c.id.in_(latest))
        )
        found.update((uid, actor) for uid, actor in rows)
    return found
