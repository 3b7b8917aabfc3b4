"""Undo commands: thin wrappers that call the services and keep before/after values.

They never touch widgets; the views redraw from the ``ChangeBus`` signal the
services' notifications produce. A command whose service call fails (a
conflict, a read-only file) keeps the error in ``error`` and makes itself
obsolete, so the stack drops it; ``push_command`` returns that error for the
caller to show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack

from incidentlog.domain.enums import Status
from incidentlog.domain.errors import IncidentLogError
from incidentlog.domain.records import Incident, Quote, Source
from incidentlog.services import Services
from incidentlog.services.bulk_edit import BulkChange, BulkResult, Selected
from incidentlog.services.records import RecordService


class ServiceCommand(QUndoCommand):
    """Runs service calls; an ``IncidentLogError`` is kept, never raised into Qt."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.error: IncidentLogError | None = None
        self.result: Any = None

    def _run(self, action: Callable[[], Any]) -> None:
        try:
            self.result = action()
            self.error = None
        except IncidentLogError as exc:
            self.error = exc
            self.setObsolete(True)

    #: The first ``redo`` is skipped: the work ran already, in the background (``push_done``).
    _done_already = False

    def redo(self) -> None:
        if self._done_already:
            self._done_already = False
            return
        self._run(self.do)

    def undo(self) -> None:
        self._run(self.undo_action)

    def do(self) -> Any:
        raise NotImplementedError

    def undo_action(self) -> Any:
        raise NotImplementedError


def push_command(stack: QUndoStack, command: ServiceCommand) -> IncidentLogError | None:
    """Push (which runs it) and return the error the user must be told about, if any."""
    stack.push(command)
    return command.error


def push_done(stack: QUndoStack, command: ServiceCommand, result: Any) -> None:
    """Push ``command`` whose work ran already, off the window's thread with a progress
    dialog (a long edit): the stack records it without running it again, and its undo
    and redo run as any command's."""
    command.result = result
    command._done_already = True
    stack.push(command)


class CreateRecordCommand(ServiceCommand):
    """Create an incident, source or quote; undo moves it to the trash, redo restores it."""

    def __init__(self, service: RecordService[Any], record: Incident | Source | Quote,
                 text: str) -> None:
        super().__init__(text)
        self._service = service
        self._record = record
        self.uid: str | None = None

    def do(self) -> Any:
        if self.uid is None:
            outcome = self._service.create(self._record)  # type: ignore[attr-defined]
            self.uid = outcome.record.meta.uid
            if getattr(outcome, "reused", False):
                # Nothing was created (an existing source was reused): nothing to undo.
                self.setObsolete(True)
            return outcome.record
        return self._service.restore(self.uid).record

    def undo_action(self) -> Any:
        assert self.uid is not None
        return self._service.delete(self.uid).record


class UpdateRecordCommand(ServiceCommand):
    """Save an edit; undo saves the values before it, at whatever version is current."""

    def __init__(self, service: RecordService[Any], before: Any, after: Any, text: str,
                 *, force: bool = False) -> None:
        super().__init__(text)
        self._service = service
        self._before = before
        self._after = after
        self._force = force
        self._version: int = after.meta.version

    def _save(self, values: Any, *, force: bool, undoing: bool) -> Any:
        record = replace(values, meta=replace(values.meta, version=self._version))
        kwargs: dict[str, Any] = {"force": force}
        if isinstance(record, Incident):
            kwargs["check_transition"] = not undoing
        stored = self._service.update(record, **kwargs).record  # type: ignore[attr-defined]
        self._version = stored.meta.version
        return stored

    def do(self) -> Any:
        force, self._force = self._force, False  # only the first save may overwrite
        return self._save(self._after, force=force, undoing=False)

    def undo_action(self) -> Any:
        return self._save(self._before, force=False, undoing=True)


class DeleteRecordCommand(ServiceCommand):
    def __init__(self, service: RecordService[Any], uid: str, version: int | None,
                 text: str) -> None:
        super().__init__(text)
        self._service = service
        self._uid = uid
        self._version = version

    def do(self) -> Any:
        version, self._version = self._version, None  # checked on the first run only
        return self._service.delete(self._uid, version).record

    def undo_action(self) -> Any:
        return self._service.restore(self._uid).record


