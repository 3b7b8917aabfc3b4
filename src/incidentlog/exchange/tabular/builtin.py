"""The mappings incidentlog knows by name: its own CSV export, and ACLED's export.

``incidentlog``: the ``incidents.csv`` of ``incidentlog export --format csv`` imports
back with its uids, refs, versions and stamps (the cited sources are named there by
title only, so citations travel in JSON, not CSV). ``acled``: ACLED's event export
(docs/formats.md, "ACLED", says how its codes become ours and what differs).
"""

from __future__ import annotations

from collections.abc import Sequence

from incidentlog.exchange.tabular.mapping import FIELD_LABELS, ColumnMapping

__all__ = ["ACLED_COLUMNS", "BUILTIN_MAPPINGS", "builtin_for_header", "builtin_mapping"]

_INCIDENTLOG = ColumnMapping(
    name="incidentlog",
    columns={
        "Ref": "ref",
        "Occurred": "occurred_as_shown",
        "Occurred (local time)": "occurred",
        "Occurred time zone": "tz",
        "Title": "title",
        "Place": "place",
        "Province": "admin1",
        "Country": "country",
        "Event type": "event_type",
        "Weapons": "weapons",
        "Launched": "launched",
        "Intercepted": "intercepted",
        "Perpetrator": "perpetrator",
        "Attribution": "attribution",
        "Target": "target",
        "Killed": "killed",
        "Injured": "injured",
        **{label: name for name, label in FIELD_LABELS.items()
           if name.startswith(("killed_", "injured_"))},
        "Status": "status",
        "Confidence": "confidence",
        "Tags": "tags",
        "Summary": "summary",
        "Latitude": "latitude",
        "Longitude": "longitude",
        "Location precision": "geo_precision",
        "UID": "uid",
        "Version": "version",
        "Created (UTC)": "created_at",
        "Created by": "created_by",
        "Updated (UTC)": "updated_at",
        "Updated by": "updated_by",
    },
    unquote_formulas=True,
)

#: ACLED's export columns, in its published order (the layout of ``export_acled``).
ACLED_COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2",
    "inter2", "interaction", "civilian_targeting", "iso", "region", "country", "admin1",
    "admin2", "admin3", "location", "latitude", "longitude", "geo_precision", "source",
    "source_scale", "notes", "fatalities", "tags", "timestamp",
)

#: ACLED's time_precision: 1 the day is known, 2 the week, 3 only the month.
ACLED_TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
#: ACLED's geo_precision: 1 the place itself, 2 near it (a part of a region), 3 a region.
ACLED_GEO_PRECISION = {"1": "site", "2": "near", "3": "region"}

_ACLED = ColumnMapping(
    name="ACLED",
    columns={
        "event_id_cnty": "external_id",
        "event_date": "occurred",
        "time_precision": "time_precision",
        "event_type": "tags",
        "sub_event_type": "event_type",
        "actor1": "perpetrator",
        "assoc_actor_1": "associated_perpetrators",
        "actor2": "target",
        "assoc_actor_2": "associated_targets",
        "country": "country",
        "admin1": "admin1",
        "location": "place",
        "latitude": "latitude",
        "longitude": "longitude",
        "geo_precision": "geo_precision",
        "source": "source_outlet",
        "notes": "summary",
        "fatalities": "killed",
    },
    values={"time_precision": ACLED_TIME_PRECISION, "geo_precision": ACLED_GEO_PRECISION},
    # ACLED names actor1 as the one who acted: its attribution, not a claim.
    defaults={"attribution": "attributed"},
    # ACLED codes the most conservative count reported.
    count_qualifier="at_least",
)

BUILTIN_MAPPINGS: dict[str, ColumnMapping] = {"incidentlog": _INCIDENTLOG, "acled": _ACLED}


def builtin_mapping(name: str) -> ColumnMapping | None:
    return BUILTIN_MAPPINGS.get(name.strip().casefold())


def builtin_for_header(header: Sequence[str]) -> ColumnMapping | None:
    """The built-in mapping whose columns a file's header has (most of them), if any."""
    present = set(header)
    for mapping in BUILTIN_MAPPINGS.values():
        needed = set(mapping.columns)
        if len(needed & present) >= 0.8 * len(needed):
            return mapping
    return None
