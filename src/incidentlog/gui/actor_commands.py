"""Undo commands for the actors' vocabulary (services/actors.py), as gui/undo.py's are.

Each keeps the receipt its service call returned, which is what undoes it.
"""

from __future__ import annotations

from typing import Any

from incidentlog.gui.undo import ServiceCommand
from incidentlog.services import Services
from incidentlog.services.actors import ActorsMerged, Renamed


class RenameActorCommand(ServiceCommand):
    """Rename the actor ``name``; ``done``: the receipt of the rename run already."""

    def __init__(self, services: Services, name: str, new_name: str, text: str,
                 done: Renamed | None = None) -> None:
        super().__init__(text)
        self._actors = services.actors
        self._name, self._new = name, new_name
        self.receipt: Renamed | None = done

    def do(self) -> Any:
        old = self.receipt.old if self.receipt is not None else self._name
        self.receipt = self._actors.rename(old, self._new).record
        return self.receipt

    def undo_action(self) -> Any:
        assert self.receipt is not None
        return self._actors.undo_rename(self.receipt).record


class AliasCommand(ServiceCommand):
    """Add ``alias`` to the actor ``name`` (``add``) or remove it; undo does the other."""

    def __init__(self, services: Services, name: str, alias: str, *, add: bool,
                 text: str) -> None:
        super().__init__(text)
        self._actors = services.actors
        self._name, self._alias, self._add = name, alias, add

    def _add_alias(self) -> Any:
        self._alias = self._actors.add_alias(self._name, self._alias).record
        return self._alias

    def _remove_alias(self) -> Any:
        self._name = self._actors.remove_alias(self._alias).record
        return self._name

    def do(self) -> Any:
        return self._add_alias() if self._add else self._remove_alias()

    def undo_action(self) -> Any:
        return self._remove_alias() if self._add else self._add_alias()


class MergeActorsCommand(ServiceCommand):
    """Merge the actor ``merged`` into ``survivor``; undo splits them again."""

    def __init__(self, services: Services, merged: str, survivor: str, text: str,
                 done: ActorsMerged | None = None) -> None:
        super().__init__(text)
        self._actors = services.actors
        self._merged, self._survivor = merged, survivor
        self.receipt: ActorsMerged | None = done

    def do(self) -> Any:
        self.receipt = self._actors.merge(self._merged, self._survivor).record
        return self.receipt

    def undo_action(self) -> Any:
        assert self.receipt is not None
        return self._actors.unmerge(self.receipt).record
