"""record lineage: fingerprints of each record's earlier versions, for merging imports

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_lineage",
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("ancestors", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("uid", name=op.f("pk_record_lineage")),
    )


def downgrade() -> None:
    op.drop_table("record_lineage")
