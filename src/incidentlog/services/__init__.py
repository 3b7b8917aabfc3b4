"""Use cases over an open database; built once by the composition root and passed in."""

from __future__ import annotations

import getpass
from typing import Any

from incidentlog.domain.enums import RecordKind
from incidentlog.services.actors import ActorService
from incidentlog.services.bulk_edit import BulkEditService
from incidentlog.services.changes import ChangeNotifier, Changes, Outcome
from incidentlog.services.duplicates import DuplicateService
from incidentlog.services.evidence import EvidenceService
from incidentlog.services.incidents import IncidentService
from incidentlog.services.links import LinkService
from incidentlog.services.merge import MergeService
from incidentlog.services.queries import IncidentQuery, QuoteQuery, SourceQuery
from incidentlog.services.records import (
    PeriodService,
    QuoteService,
    RecordService,
    SourceService,
)
from incidentlog.services.review import ReviewService
from incidentlog.services.saved_views import SavedViewService
from incidentlog.services.vocabulary import VocabularyQuery
from incidentlog.store.database import Database

__all__ = ["Changes", "Outcome", "Services", "default_actor"]


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (containers, some services)
        return "unknown"


class Services:
    """Every use case over one database, for one user (the audit log's "who")."""

    def __init__(self, database: Database, actor: str | None = None) -> None:
        self.database = database
        # On a server the audit log records the database login, whatever name is given.
        self.actor = database.login or actor or default_actor()
        self.notifier = ChangeNotifier()
        self.incidents = IncidentService(database, self.actor, self.notifier)
        self.links = LinkService(database, self.actor, self.notifier)
        self.sources = SourceService(database, self.actor, self.notifier)
        self.quotes = QuoteService(database, self.actor, self.notifier)
        self.periods = PeriodService(database, self.actor, self.notifier)
        self.saved_views = SavedViewService(database, self.actor, self.notifier)
        self.bulk_edit = BulkEditService(database, self.actor, self.notifier)
        self.evidence = EvidenceService(database, self.actor, self.notifier)
        self.review = ReviewService(database, self.actor, self.notifier, self.incidents)
        self.incident_query = IncidentQuery(database)
        self.source_query = SourceQuery(database)
        self.quote_query = QuoteQuery(database)
        self.vocabulary = VocabularyQuery(database)
        self.duplicates = DuplicateService(database)
        self.merge = MergeService(database, self.actor, self.notifier)
        self.actors = ActorService(database, self.actor, self.notifier)

    def of_kind(self, kind: RecordKind) -> RecordService[Any]:
        """The use cases of one record kind (the trash view lists each kind's own)."""
        services: dict[RecordKind, RecordService[Any]] = {
            RecordKind.INCIDENT: self.incidents,
            RecordKind.SOURCE: self.sources,
            RecordKind.QUOTE: self.quotes,
            RecordKind.PERIOD: self.periods,
            RecordKind.SAVED_VIEW: self.saved_views,
        }
        return services[kind]

    @property
    def read_only(self) -> bool:
        return self.database.read_only
