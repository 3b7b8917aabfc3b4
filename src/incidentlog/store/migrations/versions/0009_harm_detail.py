"""harm in detail: killed/injured ranges (low, high), the civilian/military/unknown split
and the seriously injured, beside the best totals that stay in killed/injured

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03

Existing values need no rewrite: killed/injured and their qualifiers already are the best
totals, and every new column is NULL ("no range", "not split"). Columns are added one by
one (portable op.add_column: no table copy, so a large log migrates in moments and
SQLite keeps the incident table's triggers). No CHECK on the range order: adding one to
an existing SQLite table means rebuilding it; the domain's validation holds it
(docs/harm.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_PARTS = ("civilians", "military", "unknown")


def _columns() -> list[sa.Column[object]]:
    columns: list[sa.Column[object]] = []
    for total in ("killed", "injured"):
        columns += [sa.Column(f"{total}_low", sa.Integer(), nullable=True),
                    sa.Column(f"{total}_high", sa.Integer(), nullable=True)]
        for part in (*_PARTS, *(("seriously",) if total == "injured" else ())):
            columns += [sa.Column(f"{total}_{part}", sa.Integer(), nullable=True),
                        sa.Column(f"{total}_{part}_qualifier", sa.String(length=10),
                                  nullable=True)]
    return columns


def upgrade() -> None:
    for column in _columns():
        op.add_column("incident", column)


def downgrade() -> None:
    for column in reversed(_columns()):
        op.drop_column("incident", column.name)
