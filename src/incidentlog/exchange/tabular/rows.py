"""One row of a table made an incident record of the JSON format (and the source it cites).

A row becomes what ``exchange.json`` reads, so that the import checks, merges and
reports exactly as a JSON import does (``tabular.importing``); here each row is also
checked on its own, by the same schema and domain rules, so that its problems can
be named by row before anything is written (the preview, and the import's first pass).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from incidentlog.domain.actors import ActorRole, IncidentActor, legacy_actors
from incidentlog.domain.countries import find_country
from incidentlog.domain.enums import Attribution, GeoPrecision, Status, TimePrecision
from incidentlog.domain.errors import ValidationError
from incidentlog.domain.harm import parse_injured
from incidentlog.domain.records import Count, HarmSplit, Incident
from incidentlog.domain.when import is_zone
from incidentlog.exchange.csv.columns import TRIGGER_SET
from incidentlog.exchange.json.records import (
    BAD_RECORD,
    FieldError,
    incident_from_json,
    source_from_json,
)
from incidentlog.exchange.json.schema import schema_problem
from incidentlog.exchange.tabular.dates import parse_when
from incidentlog.exchange.tabular.mapping import FIELD_LABELS, MULTI_FIELDS, ColumnMapping

__all__ = ["Row", "RowReader"]

#: The namespace of the uids a table's rows are given (uuid5): the same row read through
#: the same mapping gets the same uid, so importing a file twice adds nothing the second time.
UID_NAMESPACE = uuid.UUID("5b0f3c2e-8f0a-4c1e-9d57-2f6b1e0c7a41")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TAG_SPLIT = re.compile(r"[;؛]")
_TRUE = frozenset({"true", "yes", "y", "1", "~", "approximate", "approx", "نعم"})
_SCHEMA_KIND = {"incidents": "incident", "sources": "source"}


@dataclass
class Row:
    """What a row becomes: the records to import, or its problems (then nothing is imported)."""

    line: int
    incident: dict[str, Any] | None = None
    source: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)
    checked: Incident | None = None


class RowReader:
    """Reads the rows of one table (``header``) through a mapping."""

    def __init__(self, mapping: ColumnMapping, header: Sequence[str]) -> None:
        self.mapping = mapping
        self.header = list(header)
        positions = {name: i for i, name in reversed(list(enumerate(self.header)))}
        self.columns: dict[str, list[int]] = {}
        for name, target in mapping.columns.items():
            if name in positions:
                self.columns.setdefault(target, []).append(positions[name])
        self.missing = [name for name in mapping.columns if name not in positions]
        self.duplicates = sorted({n for n in self.header if n and self.header.count(n) > 1})

    def read(self, line: int, cells: Sequence[str], check: bool = True) -> Row:
        """The row at ``line``; with ``check``, checked by the schema and domain rules."""
        row = Row(line)
        if len(cells) != len(self.header):
            row.problems.append(
                f"has {len(cells)} cells where the header has {len(self.header)} "
                "(a missing or extra separator?)"
            )
        values = self._values(cells)
        incident, source = _records(self.mapping, values, row.problems, cells)
        if check and not row.problems:
            row.checked = _checked_incident(incident, row.problems)
            if source is not None:
                _check_source(source, row.problems)
        if not row.problems:
            row.incident, row.source = incident, source
        return row

    def _values(self, cells: Sequence[str]) -> dict[str, str]:
        mapping = self.mapping
        values: dict[str, str] = {}
        for target, positions in self.columns.items():
            texts = [_cell(cells[i], mapping.unquote_formulas) for i in positions if i < len(cells)]
            texts = [text for text in texts if text]
            joiner = "; " if target == "tags" else "\n\n"
            text = joiner.join(texts) if target in MULTI_FIELDS else (texts[0] if texts else "")
            translate = mapping.values.get(target)
            if translate and text:
                text = translate.get(text, translate.get(text.casefold(), text))
            values[target] = text
        for target, default in mapping.defaults.items():
            if not values.get(target):
                values[target] = default
        return values


def _cell(text: str, unquote: bool) -> str:
    text = text.strip()
    if unquote and len(text) > 1 and text[0] == "'" and text[1] in TRIGGER_SET:
        return text[1:]
    return text


def _records(
    mapping: ColumnMapping, values: dict[str, str], problems: list[str], cells: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    def get(name: str) -> str | None:
        return values.get(name) or None

    def read(name: str, reader: Any) -> Any:
        text = get(name)
        if text is None:
            return None
        try:
            return reader(text)
        except (ValueError, KeyError, OverflowError) as exc:
            problems.append(f"{FIELD_LABELS[name]}: {exc}")
            return None

    external = get("external_id")
    uid = read("uid", _uid) or _stable_uid(mapping.name, external, cells)
    record: dict[str, Any] = {"uid": uid}
    if get("version"):
        record["version"] = read("version", _whole)
    for name in ("created_at", "created_by", "updated_at", "updated_by"):
        if get(name):
            record[name] = get(name)
    _occurred(mapping, values, record, problems)
    ref = get("ref") or (external if external and _REF.match(external) else None)
    record["ref"] = ref
    for name in ("summary", "place", "admin1", "event_type", "weapons", "perpetrator", "target"):
        record[name] = get(name)
    record["title"] = get("title") or _title(values)
    record["country"] = read("country", _country)
    record["latitude"] = read("latitude", _decimal)
    record["longitude"] = read("longitude", _decimal)
    record["geo_precision"] = read("geo_precision", lambda t: GeoPrecision.parse(t).value)
    record["launched"] = read("launched", _whole)
    record["intercepted"] = read("intercepted", _whole)
    record["attribution"] = read("attribution", lambda t: Attribution.parse(t).value) or "unknown"
    record["status"] = read("status", lambda t: Status.parse(t).value) or "draft"
    record["confidence"] = read("confidence", _confidence)
    for name in ("killed", "injured"):
        reader = _harm if name == "injured" else _killed
        count, seriously = read(name, partial(reader, qualifier=mapping.count_qualifier)) or (
            Count(), Count())
        record[name] = {"value": count.value, "qualifier": count.qualifier.value}
        record[name] |= {end: getattr(count, end) for end in ("low", "high")
                         if getattr(count, end) is not None}
        parts = {"seriously": seriously} if seriously.known else {}
        for part in (*HarmSplit.PARTS, *(("seriously",) if name == "injured" else ())):
            parts[part] = read(f"{name}_{part}", Count.parse) or parts.get(part) or Count()
        record[name] |= {part: {"value": count.value, "qualifier": count.qualifier.value}
                         for part, count in parts.items() if count.known}
    record["tags"] = _tags(get("tags"))
    actors = _associated(record, get("associated_perpetrators"), get("associated_targets"))
    if actors:
        record["actors"] = actors
    source = _source(values, uid, mapping.name, external, problems)
    if source is not None:
        record["sources"] = [{"source": source["uid"], "note": None}]
    return record, source


def _associated(
    record: dict[str, Any], perpetrators: str | None, targets: str | None
) -> list[dict[str, Any]]:
    """The actors of a row naming associated actors (ACLED's assoc_actor_1 and 2): the
    perpetrator and the associated ones, known the same way, then the target and its
    associated ones. A row without any keeps its perpetrator, which becomes an actor."""
    more, hit = _tags_as_typed(perpetrators), _tags_as_typed(targets)
    if not more and not hit:
        return []
    attribution = Attribution(record["attribution"])
    first = legacy_actors(record.get("perpetrator"), attribution)
    role = first[0].role if first else ActorRole.PERPETRATOR
    actors = [*first, *(IncidentActor(role, name, attribution) for name in more)]
    names = [record["target"]] if record.get("target") else []
    actors += [IncidentActor(ActorRole.TARGET, name) for name in [*names, *hit]]
    return [actor.to_json() for actor in actors]


def _tags_as_typed(text: str | None) -> list[str]:
    """``"A; B"`` → ``["A", "B"]``, names kept as written (ACLED's list separator)."""
    return [part.strip() for part in (text or "").split(";") if part.strip()]


def _occurred(
    mapping: ColumnMapping, values: dict[str, str], record: dict[str, Any], problems: list[str]
) -> None:
    tz = values.get("tz") or mapping.tz
    if not is_zone(tz):
        problems.append(f"Time zone: {tz!r} is not an IANA time zone such as Asia/Baghdad")
        return
    precision: TimePrecision | None = None
    if values.get("time_precision"):
        try:
            precision = TimePrecision(TimePrecision.parse(values["time_precision"]))
        except ValueError as exc:
            problems.append(f"Time precision: {exc}")
    shown = values.get("occurred_as_shown") or ""
    if shown:
        precision = precision or _shown_precision(shown)
    approximate = (values.get("approximate") or "").casefold()
    if "~" in shown:
        approximate = "~"
    text = values.get("occurred")
    if not text:
        problems.append(f"{FIELD_LABELS['occurred']}: is required (no date in this row)")
        return
    try:
        moment = parse_when(
            text, mapping.date_format, tz, values.get("occurred_time", ""), precision,
            approximate in _TRUE or approximate.startswith("~") or "~" in approximate,
        )
    except (ValueError, OverflowError) as exc:
        problems.append(f"{FIELD_LABELS['occurred']}: {exc}")
        return
    record.update(
        occurred_at=moment.normalized().utc_text, time_precision=moment.precision.value,
        tz=moment.tz, approximate=moment.approximate,
    )


#: The forms of ``Moment.display``: 20 Jan 2024 18:30 Baghdad, 20 Jan 2024 18h Baghdad,
#: 20 Jan 2024, week 3 2024, Jan 2024, 2024 (each maybe with ~).
_SHOWN = (
    (re.compile(r"\d{1,2} \w+ \d{4} ~?\d{1,2}:\d{2}\b"), TimePrecision.MINUTE),
    (re.compile(r"\d{1,2} \w+ \d{4} ~?\d{1,2}h\b"), TimePrecision.HOUR),
    (re.compile(r"~?\d{1,2} \w+ \d{4}$"), TimePrecision.DAY),
    (re.compile(r"~?week \d{1,2} \d{4}$"), TimePrecision.WEEK),
    (re.compile(r"~?\w+ \d{4}$"), TimePrecision.MONTH),
    (re.compile(r"~?\d{4}$"), TimePrecision.YEAR),
)


def _shown_precision(text: str) -> TimePrecision | None:
    for pattern, precision in _SHOWN:
        if pattern.match(text.strip()):
            return precision
    return None


def _title(values: dict[str, str]) -> str | None:
    """A title made of the event type and the place, when the table has no title."""
    what = values.get("event_type") or values.get("weapons")
    where = values.get("place") or values.get("admin1") or values.get("country")
    if what and where:
        return f"{what} in {where}"
    first_line = (values.get("summary") or "").strip().split("\n", 1)[0]
    if first_line:
        return first_line if len(first_line) <= 120 else first_line[:119] + "…"
    return what or where


def _source(
    values: dict[str, str], uid: str, name: str, external: str | None, problems: list[str]
) -> dict[str, Any] | None:
    url, title, outlet = (values.get(k) or None for k in ("source_url", "source_title",
                                                          "source_outlet"))
    if not (url or title or outlet):
        return None
    if url and not re.match(r"^[Hh][Tt][Tt][Pp][Ss]?://", url):
        problems.append(f"{FIELD_LABELS['source_url']}: {url!r} is not a web address (http…)")
        url = None
    if title is None and url is None and external:
        title = f"{name} {external}"
    return {
        # One per row; sources of the file with the same address are merged by the import.
        "uid": str(uuid.uuid5(UID_NAMESPACE, f"source\x1f{uid}")),
        "kind": "article" if url else "report",
        "title": title,
        "url": url,
        "outlet": outlet,
    }


def _stable_uid(name: str, external: str | None, cells: Sequence[str]) -> str:
    key = f"{name}\x1fid\x1f{external}" if external else "\x1f".join([name, *cells])
    return str(uuid.uuid5(UID_NAMESPACE, key))


def _uid(text: str) -> str:
    lowered = text.strip().lower()
    if not _UUID.match(lowered):
        raise ValueError(f"{text!r} is not a UUID")
    return lowered


def _whole(text: str) -> int:
    number = float(text.replace(",", "")) if re.fullmatch(r"[\d,]+(\.0+)?", text) else None
    if number is None or not number.is_integer():
        raise ValueError(f"{text!r} is not a whole number")
    return int(number)


def _decimal(text: str) -> float:
    cleaned = text.replace(",", ".") if "." not in text and text.count(",") == 1 else text
    try:
        return float(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None


def _country(text: str) -> str:
    code = find_country(text)
    if code is None:
        raise ValueError(f"{text!r} is not a country (a name or an ISO code such as IQ)")
    return code


def _confidence(text: str) -> int:
    match = re.match(r"\s*([1-6])\b", text)
    if not match:
        raise ValueError(f"{text!r} is not a confidence from 1 to 6")
    return int(match.group(1))


def _count(text: str, qualifier: str) -> Count:
    count = Count.parse(text)
    if re.fullmatch(r"\s*\d+\s*", text) and count.value is not None:
        return Count(count.value, type(count.qualifier)(qualifier))
    return count


def _killed(text: str, qualifier: str) -> tuple[Count, Count]:
    return _count(text, qualifier), Count()


def _harm(text: str, qualifier: str) -> tuple[Count, Count]:
    """An injured cell: the total ("3-5", "at least 5") and, when the cell says
    so, how many seriously ("at least 5, one seriously")."""
    total, seriously = parse_injured(text)
    if seriously.known:
        return total, seriously
    return _count(text, qualifier), seriously


def _tags(text: str | None) -> list[str]:
    tags: list[str] = []
    for part in _TAG_SPLIT.split(text or ""):
        tag = part.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _checked_incident(record: dict[str, Any], problems: list[str]) -> Incident | None:
    problem = schema_problem("incident", record)
    if problem is not None:
        name, message = problem
        problems.append(f"{_field_label(name)}: {message}")
        return None
    try:
        incident, _links = incident_from_json(record)
    except BAD_RECORD as exc:
        problems.extend(_worded(exc))
        return None
    return incident


def _check_source(record: dict[str, Any], problems: list[str]) -> None:
    problem = schema_problem("source", record)
    if problem is not None:
        name, message = problem
        problems.append(f"Source {name or ''}: {message}".replace("  ", " "))
        return
    try:
        source_from_json(record)
    except BAD_RECORD as exc:
        problems.extend(f"Source {text}" for text in _worded(exc))


def _worded(exc: Exception) -> list[str]:
    if isinstance(exc, FieldError):
        return [f"{_field_label(exc.field)}: {exc.message}"]
    if isinstance(exc, ValidationError):
        return [f"{_field_label(name)}: {text}" for name, text in exc.fields.items()]
    return [str(exc)]


_JSON_TO_FIELD = {"occurred_at": "occurred", "time_precision": "time_precision"}


def _field_label(name: str | None) -> str:
    if not name:
        return "Row"
    base = name.split(".", 1)[0].split("[", 1)[0]
    base = _JSON_TO_FIELD.get(base, base)
    return FIELD_LABELS.get(base, base)
