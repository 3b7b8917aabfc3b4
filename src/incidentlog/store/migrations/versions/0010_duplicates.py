"""duplicates: the merged-away incident's tombstone, and an index for time-near lookups

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-03

- ``incident.merged_into`` holds the uid of the incident a merged-away one
  was combined into (docs/user-guide.md, "Duplicates and merging"); the row
  stays, in the trash, so that its uid still resolves on import.
- ``ix_incident_precision`` (time_precision, occurred_at, id) over live rows lets
  the duplicate lookup walk, per precision, the incidents nearest in time
  without reading a year's worth of rows (store/duplicates.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None

_LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    # A plain ADD COLUMN on both engines: a batch copy of the table would drop the
    # full-text triggers SQLite keeps on it.
    op.add_column("incident", sa.Column("merged_into", sa.String(length=36), nullable=True))
    op.create_index("ix_incident_precision", "incident", ["time_precision", "occurred_at", "id"],
                    sqlite_where=_LIVE, postgresql_where=_LIVE)


def downgrade() -> None:
    op.drop_index("ix_incident_precision", table_name="incident")
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("merged_into")
