"""An export in ACLED's column layout, for analysts who combine incidentlog's data with ACLED's.

One row per incident, the columns of ``builtin.ACLED_COLUMNS`` in ACLED's order,
UTF-8 without a byte order mark (read by scripts that expect ACLED's own files).
Where the two models differ (docs/formats.md, "ACLED"): our event type is written
as ``sub_event_type`` and ACLED's ``event_type`` is the one that sub-event type
belongs to (empty for a type of our own); time and location precision become
ACLED's codes (an hour or a minute is a known day, 1; a year only a month, 3);
a count that is unknown is written 0, as ACLED does when no count is reported;
ACLED's classifications we do not keep (disorder type, interaction codes, admin2/3,
source scale) are left empty. The actors make the two sides (``_sides``): actor1 and
its associated actors the perpetrators and claimants, actor2 and its associated
actors the targets and victims.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from incidentlog.domain.actors import RESPONSIBLE_ROLES, ActorRole, IncidentActor
from incidentlog.domain.columns import LIST_SEPARATOR, number_text
from incidentlog.domain.countries import country_name
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.when import Moment
from incidentlog.exchange.csv.columns import csv_text
from incidentlog.exchange.files import atomic_file
from incidentlog.exchange.reports import Cancel, ExportReport, Progress, Ticker
from incidentlog.exchange.scope import IncidentBatch, Scope
from incidentlog.exchange.tabular.builtin import ACLED_COLUMNS
from incidentlog.services import Services

__all__ = ["ACLED_EVENT_TYPES", "export_acled"]

#: ACLED's sub-event types, by the event type each belongs to (ACLED's codebook).
ACLED_EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "Battles": ("Armed clash", "Government regains territory",
                "Non-state actor overtakes territory"),
    "Explosions/Remote violence": ("Chemical weapon", "Air/drone strike", "Suicide bomb",
                                   "Shelling/artillery/missile attack",
                                   "Remote explosive/landmine/IED", "Grenade"),
    "Violence against civilians": ("Sexual violence", "Attack",
                                   "Abduction/forced disappearance"),
    "Protests": ("Peaceful protest", "Protest with intervention",
                 "Excessive force against protesters"),
    "Riots": ("Violent demonstration", "Mob violence"),
    "Strategic developments": ("Agreement", "Arrests", "Change to group/activity",
                               "Disrupted weapons use", "Headquarters or base established",
                               "Looting/property destruction",
                               "Non-violent transfer of territory", "Other"),
}
_EVENT_TYPE_OF = {sub.casefold(): event for event, subs in ACLED_EVENT_TYPES.items()
                  for sub in subs}
_EVENT_TYPES = {event.casefold(): event for event in ACLED_EVENT_TYPES}
_TIME_CODE = {"minute": "1", "hour": "1", "day": "1", "week": "2", "month": "3", "year": "3"}
_GEO_CODE = {"site": "1", "near": "2", "region": "3", "country": "3"}
#: The roles of ACLED's second side.
_HIT = (ActorRole.TARGET, ActorRole.VICTIM)


def export_acled(
    services: Services,
    target: Path,
    flt: IncidentFilter | None = None,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ExportReport:
    """Write the incidents of ``flt`` (all when None) to ``target`` in ACLED's layout."""
    database = services.database
    scope = Scope(flt, database.backend)
    ticker = Ticker(progress, cancel)
    ticker.check()
    with (
        database.read() as connection,
        atomic_file(Path(target), binary=False, encoding="utf-8") as handle,
    ):
        counts = scope.counts(connection)
        ticker.total = counts.incidents
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(ACLED_COLUMNS)
        for rows in _rows(scope.incidents(connection)):
            writer.writerows(rows)
            ticker.step(len(rows))
        ticker.check()
    ticker.done = ticker.total
    ticker.report()
    return ExportReport(Path(target), counts.incidents, 0, 0)


def _rows(batches: Iterable[IncidentBatch]) -> Iterator[list[list[str]]]:
    for batch in batches:
        yield [_row(row, batch.tags.get(row[0]) or [], batch.links.get(row[0]) or [],
                    batch.actors.get(row[0], ()))
               for row in batch.rows]


def _sides(
    actors: Sequence[IncidentActor], perpetrator: str | None, target: str | None
) -> tuple[str, list[str], str, list[str]]:
    """ACLED's two sides from the actors: actor1 the first perpetrator or claimant (our
    perpetrator column), its associated actors the others; actor2 the first target or
    victim (the target text when none is named), its associated actors the others."""
    first = [a.actor for a in actors if a.role in RESPONSIBLE_ROLES and a.actor]
    second = [a.actor for a in actors if a.role in _HIT and a.actor]
    actor1 = perpetrator or (first[0] if first else "")
    actor2 = second[0] if second else (target or "")
    return (actor1, [name for name in first if name != actor1], actor2,
            [name for name in second if name != actor2])


def _row(row: tuple[Any, ...], tags: list[str], links: list[Any],
         actors: Sequence[IncidentActor] = ()) -> list[str]:
    (_id, uid, _version, _created_at, _created_by, updated_at, _updated_by,
     ref, _title, summary, occurred_at, time_precision, tz, approximate,
     place, admin1, country, latitude, longitude, geo_precision, event_type, _weapons,
     _launched, _intercepted, perpetrator, _attribution, target,
     killed, _killed_qualifier, _injured, _injured_qualifier, _status, _confidence, *_harm) = row
    local = Moment.from_stored(occurred_at, time_precision, tz, bool(approximate)).local()
    sub_event = event_type or ""
    acled_type = _EVENT_TYPE_OF.get(sub_event.casefold(), "")
    other_tags = []
    for tag in tags:
        if tag.casefold() in _EVENT_TYPES and not acled_type:
            acled_type = _EVENT_TYPES[tag.casefold()]
        elif tag.casefold() not in _EVENT_TYPES:
            other_tags.append(tag)
    sources = LIST_SEPARATOR.join(link[2] or link[3] or "" for link in links)
    actor1, assoc1, actor2, assoc2 = _sides(actors, perpetrator, target)
    cells = {
        "event_id_cnty": ref or uid,
        "event_date": local.strftime("%Y-%m-%d"),
        "year": str(local.year),
        "time_precision": _TIME_CODE.get(time_precision, "1"),
        "event_type": acled_type,
        "sub_event_type": csv_text(sub_event),
        "actor1": csv_text(actor1),
        "assoc_actor_1": csv_text(LIST_SEPARATOR.join(assoc1)),
        "actor2": csv_text(actor2),
        "assoc_actor_2": csv_text(LIST_SEPARATOR.join(assoc2)),
        "iso": _iso_numeric(country),
        "country": country_name(country) if country else "",
        "admin1": csv_text(admin1 or ""),
        "location": csv_text(place or ""),
        "latitude": number_text(latitude),
        "longitude": number_text(longitude),
        "geo_precision": _GEO_CODE.get(geo_precision or "", ""),
        "source": csv_text(sources),
        "notes": csv_text(summary or ""),
        "fatalities": str(killed or 0),
        "tags": csv_text(LIST_SEPARATOR.join(other_tags)),
        "timestamp": _epoch(updated_at),
    }
    return [cells.get(column, "") for column in ACLED_COLUMNS]


def _iso_numeric(code: str | None) -> str:
    if not code:
        return ""
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    return str(int(country.numeric)) if country is not None else ""


def _epoch(stamp: str | None) -> str:
    if not stamp:
        return ""
    return str(int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()))
