"""review: comments, verdicts with reasons, and the log's own settings (two-person rule)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _tail() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.String(length=20), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("deleted_at", sa.String(length=20), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("about", sa.String(length=40), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reply_to", sa.String(length=36), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        *_tail(),
        sa.CheckConstraint(
            "(incident_id IS NULL) <> (source_id IS NULL)", name=op.f("ck_comment_subject")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_comment_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_comment_source_id_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment")),
        sa.UniqueConstraint("uid", name=op.f("uq_comment_uid")),
    )
    op.create_index("ix_comment_incident", "comment", ["incident_id", "id"], unique=False)
    op.create_index("ix_comment_source", "comment", ["source_id", "id"], unique=False)
    op.create_table(
        "verdict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("status_from", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reliability", sa.String(length=1), nullable=True),
        sa.Column("confidence", sa.Integer(), nullable=True),
        sa.Column("facts", sa.String(length=32), nullable=False),
        *_tail(),
        sa.CheckConstraint(
            "confidence IS NULL OR confidence BETWEEN 1 AND 6",
            name=op.f("ck_verdict_confidence"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_verdict_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verdict")),
        sa.UniqueConstraint("uid", name=op.f("uq_verdict_uid")),
    )
    op.create_index("ix_verdict_incident", "verdict", ["incident_id", "id"], unique=False)
    op.create_table(
        "log_setting",
        sa.Column("name", sa.String(length=36), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.String(length=20), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_log_setting")),
    )


def downgrade() -> None:
    op.drop_table("log_setting")
    op.drop_index("ix_verdict_incident", table_name="verdict")
    op.drop_table("verdict")
    op.drop_index("ix_comment_source", table_name="comment")
    op.drop_index("ix_comment_incident", table_name="comment")
    op.drop_table("comment")
