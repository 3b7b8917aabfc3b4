"""search knows actors: incident.actor_text in the full-text index; PostgreSQL's stored document

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

- ``incident.actor_text`` holds the names and aliases of an incident's actors and of
  whoever attributes it, kept by triggers on ``incident_actor``, ``actor`` and
  ``actor_alias`` (store/actor_text.py), and filled here for every incident.
- SQLite: the FTS5 table is made again with ``actor_text`` as its tenth column (an
  FTS5 table's columns cannot be altered), with its triggers and the vocabulary
  table over it, and rebuilt from the incidents.
- PostgreSQL: the document is stored (``search_document``, a generated column over
  ``incident_document(…, actor_text)``) and the GIN index is on that column instead
  of on the expression (store/postgres_sql.py, docs/performance.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from incidentlog.store import actor_text

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

#: The FTS5 columns before this revision (0001).
FORMER_COLUMNS = actor_text.FTS_COLUMNS[:-1]


def _fts(columns: tuple[str, ...]) -> list[str]:
    """The FTS5 table over ``columns`` of ``incident``, its triggers, its vocabulary."""
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        f"""CREATE VIRTUAL TABLE incident_fts USING fts5({names},
            content='incident', content_rowid='id', tokenize='unicode61 remove_diacritics 2')""",
        f"""CREATE TRIGGER incident_fts_insert AFTER INSERT ON incident BEGIN
            INSERT INTO incident_fts(rowid, {names}) VALUES (new.id, {new}); END""",
        f"""CREATE TRIGGER incident_fts_delete AFTER DELETE ON incident BEGIN
            INSERT INTO incident_fts(incident_fts, rowid, {names})
            VALUES ('delete', old.id, {old}); END""",
        f"""CREATE TRIGGER incident_fts_update AFTER UPDATE OF {names} ON incident BEGIN
            INSERT INTO incident_fts(incident_fts, rowid, {names})
            VALUES ('delete', old.id, {old});
            INSERT INTO incident_fts(rowid, {names}) VALUES (new.id, {new}); END""",
        "CREATE VIRTUAL TABLE incident_fts_vocab USING fts5vocab(incident_fts, 'row')",
        "INSERT INTO incident_fts(incident_fts) VALUES ('rebuild')",
    ]


_DROP_FTS = (
    "DROP TABLE IF EXISTS incident_fts_vocab",
    "DROP TRIGGER IF EXISTS incident_fts_update",
    "DROP TRIGGER IF EXISTS incident_fts_delete",
    "DROP TRIGGER IF EXISTS incident_fts_insert",
    "DROP TABLE IF EXISTS incident_fts",
)


def _schema() -> str:
    return str(op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one())


def upgrade() -> None:
    op.add_column("incident", sa.Column(actor_text.COLUMN, sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # Filled before the FTS table is made again: one rebuild indexes it all.
        op.execute(actor_text.sqlite_fill())
        for statement in (*_DROP_FTS, *_fts(actor_text.FTS_COLUMNS),
                          *actor_text.sqlite_triggers()):
            op.execute(statement)
    elif op.get_bind().dialect.name == "postgresql":
        from incidentlog.store.postgres_sql import search_column_statements

        # Filled (by the last of these) before the stored document exists: computed once.
        for statement in (*actor_text.postgres_statements(),
                          *search_column_statements(_schema(), actor_text.FTS_COLUMNS)):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in (*actor_text.sqlite_drop_triggers(), *_DROP_FTS,
                          *_fts(FORMER_COLUMNS)[:-1]):
            op.execute(statement)
        # Not a batch copy of the table: that would drop the FTS triggers made above.
        op.execute(f"ALTER TABLE incident DROP COLUMN {actor_text.COLUMN}")
        op.execute("INSERT INTO incident_fts(incident_fts) VALUES ('rebuild')")
    elif op.get_bind().dialect.name == "postgresql":
        from incidentlog.store.postgres_sql import search_column_drop_statements

        for statement in (*search_column_drop_statements(_schema(), actor_text.FTS_COLUMNS),
                          *actor_text.postgres_drop_statements()):
            op.execute(statement)
        op.drop_column("incident", actor_text.COLUMN)
