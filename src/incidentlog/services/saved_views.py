"""Saved views (domain/saved_views.py): create, rename, update, delete, list; audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from incidentlog.domain.enums import RecordKind
from incidentlog.domain.errors import ValidationError
from incidentlog.domain.saved_views import SavedView, checked_view
from incidentlog.services.changes import Outcome
from incidentlog.services.records import RecordService
from incidentlog.store import records as rows
from incidentlog.store.schema import saved_view_table


class SavedViewService(RecordService[SavedView]):
    """Named filter + sort + columns of the incident table, stored in the log, audited.

    Names are unique among the live views, ignoring case: the View menu lists them by name.
    """

    kind = RecordKind.SAVED_VIEW
    table = saved_view_table

    def _load(self, connection: Connection, uid: str) -> SavedView | None:
        row = rows.get_saved_view_row(connection, uid)
        return rows.saved_view_from_row(row) if row else None

    def _load_ids(self, connection: Connection, ids: Sequence[int]) -> dict[int, SavedView]:
        result = connection.execute(select(saved_view_table).where(saved_view_table.c.id.in_(ids)))
        return {row.id: rows.saved_view_from_row(row._mapping) for row in result}

    def list(self) -> list[SavedView]:
        """The live views by name (case-insensitive), each with the problems of its content."""
        v = saved_view_table
        with self._db.read() as connection:
            result = connection.execute(
                select(v).where(v.c.deleted_at.is_(None)).order_by(func.lower(v.c.name), v.c.id)
            )
            return [rows.saved_view_from_row(row._mapping) for row in result]

    def _checked(self, record: SavedView) -> SavedView:
        return checked_view(record)

    def _row_values(self, connection: Connection, record: SavedView) -> dict[str, Any]:
        if (record.name or "").casefold() in rows.live_view_names(connection, record.meta.uid):
            raise ValidationError(
                {"name": f"a view named {record.name!r} already exists; choose another name"},
                record=f"saved view {record.label}",
            )
        return rows.saved_view_values(record)

    def create(self, view: SavedView) -> Outcome[SavedView]:
        return self._create(view)

    def update(self, view: SavedView, *, force: bool = False) -> Outcome[SavedView]:
        """Save a changed filter, sort, columns or name (version-checked unless ``force``)."""
        return self._update(view, force=force)

    def rename(
        self, uid: str, name: str, expected_version: int | None = None
    ) -> Outcome[SavedView]:
        """A new name (version-checked when ``expected_version`` is given)."""
        current = self.get(uid)
        if expected_version is not None:
            current = replace(current, meta=replace(current.meta, version=expected_version))
        return self._update(replace(current, name=name), force=expected_version is None)
