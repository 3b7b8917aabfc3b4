"""Harm in detail across the formats: a total's range and its parts (docs/formats.md).

The exports stream an incident's harm-detail columns (``store.schema.HARM_COLUMNS``)
after its other fields; these functions turn those cells into the JSON's optional
properties and the CSV's columns, and the JSON's properties back into domain counts.
A record without detail gets no extra property, so its JSON reads as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from incidentlog.domain.enums import CountQualifier
from incidentlog.domain.records import Count, HarmSplit
from incidentlog.store.schema import HARM_COLUMNS

__all__ = [
    "CSV_COLUMNS",
    "HARM_COLUMNS",
    "csv_cells",
    "harm_from_json",
    "json_counts",
    "ranged_display",
]

_TOTALS = ("killed", "injured")
_PARTS: dict[str, tuple[str, ...]] = {
    "killed": HarmSplit.PARTS,
    "injured": (*HarmSplit.PARTS, "seriously"),
}

#: The CSV's harm columns, after its killed/injured texts (which stay as they were).
CSV_COLUMNS = tuple(
    name
    for total in _TOTALS
    for name in (f"{total}_low", f"{total}_best", f"{total}_high",
                 *(f"{total}_{part}" for part in _PARTS[total]))
)


def _cells(harm: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(HARM_COLUMNS, harm, strict=True))


def json_counts(
    killed: int | None, killed_qualifier: str, injured: int | None, injured_qualifier: str,
    harm: Sequence[Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``killed`` and ``injured`` objects of the JSON format; the optional ``low``,
    ``high`` and parts only where stored."""
    cells = _cells(harm) if any(cell is not None for cell in harm) else {}
    objects = []
    for total, value, qualifier in (("killed", killed, killed_qualifier),
                                    ("injured", injured, injured_qualifier)):
        counted: dict[str, Any] = {"value": value, "qualifier": qualifier}
        if cells:
            for end in ("low", "high"):
                if cells[f"{total}_{end}"] is not None:
                    counted[end] = cells[f"{total}_{end}"]
            for part in _PARTS[total]:
                part_qualifier = cells[f"{total}_{part}_qualifier"]
                if part_qualifier is not None:
                    counted[part] = {"value": cells[f"{total}_{part}"],
                                     "qualifier": part_qualifier}
        objects.append(counted)
    return objects[0], objects[1]


def _count(value: Mapping[str, Any] | None) -> Count:
    if value is None:
        return Count()
    return Count(value.get("value"), CountQualifier(value["qualifier"]),
                 value.get("low"), value.get("high"))


def harm_from_json(record: Mapping[str, Any]) -> dict[str, Any]:
    """The harm fields of a domain ``Incident`` from a schema-valid JSON incident."""
    found: dict[str, Any] = {}
    for total in _TOTALS:
        counted = record.get(total)
        found[total] = _count(counted)
        parts = counted or {}
        found[f"{total}_split"] = HarmSplit(*(_count(parts.get(p)) for p in HarmSplit.PARTS))
    found["injured_seriously"] = _count((record.get("injured") or {}).get("seriously"))
    return found


def csv_cells(
    killed: int | None, killed_qualifier: str, injured: int | None, injured_qualifier: str,
    harm: Sequence[Any],
) -> list[str]:
    """The ``CSV_COLUMNS`` cells: low, best and high as numbers (empty when unknown; the
    low end of "at least 5" is 5 and its high end empty), each part as written in the
    killed/injured columns ("at least 1")."""
    cells = _cells(harm)
    out: list[str] = []
    for total, value, qualifier in (("killed", killed, killed_qualifier),
                                    ("injured", injured, injured_qualifier)):
        count = Count(value, CountQualifier(qualifier),
                      cells[f"{total}_low"], cells[f"{total}_high"])
        out += [_number(count.lower), _number(count.value if count.known else None),
                _number(count.upper)]
        for part in _PARTS[total]:
            part_qualifier = cells[f"{total}_{part}_qualifier"]
            out.append("" if part_qualifier is None else
                       Count(cells[f"{total}_{part}"], CountQualifier(part_qualifier)).display())
    return out


_ENDS = {total: (HARM_COLUMNS.index(f"{total}_low"), HARM_COLUMNS.index(f"{total}_high"))
         for total in _TOTALS}


def ranged_display(total: str, value: int | None, qualifier: str,
                   harm: Sequence[Any]) -> str | None:
    """``Count.display()`` of a total that has a range ("3–5"); None when it has none (the
    caller's faster text applies)."""
    low_at, high_at = _ENDS[total]
    low, high = harm[low_at], harm[high_at]
    if low is None and high is None:
        return None
    return Count(value, CountQualifier(qualifier), low, high).display()


def _number(value: int | None) -> str:
    return "" if value is None else str(value)
