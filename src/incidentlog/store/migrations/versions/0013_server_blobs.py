"""evidence bytes in a server log: blob and blob_chunk (1 MiB a row)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blob",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.CheckConstraint("size > 0", name=op.f("ck_blob_size")),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_blob")),
    )
    op.create_table(
        "blob_chunk",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "seq", name=op.f("pk_blob_chunk")),
    )
    if op.get_bind().dialect.name == "postgresql":
        from incidentlog.store.postgres_sql import blob_statements

        schema = str(op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one())
        for statement in blob_statements(schema):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from incidentlog.store.postgres_sql import BLOB_DROP_STATEMENTS

        for statement in BLOB_DROP_STATEMENTS:
            op.execute(statement)
    op.drop_table("blob_chunk")
    op.drop_table("blob")
