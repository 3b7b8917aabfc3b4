"""related incidents: typed, directed links between two incidents

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_id", sa.Integer(), nullable=False),
        sa.Column("to_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("from_id <> to_id", name=op.f("ck_incident_link_not_self")),
        sa.ForeignKeyConstraint(["from_id"], ["incident.id"],
                                name=op.f("fk_incident_link_from_id_incident"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["to_id"], ["incident.id"],
                                name=op.f("fk_incident_link_to_id_incident"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_link")),
    )
    op.create_index("uq_incident_link_from_to_kind", "incident_link",
                    ["from_id", "to_id", "kind"], unique=True)
    op.create_index("ix_incident_link_to", "incident_link", ["to_id", "from_id"])


def downgrade() -> None:
    op.drop_index("ix_incident_link_to", table_name="incident_link")
    op.drop_index("uq_incident_link_from_to_kind", table_name="incident_link")
    op.drop_table("incident_link")
