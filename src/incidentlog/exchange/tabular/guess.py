"""A mapping guessed from a table's header (English and Arabic names) and its first rows.

A built-in layout (incidentlog's CSV, ACLED) is recognised by its header. Otherwise
each header is compared, folded (case, ``_``/``-``, Arabic's definite article ال and
its letter variants), with the names people give each field; a column no name
matches is judged by its content: dates, ISO country codes, web addresses, and
decimal numbers within the range of a latitude or longitude. The guess is a start
for the user to correct, never applied without the preview.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from incidentlog.domain.countries import is_country_code
from incidentlog.exchange.tabular.builtin import builtin_for_header
from incidentlog.exchange.tabular.dates import guess_date_format, looks_like_date
from incidentlog.exchange.tabular.mapping import MULTI_FIELDS, ColumnMapping

__all__ = ["guess_from_content", "guess_mapping", "header_field"]

#: The names people give each field, folded (see ``_fold``).
_NAMES: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline", "subject", "name", "عنوان", "موضوع"),
    "summary": ("summary", "description", "details", "notes", "note", "narrative",
                "ملخص", "وصف", "تفاصيل", "ملاحظات"),
    "occurred": ("date", "event date", "occurred", "when", "datetime", "date time",
                 "incident date", "تاريخ", "تاريخ الحادث", "التاريخ والوقت"),
    "occurred_time": ("time", "hour", "time of day", "وقت", "ساعة"),
    "time_precision": ("time precision", "precision", "دقة الوقت"),
    "tz": ("time zone", "timezone", "tz", "zone", "منطقة زمنية"),
    "ref": ("ref", "reference", "id", "incident id", "رقم", "مرجع"),
    "place": ("place", "location", "town", "city", "village", "site", "مكان", "موقع",
              "مدينة", "بلدة", "قرية"),
    "admin1": ("province", "governorate", "admin1", "state", "region", "محافظة", "ولاية",
               "منطقة"),
    "country": ("country", "country code", "iso", "بلد", "دولة"),
    "latitude": ("lat", "latitude", "خط عرض", "عرض"),
    "longitude": ("lon", "lng", "long", "longitude", "خط طول", "طول"),
    "geo_precision": ("geo precision", "location precision", "دقة الموقع"),
    "event_type": ("type", "event type", "category", "incident type", "نوع", "نوع الحادث",
                   "تصنيف"),
    "weapons": ("weapon", "weapons", "munition", "munitions", "سلاح", "أسلحة", "اسلحة"),
    "launched": ("launched", "fired", "أطلق", "اطلق", "عدد المقذوفات"),
    "intercepted": ("intercepted", "shot down", "اعترض", "تم اعتراضه"),
    "perpetrator": ("perpetrator", "actor", "actor1", "attacker", "responsible", "فاعل",
                    "جهة منفذة", "منفذ"),
    "attribution": ("attribution", "claim", "إسناد", "اسناد"),
    "target": ("target", "victim", "هدف", "مستهدف"),
    "killed": ("killed", "dead", "deaths", "fatalities", "قتلى", "قتلي", "وفيات", "ضحايا",
               "شهداء"),
    "injured": ("injured", "wounded", "casualties injured", "جرحى", "جرحي", "مصابين",
                "إصابات", "اصابات"),
    "status": ("status", "حالة"),
    "confidence": ("confidence", "credibility", "ثقة", "مصداقية"),
    "tags": ("tags", "tag", "keywords", "labels", "وسوم", "كلمات مفتاحية"),
    "source_url": ("url", "link", "source url", "source link", "رابط", "رابط المصدر"),
    "source_title": ("source title", "article", "عنوان المصدر"),
    "source_outlet": ("source", "outlet", "media", "publisher", "مصدر", "وسيلة إعلام"),
    "uid": ("uid", "uuid"),
}


def _fold(text: str) -> str:
    """Lower case, separators as spaces, Arabic folded: أإآ→ا, ة→ه, ى→ي, the article ال off."""
    text = re.sub(r"[_\-./:]+", " ", text.casefold()).strip()
    text = text.translate(str.maketrans("أإآةى", "اااهي"))
    text = re.sub(r"[\u064B-\u0652\u0640]", "", text)  # short vowels, tatweel
    words = [word[2:] if word.startswith("ال") and len(word) > 3 else word
             for word in text.split()]
    return " ".join(words)


_INDEX = {_fold(name): target for target, names in _NAMES.items() for name in names}


def header_field(header: str) -> str | None:
    """The field a column's header names, if any."""
    return _INDEX.get(_fold(header))


def guess_mapping(header: Sequence[str], sample: Sequence[Sequence[str]]) -> ColumnMapping:
    """The mapping for a table with this header and these first rows (see the module doc)."""
    builtin = builtin_for_header(header)
    if builtin is not None:
        return builtin
    columns: dict[str, str] = {}
    taken: set[str] = set()
    for name in header:
        target = header_field(name)
        if name and target and name not in columns and (
            target not in taken or target in MULTI_FIELDS
        ):
            columns[name] = target
            taken.add(target)
    for position, name in enumerate(header):
        if not name or name in columns:
            continue
        values = [row[position].strip() for row in sample
                  if position < len(row) and row[position].strip()]
        target = guess_from_content(values, taken)
        if target is not None:
            columns[name] = target
            taken.add(target)
    mapping = ColumnMapping(columns=columns)
    dates = [name for name, target in columns.items() if target == "occurred"]
    if dates:
        position = list(header).index(dates[0])
        mapping = replace(mapping, date_format=guess_date_format(
            row[position] for row in sample if position < len(row)
        ))
    return mapping


_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
_DECIMAL = re.compile(r"^-?\d{1,3}\.\d{3,}$")


def guess_from_content(values: Sequence[str], taken: set[str]) -> str | None:
    """The field most of a column's values look like (at least 80%), if not ``taken``."""
    if not values:
        return None

    def most(test: Callable[[str], bool]) -> bool:
        return sum(1 for value in values if test(value)) >= 0.8 * len(values)

    candidates: tuple[tuple[str, Callable[[str], bool]], ...] = (
        ("source_url", lambda v: bool(_URL.match(v))),
        ("country", is_country_code),
        ("occurred", looks_like_date),
        ("latitude", lambda v: bool(_DECIMAL.match(v)) and abs(float(v)) <= 90),
        ("longitude", lambda v: bool(_DECIMAL.match(v)) and abs(float(v)) <= 180),
    )
    for target, test in candidates:
        if target not in taken and most(test):
            return target
    return None
