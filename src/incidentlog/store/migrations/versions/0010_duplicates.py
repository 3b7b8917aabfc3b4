"""duplicates: the merged-away incident's tombstone, and an index for time-near lookups

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-03

- ``incident.merged_into`` holds the uid of the incident a merged-away one
  was combined into (docs/user-guide.md, "Duplicates and merging"); the row
  stays, in the trash, so that its uid still resolves on import.
- ``ix_incident_precision`` (time_precision, occurred_at, id, occurred_end,
  country, title, deleted_at) over live rows lets the duplicate lookup walk, per precision,
  the incidents nearest in time from the index alone, without reading a row
  (store/duplicates.py); about 150 MB on a million incidents.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_LIVE = sa.text("deleted_at IS NULL")
#: The lookup reads the index alone: no row is read before the cut by title. deleted_at
#: (always NULL here) is in it too, or SQLite reads each row to test "deleted_at IS NULL".
_PRECISION_COLUMNS = ("time_precision", "occurred_at", "id", "occurred_end", "country", "title",
                      "deleted_at")


def upgrade() -> None:
    # A plain ADD COLUMN on both engines: a batch copy of the table would drop the
    # full-text triggers SQLite keeps on it.
    op.add_column("incident", sa.Column("merged_into", sa.String(length=36), nullable=True))
    op.create_index("ix_incident_precision", "incident", list(_PRECISION_COLUMNS),
                    sqlite_where=_LIVE, postgresql_where=_LIVE)


def downgrade() -> None:
    op.drop_index("ix_incident_precision", table_name="incident")
    # DROP COLUMN in place (SQLite 3.35+), not a batch copy: the full-text triggers stay.
    op.drop_column("incident", "merged_into")