class SetStatusCommand(ServiceCommand):
    def __init__(self, services: Services, incident: Incident, status: Status,
                 text: str) -> None:
        super().__init__(text)
        self._services = services
        self._uid = incident.meta.uid or ""
        self._before = incident.status
        self._after = status
        self._version: int | None = incident.meta.version

    def do(self) -> Any:
        version, self._version = self._version, None
        return self._services.incidents.set_status(self._uid, self._after, version).record

    def undo_action(self) -> Any:
        return self._services.incidents.set_status(
            self._uid, self._before, check_transition=False).record


class LinkSourceCommand(ServiceCommand):
    """Cite a source with a note (or change the note); undo puts back what was there."""

    def __init__(self, services: Services, incident_uid: str, source_uid: str,
                 note: str | None, text: str) -> None:
        super().__init__(text)
        self._services = services
        self._incident = incident_uid
        self._source = source_uid
        self._note = note
        existing = {link.source_uid: link for link in services.incidents.links(incident_uid)}
        self._previous = existing.get(source_uid)

    def do(self) -> Any:
        return self._services.incidents.link_source(self._incident, self._source,
                                                    self._note).record

    def undo_action(self) -> Any:
        if self._previous is None:
            return self._services.incidents.unlink_source(self._incident, self._source).record
        return self._services.incidents.link_source(self._incident, self._source,
                                                    self._previous.note).record


class UnlinkSourceCommand(ServiceCommand):
    def __init__(self, services: Services, incident_uid: str, source_uid: str,
                 text: str) -> None:
        super().__init__(text)
        self._services = services
        self._incident = incident_uid
        self._source = source_uid
        self._note: str | None = None

    def do(self) -> Any:
        removed = self._services.incidents.unlink_source(self._incident, self._source).record
        if removed is not None:
            self._note = removed.note
        return removed

    def undo_action(self) -> Any:
        return self._services.incidents.link_source(self._incident, self._source,
                                                    self._note).record


class BulkEditCommand(ServiceCommand):
    """One change to several incidents as one undo step (services/bulk_edit.py).

    The first run applies the change; undo reverts the latest result and redo
    reverts that, so each step is one ``revert`` of what the previous one did.
    ``result`` is the ``BulkResult`` of the latest step, for the window to report.
    """

    def __init__(self, services: Services, selection: Sequence[Selected], change: BulkChange,
                 text: str) -> None:
        super().__init__(text)
        self._service = services.bulk_edit
        self._selection = tuple(selection)
        self._change = change
        self._last: BulkResult | None = None

    def do(self) -> BulkResult:
        if self._last is None:
            result = self._service.apply(self._selection, self._change).record
            if not result.edited:
                self.setObsolete(True)  # nothing changed: nothing to undo
        else:
            result = self._service.revert(self._last).record
        self._last = result
        return result

    def undo_action(self) -> BulkResult:
        assert self._last is not None
        self._last = self._service.revert(self._last).record
        return self._last


class MergeCommand(ServiceCommand):
    """Merge one incident into another (services/merge.py); undo takes it apart again."""

    def __init__(self, services: Services, survivor_uid: str, merged_uid: str,
                 facts: Incident | None, versions: tuple[int, int] | None, text: str) -> None:
        super().__init__(text)
        self._services = services
        self._survivor, self._merged = survivor_uid, merged_uid
        self._facts = facts
        self._versions = versions
        self.receipt: Any = None

    def do(self) -> Any:
        versions, self._versions = self._versions, None  # checked on the first run only
        facts = self._facts
        if facts is not None and self.receipt is not None:  # redo: at the current version
            facts = replace(facts, meta=self._services.incidents.get(self._survivor).meta)
        self.receipt = self._services.merge.merge(self._survivor, self._merged, facts,
                                                  versions=versions).record
        return self.receipt

    def undo_action(self) -> Any:
        return self._services.merge.unmerge(self.receipt).record
