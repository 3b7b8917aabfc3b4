"""Alembic environment: run only programmatically, on the connection the store hands in."""

from __future__ import annotations

from alembic import context

from incidentlog.store.schema import metadata

connection = context.config.attributes["connection"]


def include_object(obj: object, name: str | None, type_: str, reflected: bool,
                   compare_to: object) -> bool:
    # The FTS5 tables, PostgreSQL's identity table and stored search document are created
    # in SQL by the migrations, not mapped.
    if type_ == "column" and name == "search_document":
        return False
    return not (type_ == "table" and name is not None
                and (name.startswith("incident_fts") or name == "incidentlog_identity"))


context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
    compare_type=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
