"""on a server, the country, event type and status indexes carry the row id

A filter by country (or event type, or status) and dates is answered from these
indexes; SQLite's carry the rowid by themselves, PostgreSQL's must be told to
(``INCLUDE (id)``), or every match is read from the table for its id
(docs/performance.md). Nothing changes in a file.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

#: The indexes, by their first column; each goes on with the dates.
_FIRST_COLUMNS = ("country", "event_type", "status")


def _rebuild(include: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in _FIRST_COLUMNS:
        op.execute(f"DROP INDEX ix_incident_{column}")
        op.execute(f"CREATE INDEX ix_incident_{column} ON incident "
                   f"({column}, occurred_at, occurred_end){include} WHERE deleted_at IS NULL")


def upgrade() -> None:
    _rebuild(" INCLUDE (id)")


def downgrade() -> None:
    _rebuild("")
