"""timeline lanes by actor: covering indexes on incident_actor

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

The timeline counts incidents per actor lane by walking the time index of
``incident`` and probing each incident's actors: ``(incident_id, role,
actor_id)`` answers that probe from the index alone, for any role or one.
``(role, actor_id, incident_id)`` lists the actors that hold one role (the
lanes themselves) without reading the table. docs/timeline.md, "Speed".
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incident_actor_lane", "incident_actor",
                    ["incident_id", "role", "actor_id"])
    op.create_index("ix_incident_actor_role", "incident_actor",
                    ["role", "actor_id", "incident_id"])


def downgrade() -> None:
    op.drop_index("ix_incident_actor_role", table_name="incident_actor")
    op.drop_index("ix_incident_actor_lane", table_name="incident_actor")
