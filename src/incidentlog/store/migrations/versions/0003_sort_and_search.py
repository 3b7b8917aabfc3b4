"""sort and search on a million incidents: an index for the country sort, the FTS vocabulary

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

- ``ix_incident_country_id`` walks live incidents in the table's country order
  (country, id); ``ix_incident_country`` (country, occurred_at) stays for the
  country + date filter, now with ``occurred_end`` too, as do the event type and
  status indexes: a date range is an overlap test on both ends, and with both
  in the index a count over a million incidents reads no row (270 ms → 15 ms).
- ``incident_fts_vocab`` lists the terms of the full-text index, so that the
  prefix of the last word typed can be spelled out as the terms it starts:
  FTS5 answers a spelled-out term in a fraction of the time of a prefix query
  (store/backend.py, ``text_search``). SQLite only: PostgreSQL's GIN index
  answers a prefix by itself.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


COVERED = {"ix_incident_country": "country", "ix_incident_event_type": "event_type",
           "ix_incident_status": "status"}
LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        for name, column in COVERED.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, [column, "occurred_at", "occurred_end"], unique=False,
                                  sqlite_where=LIVE, postgresql_where=LIVE)
        batch_op.create_index(
            "ix_incident_country_id",
            ["country", "id"],
            unique=False,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE incident_fts_vocab USING fts5vocab(incident_fts, 'row')")
    elif op.get_bind().dialect.name == "postgresql":  # the country sort's order, NULLS FIRST
        from incidentlog.store.postgres_sql import nulls_first_statements

        for statement in nulls_first_statements(("ix_incident_country_id", "country")):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS incident_fts_vocab")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_country_id")
        for name, column in COVERED.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, [column, "occurred_at"], unique=False,
                                  sqlite_where=LIVE, postgresql_where=LIVE)
