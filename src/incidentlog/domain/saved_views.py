"""Saved views: a named filter, sort and set of visible columns of the incident table.

Stored in the log itself (so they travel with it, in exports too) as three
JSON documents; docs/formats.md describes them. Reading is forgiving, writing
strict: a stored view whose content this version cannot read (an unknown
field, a column since renamed, a status that no longer exists) still loads,
with the parts it could read and a sentence per part it could not in
``problems``; saving a view checks everything and raises ``ValidationError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from incidentlog.domain.actors import ActorRole
from incidentlog.domain.columns import INCIDENT_COLUMNS
from incidentlog.domain.enums import Status
from incidentlog.domain.errors import ValidationError, quoted
from incidentlog.domain.query import INCIDENT_SORT_COLUMNS, IncidentFilter, Sort
from incidentlog.domain.records import RecordMeta, clean_text
from incidentlog.domain.when import from_utc_text, to_utc_text

MAX_NAME = 200

#: The filter's list fields and what each holds, as stored.
_TEXT_LISTS = ("countries", "event_types", "tags", "perpetrators", "actors")


@dataclass(frozen=True, slots=True)
class SavedView:
    name: str | None = None
    filter: IncidentFilter = field(default_factory=IncidentFilter)
    sort: Sort = field(default_factory=Sort)
    columns: tuple[str, ...] = ()  # visible column keys in order; () means the default set
    problems: tuple[str, ...] = ()  # what could not be read from the stored view
    meta: RecordMeta = field(default_factory=RecordMeta)

    @property
    def uid(self) -> str | None:
        return self.meta.uid

    @property
    def label(self) -> str:
        return self.name or "unnamed view"


# --- to JSON -----------------------------------------------------------------


def filter_to_json(flt: IncidentFilter) -> dict[str, Any]:
    """The fields of ``flt`` that differ from "any", as JSON values."""
    document: dict[str, Any] = {}
    if flt.text:
        document["text"] = flt.text
    for name in ("since", "until"):
        instant: datetime | None = getattr(flt, name)
        if instant is not None:
            document[name] = to_utc_text(instant)
    for name in _TEXT_LISTS:
        values: tuple[str, ...] = getattr(flt, name)
        if values:
            document[name] = list(values)
    if flt.statuses:
        document["statuses"] = [status.value for status in flt.statuses]
    if flt.actor_role is not None:
        document["actor_role"] = flt.actor_role.value
    if flt.uids is not None:
        document["uids"] = list(flt.uids)
    if flt.deleted:
        document["deleted"] = True
    return document


def sort_to_json(sort: Sort) -> dict[str, Any]:
    return {"column": sort.column, "descending": sort.descending}


# --- from JSON (forgiving: every problem is reported, none raised) ----------


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


def filter_from_json(document: Any) -> tuple[IncidentFilter, list[str]]:
    """The filter a stored document describes, and a sentence per part that was skipped."""
    if not isinstance(document, Mapping):
        return IncidentFilter(), ["the filter is not a JSON object; the view shows everything"]
    problems: list[str] = []
    values: dict[str, Any] = {}
    known = {f.name for f in fields(IncidentFilter)}
    for name, value in document.items():
        if name not in known:
            problems.append(f"the filter field {quoted(name)} is unknown and was skipped")
        elif name == "text":
            if isinstance(value, str):
                values[name] = value
            else:
                problems.append("the filter's words are not text and were skipped")
        elif name in ("since", "until"):
            try:
                values[name] = from_utc_text(value) if isinstance(value, str) else None
            except ValueError:
                values[name] = None
            if values[name] is None:
                problems.append(f"the filter's {name} date {quoted(value)} was skipped")
        elif name in (*_TEXT_LISTS, "uids"):
            strings = _strings(value)
            if strings is None:
                problems.append(f"the filter's {name} are not a list of texts and were skipped")
            else:
                values[name] = strings
        elif name == "statuses":
            values[name] = _statuses(value, problems)
        elif name == "actor_role":
            try:
                values[name] = ActorRole(value)
            except ValueError:
                problems.append(f"the actor role {quoted(str(value))} is unknown and was skipped")
        elif name == "deleted":
            if isinstance(value, bool):
                values[name] = value
            else:
                problems.append("the filter's trash flag is not true or false and was skipped")
    return IncidentFilter(**{k: v for k, v in values.items() if v is not None}), problems


def _statuses(value: Any, problems: list[str]) -> tuple[Status, ...]:
    strings = _strings(value)
    if strings is None:
        problems.append("the filter's statuses are not a list of texts and were skipped")
        return ()
    found: list[Status] = []
    for text in strings:
        try:
            found.append(Status(text))
        except ValueError:
            problems.append(f"the status {quoted(text)} is unknown and was skipped")
    return tuple(found)


def sort_from_json(document: Any) -> tuple[Sort, list[str]]:
    if not isinstance(document, Mapping):
        return Sort(), ["the sort order is not a JSON object; sorted by date instead"]
    problems: list[str] = []
    column = document.get("column", Sort().column)
    descending = document.get("descending", False)
    if not isinstance(descending, bool):
        problems.append("the sort direction is not true or false; ascending instead")
        descending = False
    if column not in INCIDENT_SORT_COLUMNS:
        problems.append(f"the table cannot sort by {quoted(column)}; sorted by date instead")
        column = Sort().column
    unknown = sorted(set(document) - {"column", "descending"})
    if unknown:
        problems.append(f"the sort field {quoted(unknown[0])} is unknown and was skipped")
    return Sort(column, descending), problems


def columns_from_json(document: Any) -> tuple[tuple[str, ...], list[str]]:
    strings = _strings(document)
    if strings is None:
        return (), ["the visible columns are not a list of texts; the default columns are shown"]
    known = {column.key for column in INCIDENT_COLUMNS}
    problems = [f"the column {quoted(key)} is unknown and was skipped"
                for key in strings if key not in known]
    return tuple(dict.fromkeys(key for key in strings if key in known)), problems


def view_from_json(
    name: str | None,
    filter_document: Any,
    sort_document: Any,
    columns_document: Any,
    meta: RecordMeta | None = None,
) -> SavedView:
    """A saved view from its stored documents; what could not be read is in ``problems``."""
    flt, filter_problems = filter_from_json(filter_document)
    sort, sort_problems = sort_from_json(sort_document)
    columns, column_problems = columns_from_json(columns_document)
    return SavedView(
        name,
        flt,
        sort,
        columns,
        tuple(filter_problems + sort_problems + column_problems),
        meta or RecordMeta(),
    )


# --- saving (strict) ---------------------------------------------------------


def checked_view(view: SavedView) -> SavedView:
    """The view as it will be stored, or ``ValidationError`` with every problem at once."""
    name = clean_text(view.name)
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "is required"
    elif len(name) > MAX_NAME:
        errors["name"] = f"is {len(name):,} characters long; at most {MAX_NAME} are allowed"
    if view.sort.column not in INCIDENT_SORT_COLUMNS:
        errors["sort"] = f"the table cannot sort by {quoted(view.sort.column)}"
    known = {column.key for column in INCIDENT_COLUMNS}
    unknown = [key for key in view.columns if key not in known]
    if unknown:
        errors["columns"] = f"no column {quoted(unknown[0])}"
    elif len(set(view.columns)) != len(view.columns):
        errors["columns"] = "a column is listed twice"
    for name_of_date in ("since", "until"):
        instant: datetime | None = getattr(view.filter, name_of_date)
        if instant is not None and instant.tzinfo is None:
            errors["filter"] = f"the {name_of_date} date has no time zone"
    if errors:
        raise ValidationError(errors, record=f"saved view {name or view.label}")
    return SavedView(name, view.filter, view.sort, view.columns, (), view.meta)
