"""timeline periods: named spans of time shown as bands on the timeline

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.String(length=20), nullable=False),
        sa.Column("start_precision", sa.String(length=10), nullable=False),
        sa.Column("ends_at", sa.String(length=20), nullable=False),
        sa.Column("end_precision", sa.String(length=10), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.String(length=20), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("deleted_at", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period")),
        sa.UniqueConstraint("uid", name=op.f("uq_period_uid")),
    )
    with op.batch_alter_table("period", schema=None) as batch_op:
        batch_op.create_index(
            "ix_period_starts",
            ["starts_at", "id"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
    if op.get_bind().dialect.name == "postgresql":  # changes announced (store/postgres_sql.py)
        from incidentlog.store.postgres_sql import notify_statements

        for statement in notify_statements("period"):
            op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("period", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_period_starts",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )

    op.drop_table("period")
