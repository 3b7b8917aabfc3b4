"""Whether a ``--db`` names a server: cheap to import (the command line parses with it)."""

from __future__ import annotations

#: The URL schemes of a log on a PostgreSQL server.
SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def is_server(target: object) -> bool:
    """True for ``postgresql://…`` (what ``--db`` and ``open_database`` take for a server)."""
    if not isinstance(target, str) or "://" not in target:
        return False
    return target.split("://", 1)[0].lower() in SCHEMES
