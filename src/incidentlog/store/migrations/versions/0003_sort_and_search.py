"""sort and search on a million incidents: an index for the country sort, the FTS vocabulary

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

- ``ix_incident_country_id`` walks live incidents in the table's country order
  (country, id); ``ix_incident_country`` (country, occurred_at) stays for the
  country + date filter.
- ``incident_fts_vocab`` lists the terms of the full-text index, so that the
  prefix of the last word typed can be spelled out as the terms it starts:
  FTS5 answers a spelled-out term in a fraction of the time of a prefix query
  (store/backend.py, ``text_search``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_country_id",
            ["country", "id"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
    op.execute("CREATE VIRTUAL TABLE incident_fts_vocab USING fts5vocab(incident_fts, 'row')")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS incident_fts_vocab")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_country_id")
