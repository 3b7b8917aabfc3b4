"""Alembic environment: run only programmatically, on the connection the store hands in."""

from __future__ import annotations

from alembic import context

from incidentlog.store.schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
