"""The History tab: an incident's audit entries, readable.

The audit log stores ``{field: [old, new]}`` with stored values (UTC text,
enum values, source uids). A reviewer wants "status: in review → verified"
and the source's title, with the time both in UTC (what the log records) and
in their own local time (what they remember).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.actors import IncidentActor, actors_text
from incidentlog.domain.when import from_utc_text
from incidentlog.gui.context import AppContext
from incidentlog.gui.forms.incident_related import related_summary
from incidentlog.gui.widgets.text import source_caption
from incidentlog.store.audit import AuditEntry

_MAX_VALUE = 120
#: Stored columns that follow from others: listing them would only repeat a change.
_DERIVED = frozenset({"occurred_end", "url_normalized"})


class HistoryView(QWidget):
    """Every audit entry of one record, oldest first, each change on its own line."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._uid: str | None = None
        self._stale = False  # set_uid while hidden: read when shown
        self.setObjectName("history")
        self.setAccessibleName(self.tr("History"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.placeholder = QLabel(self.tr("Nothing recorded yet: the history starts when the "
                                          "incident is first saved."), self)
        self.placeholder.setWordWrap(True)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("historyTree")
        self.tree.setAccessibleName(self.tr("Audit entries"))
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels([self.tr("When"), self.tr("Who"), self.tr("What")])
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setWordWrap(True)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.placeholder)
        layout.addWidget(self.tree, 1)

    def set_uid(self, uid: str | None) -> None:
        """Read now when on screen, else when first shown or asked: every save of the
        incident sets it again, and the tab is rarely the one open."""
        self._uid = uid
        self._stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        self._stale = False
        self.tree.clear()
        entries = self._context.services.incident_query.history(self._uid) if self._uid else []
        self.placeholder.setVisible(not entries)
        self.tree.setVisible(bool(entries))
        for entry in entries:
            self.tree.addTopLevelItem(self._item(entry))
        self.tree.expandAll()
        last = self.tree.topLevelItem(self.tree.topLevelItemCount() - 1)
        if last is not None:
            self.tree.scrollToItem(last)

    def entries_text(self) -> list[str]:
        """Each entry as one line of plain text (what a test or a screen reader reads)."""
        if self._stale:
            self.refresh()
        lines = []
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is None:
                continue
            children = (item.child(j) for j in range(item.childCount()))
            details = [child.text(2) for child in children if child is not None]
            lines.append(" | ".join([item.text(0), item.text(1), item.text(2), *details]))
        return lines

    # --- formatting ---------------------------------------------------------------------------

    def _item(self, entry: AuditEntry) -> QTreeWidgetItem:
        when_utc, when_local = _times(entry.at)
        when = f"{when_utc}\n{when_local}" if when_local else when_utc
        item = QTreeWidgetItem([when, entry.actor, self._summary(entry)])
        item.setToolTip(0, self.tr("Recorded at {0}").format(when.replace("\n", "; ")))
        item.setToolTip(2, item.text(2))
        if entry.action in ("status", "link", "unlink", "relate", "unrelate"):
            return item
        creating = entry.action in ("create", "import")
        for name, change in sorted(entry.changes.items()):
            if name in _DERIVED:
                continue
            logged: object = change  # an old entry may hold a bare value, not [old, new]
            old, new = change if isinstance(logged, list) and len(change) == 2 else (None, change)
            field = name.replace("_", " ")
            if creating:
                text = self.tr("{0}: {1}").format(field, self._value(name, new))
            else:
                text = self.tr("{0}: {1} → {2}").format(
                    field, self._value(name, old), self._value(name, new))
            child = QTreeWidgetItem(["", "", text])
            child.setToolTip(2, text)
            item.addChild(child)
        return item

    def _summary(self, entry: AuditEntry) -> str:
        changes = entry.changes
        match entry.action:
            case "create":
                return self.tr("Created {0}").format(entry.label or "")
            case "update":
                return self.tr("Edited {0} field(s)").format(len(changes))
            case "status":
                old, new = changes.get("status", [None, None])
                text = self.tr("Status: {0} → {1}").format(_label(old), _label(new))
                return text + _verdict_words(changes)
            case "link":
                source = self._value("source", changes.get("source", [None, None])[1])
                note = changes.get("note", [None, None])[1]
                if changes.get("source", [None, None])[0]:
                    return self.tr("Changed the note on {0}: {1}").format(
                        source, note or self.tr("(none)"))
                if note:
                    return self.tr("Linked source {0} — {1}").format(source, note)
                return self.tr("Linked source {0}").format(source)
            case "unlink":
                source = self._value("source", changes.get("source", [None, None])[0])
                return self.tr("Unlinked source {0}").format(source)
            case "relate" | "unrelate":
                return related_summary(entry.action, changes, self._incident_label)
            case "delete":
                return self.tr("Moved to the trash")
            case "restore":
                return self.tr("Restored from the trash")
            case "import":
                return self.tr("Imported ({0} field(s))").format(len(changes))
            case "merge":
                return self.tr("Merged from an import ({0} field(s))").format(len(changes))
            case "purge":
                return self.tr("Deleted for good")
        return entry.action

    def _incident_label(self, uid: str) -> str:
        incident = self._context.services.incidents.find(uid)
        return incident.label if incident else uid

    def _value(self, name: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if name == "source" and isinstance(value, str):
            source = self._context.services.sources.find(value)
            return f"“{source_caption(source)}”" if source else value
        if isinstance(value, bool):
            return self.tr("yes") if value else self.tr("no")
        if name == "actors" and isinstance(value, list):
            return _actors_words(value)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value) or "—"
        if name in ("occurred_at", "occurred_end", "deleted_at") and isinstance(value, str):
            return _times(value)[0]
        if name in ("status", "attribution", "time_precision", "geo_precision") or name.endswith(
            "_qualifier"
        ):
            return _label(value)
        text = str(value).replace("\n", " ")
        if len(text) > _MAX_VALUE:
            text = text[: _MAX_VALUE - 1] + "…"
        return f"“{text}”" if isinstance(value, str) else text


def _actors_words(value: list[Any]) -> str:
    """An audit entry's actors as a person reads them: ``claimant: IRI; perpetrator: …``."""
    try:
        return actors_text(IncidentActor.from_json(actor) for actor in value) or "—"
    except (ValueError, AttributeError, TypeError):  # an entry written by hand: as it is
        return ", ".join(str(v) for v in value)


def _label(value: Any) -> str:
    return "—" if value is None else str(value).replace("_", " ")


def _times(text: str) -> tuple[str, str]:
    """``2024-01-20T15:30:00Z`` → (``2024-01-20 15:30 UTC``, ``18:30 local (UTC+03:00)``).

    The local part is empty where local time is UTC: it would say the same twice.
    """
    try:
        instant = from_utc_text(text)
    except ValueError:
        return text, ""
    local = instant.astimezone()
    utc = instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    offset = local.strftime("%z")
    if not offset or offset == "+0000":
        return utc, ""
    shown = f"{local:%H:%M}" if local.date() == instant.date() else f"{local:%Y-%m-%d %H:%M}"
    return utc, f"{shown} local (UTC{offset[:3]}:{offset[3:]})"



def _verdict_words(changes: dict[str, Any]) -> str:
    """What a verdict adds to a status entry: `` — why (B2)`` (docs/review.md)."""
    def new(name: str) -> Any:
        pair = changes.get(name)
        return pair[1] if isinstance(pair, list) and len(pair) == 2 else None

    grades = f"{new('reliability') or ''}{new('confidence') or ''}"
    text = f" — {new('reason')}" if new("reason") else ""
    return text + (f" ({grades})" if grades else "")
