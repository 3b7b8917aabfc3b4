"""evidence: files attached to sources and incidents, named by their SHA-256

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("added_at", sa.String(length=20), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("(source_id IS NULL) <> (incident_id IS NULL)",
                           name=op.f("ck_attachment_one_owner")),
        sa.CheckConstraint("size > 0", name=op.f("ck_attachment_size")),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"],
                                name=op.f("fk_attachment_source_id_source"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"],
                                name=op.f("fk_attachment_incident_id_incident"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
        sa.UniqueConstraint("uid", name=op.f("uq_attachment_uid")),
    )
    op.create_index("ix_attachment_source", "attachment", ["source_id"])
    op.create_index("ix_attachment_incident", "attachment", ["incident_id"])
    op.create_index("ix_attachment_sha256", "attachment", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_attachment_sha256", table_name="attachment")
    op.drop_index("ix_attachment_incident", table_name="attachment")
    op.drop_index("ix_attachment_source", table_name="attachment")
    op.drop_table("attachment")
