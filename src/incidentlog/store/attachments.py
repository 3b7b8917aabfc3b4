"""Attachment rows ↔ ``Attachment`` records, and the queries over them (docs/evidence.md)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson
from sqlalchemy import Select, case, func, insert, literal, select, union_all
from sqlalchemy.engine import Connection

from incidentlog.domain.evidence import Attachment, OwnerKind
from incidentlog.store.schema import attachment_table, incident_table, source_table

_A = attachment_table


def _owner_id_column(kind: OwnerKind) -> Any:
    return _A.c.source_id if kind is OwnerKind.SOURCE else _A.c.incident_id


def _owner_table(kind: OwnerKind) -> Any:
    return source_table if kind is OwnerKind.SOURCE else incident_table


def owner_id(connection: Connection, kind: OwnerKind, uid: str) -> int | None:
    """The row id of a live record, or None."""
    table = _owner_table(kind)
    return connection.execute(
        select(table.c.id).where(table.c.uid == uid, table.c.deleted_at.is_(None))
    ).scalar_one_or_none()


def _select() -> Select[Any]:
    """Every attachment with its owner's kind, uid and (for an incident) ref."""
    by_source = (
        select(_A, literal(OwnerKind.SOURCE.value).label("owner_kind"),
               source_table.c.uid.label("owner_uid"), literal(None).label("owner_ref"))
        .join(source_table, source_table.c.id == _A.c.source_id)
    )
    by_incident = (
        select(_A, literal(OwnerKind.INCIDENT.value).label("owner_kind"),
               incident_table.c.uid.label("owner_uid"), incident_table.c.ref.label("owner_ref"))
        .join(incident_table, incident_table.c.id == _A.c.incident_id)
    )
    return union_all(by_source, by_incident).subquery().select()


def from_row(row: Any) -> Attachment:
    return Attachment(
        uid=row.uid, owner_kind=OwnerKind(row.owner_kind), owner_uid=row.owner_uid,
        sha256=row.sha256, size=row.size, media_type=row.media_type, name=row.name,
        added_at=row.added_at, added_by=row.added_by, role=row.role,
        details=orjson.loads(row.details) if row.details else {},
    )


def of_owner(connection: Connection, kind: OwnerKind, uid: str) -> list[Attachment]:
    query = _select()
    rows = connection.execute(
        query.where(query.selected_columns.owner_kind == kind.value,
                    query.selected_columns.owner_uid == uid)
        .order_by(query.selected_columns.added_at, query.selected_columns.id)
    )
    return [from_row(row) for row in rows]


def of_owners(connection: Connection, kind: OwnerKind,
              uids: Sequence[str]) -> Iterator[Attachment]:
    for start in range(0, len(uids), 500):
        query = _select()
        yield from map(from_row, connection.execute(
            query.where(query.selected_columns.owner_kind == kind.value,
                        query.selected_columns.owner_uid.in_(uids[start:start + 500]))
            .order_by(query.selected_columns.id)
        ))


def find(connection: Connection, uid: str) -> Attachment | None:
    query = _select()
    row = connection.execute(query.where(query.selected_columns.uid == uid)).first()
    return from_row(row) if row is not None else None


def existing(connection: Connection, kind: OwnerKind, owner: int, sha256: str) -> str | None:
    """The uid of the attachment of these bytes to that record, if there is one."""
    return connection.execute(
        select(_A.c.uid).where(_owner_id_column(kind) == owner, _A.c.sha256 == sha256)
    ).scalar_one_or_none()


def insert_row(connection: Connection, attachment: Attachment, owner: int) -> None:
    connection.execute(insert(_A).values(
        uid=attachment.uid,
        source_id=owner if attachment.owner_kind is OwnerKind.SOURCE else None,
        incident_id=owner if attachment.owner_kind is OwnerKind.INCIDENT else None,
        sha256=attachment.sha256, size=attachment.size, media_type=attachment.media_type,
        name=attachment.name, role=attachment.role,
        details=orjson.dumps(attachment.details).decode() if attachment.details else None,
        added_at=attachment.added_at, added_by=attachment.added_by,
    ))


def delete_row(connection: Connection, uid: str) -> None:
    connection.execute(_A.delete().where(_A.c.uid == uid))


def everything(connection: Connection, *, with_ref: bool = False) -> Iterator[Any]:
    """Every attachment in id order; with ``with_ref``, each with its incident's ref (or
    None) as ``(attachment, ref)``."""
    query = _select()
    for row in connection.execute(query.order_by(query.selected_columns.id)):
        yield (from_row(row), row.owner_ref) if with_ref else from_row(row)


def counts(connection: Connection, kind: OwnerKind,
           uids: Iterable[str]) -> dict[str, tuple[int, int]]:
    """``{owner uid: (files, captures)}`` for the records among ``uids`` that have any."""
    table = _owner_table(kind)
    wanted = list(uids)
    found: dict[str, tuple[int, int]] = {}
    for start in range(0, len(wanted), 500):
        rows = connection.execute(
            select(table.c.uid,
                   func.sum(case((_A.c.role == "file", 1), else_=0)),
                   func.sum(case((_A.c.role == "capture", 1), else_=0)))
            .join(_A, _owner_id_column(kind) == table.c.id)
            .where(table.c.uid.in_(wanted[start:start + 500]))
            .group_by(table.c.uid)
        )
        found.update({uid: (int(files or 0), int(captures or 0)) for uid, files, captures in rows})
    return found
