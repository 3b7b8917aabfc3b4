"""The user-extensible vocabularies that completers and filters read (docs/architecture.md).

The ``vocabulary`` table ships with the defaults of ``resources/vocabularies.json``
(kinds ``event_type``, ``weapon``, ``perpetrator``, ``tag``) and grows as users
extend it. Reading it is all the forms need; editing it belongs elsewhere.
"""

from __future__ import annotations

from incidentlog.store.actors import actor_vocabulary
from incidentlog.store.database import Database
from incidentlog.store.records import vocabulary_values

#: The kinds the table holds.
VOCABULARY_KINDS = ("event_type", "weapon", "perpetrator", "tag")


class VocabularyQuery:
    """Read one vocabulary, sorted the way a person scans a list (case-insensitive)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def actors(self) -> list[tuple[str, tuple[str, ...]]]:
        """Every actor's name and its aliases (store/actors.py), sorted by name."""
        with self._db.read() as connection:
            return actor_vocabulary(connection)

    def vocabulary(self, kind: str) -> list[str]:
        """The values of ``kind`` (e.g. ``event_type``); empty for an unknown kind."""
        with self._db.read() as connection:
            return vocabulary_values(connection, kind)
