"""A column mapping: which column of a table is which field of an incident, and how to read it.

A mapping names columns by their header, so that it fits every file of the same
layout and can be saved (``save_mapping``) and reused (``load_mapping``) as a
small JSON document (docs/formats.md, "Importing a table")::

    {"format": "incidentlog-mapping", "version": 1, "name": "desk sheet",
     "columns": {"Date": "occurred", "Town": "place", "Dead": "killed"},
     "date_format": "auto", "tz": "Asia/Baghdad", "encoding": "auto",
     "values": {"geo_precision": {"1": "site"}}, "defaults": {"status": "draft"},
     "count_qualifier": "exact", "unquote_formulas": false}

``values`` translates another system's codes to ours before a cell is read,
``defaults`` fills a field a row leaves empty, ``count_qualifier`` says what a bare
number of killed or injured means (ACLED's are conservative: "at least").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from incidentlog.domain.errors import ExchangeError
from incidentlog.domain.when import is_zone
from incidentlog.exchange.files import atomic_file

__all__ = [
    "FIELDS",
    "FIELD_LABELS",
    "MAPPING_FORMAT",
    "MULTI_FIELDS",
    "ColumnMapping",
    "load_mapping",
    "mapping_from_json",
    "save_mapping",
]

MAPPING_FORMAT = "incidentlog-mapping"

#: The fields a column can be read into, with what a person reads in the mapping editor.
FIELD_LABELS: dict[str, str] = {
    "title": "Title",
    "summary": "Summary",
    "occurred": "Date (or date and time)",
    "occurred_time": "Time of day",
    "occurred_as_shown": "Date as incidentlog shows it (precision, ~)",
    "time_precision": "Time precision",
    "tz": "Time zone",
    "approximate": "Approximate (~)",
    "ref": "Ref",
    "external_id": "Identifier in the other system",
    "place": "Place",
    "admin1": "Province",
    "country": "Country",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "geo_precision": "Location precision",
    "event_type": "Event type",
    "weapons": "Weapons",
    "launched": "Launched",
    "intercepted": "Intercepted",
    "perpetrator": "Perpetrator",
    "attribution": "Attribution",
    "target": "Target",
    "associated_perpetrators": "Associated perpetrators",
    "associated_targets": "Associated targets",
    "killed": "Killed",
    "injured": "Injured",
    "killed_civilians": "Killed: civilians",
    "killed_military": "Killed: military",
    "killed_unknown": "Killed: status unknown",
    "injured_civilians": "Injured: civilians",
    "injured_military": "Injured: military",
    "injured_unknown": "Injured: status unknown",
    "injured_seriously": "Injured: seriously",
    "status": "Status",
    "confidence": "Confidence",
    "tags": "Tags",
    "source_url": "Source: URL",
    "source_title": "Source: title",
    "source_outlet": "Source: outlet",
    "uid": "UID",
    "version": "Version",
    "created_at": "Created (UTC)",
    "created_by": "Created by",
    "updated_at": "Updated (UTC)",
    "updated_by": "Updated by",
}
FIELDS = tuple(FIELD_LABELS)

#: Fields several columns may feed: their values are joined (tags: each a tag).
MULTI_FIELDS = frozenset({"summary", "tags"})

_COUNT_QUALIFIERS = ("exact", "at_least", "about")


@dataclass(frozen=True)
class ColumnMapping:
    """How the rows of a table become incidents (and the sources they cite)."""

    columns: dict[str, str] = field(default_factory=dict)  # header → field
    name: str = "custom"
    date_format: str = "auto"  # "auto" or a strptime format such as %d/%m/%Y
    tz: str = "UTC"
    encoding: str = "auto"
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    count_qualifier: str = "exact"
    #: Cells written by incidentlog's CSV export: ``'=x`` was ``=x`` (see ``csv.columns``).
    unquote_formulas: bool = False

    def headers_of(self, field_name: str) -> list[str]:
        return [header for header, name in self.columns.items() if name == field_name]

    def with_column(self, header: str, field_name: str | None) -> ColumnMapping:
        """A copy with ``header`` read into ``field_name`` (None or "": ignored)."""
        columns = {k: v for k, v in self.columns.items() if k != header}
        if field_name:
            if field_name not in MULTI_FIELDS:
                columns = {k: v for k, v in columns.items() if v != field_name}
            columns[header] = field_name
        return replace(self, columns=columns)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MAPPING_FORMAT,
            "version": 1,
            "name": self.name,
            "columns": dict(self.columns),
            "date_format": self.date_format,
            "tz": self.tz,
            "encoding": self.encoding,
            "values": {k: dict(v) for k, v in self.values.items()},
            "defaults": dict(self.defaults),
            "count_qualifier": self.count_qualifier,
            "unquote_formulas": self.unquote_formulas,
        }


def mapping_from_json(data: Any, where: str = "the mapping") -> ColumnMapping:
    """A mapping from its JSON form; ``ExchangeError`` says what is wrong with it."""

    def bad(message: str) -> ExchangeError:
        return ExchangeError(message, file=where)

    if not isinstance(data, Mapping) or data.get("format") != MAPPING_FORMAT:
        raise bad(f'is not a column mapping (a JSON object with "format": "{MAPPING_FORMAT}")')
    columns = data.get("columns", {})
    if not isinstance(columns, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise bad('"columns" must map each header to the name of a field')
    unknown = sorted({v for v in columns.values() if v and v not in FIELD_LABELS})
    if unknown:
        raise bad(f"{', '.join(unknown)}: not a field; the fields are: {', '.join(FIELDS)}")
    tz = data.get("tz", "UTC")
    if not isinstance(tz, str) or not is_zone(tz):
        raise bad(f"{tz!r} is not an IANA time zone such as Asia/Baghdad")
    qualifier = data.get("count_qualifier", "exact")
    if qualifier not in _COUNT_QUALIFIERS:
        raise bad(f"count_qualifier must be one of {', '.join(_COUNT_QUALIFIERS)}")
    values = data.get("values", {})
    defaults = data.get("defaults", {})
    if not _str_map(defaults) or not isinstance(values, Mapping) or not all(
        k in FIELD_LABELS and _str_map(v) for k, v in values.items()
    ):
        raise bad('"values" and "defaults" must map fields to texts')
    texts = {key: data.get(key, default) for key, default in
             (("name", "custom"), ("date_format", "auto"), ("encoding", "auto"))}
    if not all(isinstance(value, str) and value for value in texts.values()):
        raise bad('"name", "date_format" and "encoding" must be texts')
    return ColumnMapping(
        columns={k: v for k, v in columns.items() if v},
        values={k: dict(v) for k, v in values.items()},
        defaults=dict(defaults),
        tz=tz,
        count_qualifier=qualifier,
        unquote_formulas=bool(data.get("unquote_formulas", False)),
        **texts,
    )


def _str_map(value: Any) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


#: A mapping file is a few kilobytes; anything far larger is not one.
_MAX_MAPPING_BYTES = 1 << 20


def load_mapping(path: Path) -> ColumnMapping:
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_MAPPING_BYTES + 1)
    except OSError as exc:
        raise ExchangeError(f"cannot be read: {exc.strerror or exc}", file=str(path)) from exc
    if len(raw) > _MAX_MAPPING_BYTES:
        raise ExchangeError("is too large to be a column mapping", file=str(path))
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ExchangeError(f"is not a JSON document ({exc})", file=str(path)) from exc
    return mapping_from_json(data, str(path))


def save_mapping(mapping: ColumnMapping, path: Path) -> None:
    """Write the mapping as UTF-8 JSON, atomically (``exchange.files``)."""
    text = json.dumps(mapping.to_json(), ensure_ascii=False, indent=2) + "\n"
    with atomic_file(Path(path)) as handle:
        handle.write(text.encode("utf-8"))
