"""Dates and times as tables write them, read in the mapping's time zone at their precision.

``auto`` reads ISO 8601 (``2024-01-20``, ``2024-01-20 18:30``, ``2024-01-20T18:30+03:00``,
``2024-W03``, ``2024-01``, ``2024``) and the common written forms, day first
(``20/01/2024``, ``20.01.2024``, ``20 January 2024``, ``January 20, 2024``); a file
written month first needs the format ``%m/%d/%Y``, which ``guess_date_format`` picks
when a day above 12 shows it. Any ``strptime`` format can be given; the precision
follows from what it holds (minutes, hours, a day, a month, a year). Eastern Arabic
digits (٠١٢…, ۰۱۲…) are read as digits. A leading ``~`` marks the date approximate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from incidentlog.domain.enums import TimePrecision
from incidentlog.domain.when import Moment, parse_local, zone

__all__ = ["DATE_FORMATS", "guess_date_format", "parse_when", "precision_of_format"]

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

#: ISO 8601 with a UTC offset (or Z): the instant is exact, the zone only says local time.
_OFFSET = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})$"
)

#: The written forms ``auto`` tries after ISO 8601, day first; with their precision.
DATE_FORMATS: tuple[tuple[str, TimePrecision], ...] = (
    ("%d/%m/%Y %H:%M", TimePrecision.MINUTE),
    ("%d/%m/%Y", TimePrecision.DAY),
    ("%d.%m.%Y %H:%M", TimePrecision.MINUTE),
    ("%d.%m.%Y", TimePrecision.DAY),
    ("%d-%m-%Y", TimePrecision.DAY),
    ("%Y/%m/%d %H:%M", TimePrecision.MINUTE),
    ("%Y/%m/%d", TimePrecision.DAY),
    ("%d %B %Y", TimePrecision.DAY),
    ("%d %b %Y", TimePrecision.DAY),
    ("%d-%b-%Y", TimePrecision.DAY),
    ("%B %d, %Y", TimePrecision.DAY),
    ("%b %d, %Y", TimePrecision.DAY),
    ("%B %Y", TimePrecision.MONTH),
    ("%b %Y", TimePrecision.MONTH),
)


def precision_of_format(date_format: str) -> TimePrecision:
    """What a ``strptime`` format can say: ``%d/%m/%Y`` a day, ``%Y-%m-%d %H:%M`` a minute."""
    for directives, precision in (
        (("%M", "%R", "%T", "%X", "%c"), TimePrecision.MINUTE),
        (("%H", "%I"), TimePrecision.HOUR),
        (("%d", "%j", "%x", "%F"), TimePrecision.DAY),
        (("%m", "%b", "%B"), TimePrecision.MONTH),
    ):
        if any(directive in date_format for directive in directives):
            return precision
    return TimePrecision.YEAR


def parse_when(
    text: str,
    date_format: str = "auto",
    tz: str = "UTC",
    time_text: str = "",
    precision: TimePrecision | None = None,
    approximate: bool = False,
) -> Moment:
    """The moment a cell (and a time-of-day cell) gives; ``ValueError`` says why not."""
    raw = text.strip().translate(_DIGITS)
    if raw.startswith("~"):
        approximate, raw = True, raw[1:].strip()
    clock = time_text.strip().translate(_DIGITS)
    if clock:
        raw = f"{raw} {clock}"
    zone(tz)
    offset = _OFFSET.match(raw)
    if offset and date_format == "auto":
        moment = _with_offset(offset, tz)
    elif date_format == "auto":
        moment = _auto(raw, tz)
    else:
        moment = _formatted(raw, date_format, tz, bool(clock))
    if precision is not None and precision is not moment.precision:
        moment = Moment.from_local(moment.local().replace(tzinfo=None), precision, tz)
    if approximate:
        moment = Moment(moment.utc, moment.precision, moment.tz, True)
    return moment


def _with_offset(match: re.Match[str], tz: str) -> Moment:
    day, clock, offset = match.groups()
    instant = datetime.fromisoformat(f"{day}T{clock}")
    if offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        instant -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    utc = instant.replace(tzinfo=zone("UTC"))
    wall = utc.astimezone(zone(tz)).replace(tzinfo=None)
    return Moment.from_local(wall, TimePrecision.MINUTE, tz)


def _auto(raw: str, tz: str) -> Moment:
    try:
        return parse_local(raw.replace("T", " ", 1) if "T" in raw[:11] else raw, tz)
    except ValueError:
        pass
    for date_format, precision in DATE_FORMATS:
        try:
            wall = datetime.strptime(raw, date_format)
        except ValueError:
            continue
        return _local(wall, precision, tz, raw)
    raise ValueError(
        f"{raw!r} is not a date this mapping reads; write 2024-01-20 (or 20/01/2024), "
        "or set the date format"
    )


def _formatted(raw: str, date_format: str, tz: str, clock: bool) -> Moment:
    full = f"{date_format} %H:%M" if clock and "%H" not in date_format else date_format
    try:
        wall = datetime.strptime(raw, full)
    except ValueError:
        raise ValueError(f"{raw!r} does not have the date format {full}") from None
    return _local(wall, precision_of_format(full), tz, raw)


def _local(wall: datetime, precision: TimePrecision, tz: str, raw: str) -> Moment:
    try:
        return Moment.from_local(wall, precision, tz)
    except OverflowError:
        raise ValueError(f"{raw!r} is outside the dates incidentlog can store") from None


_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def guess_date_format(samples: Iterable[str]) -> str:
    """``%m/%d/%Y`` when a file writes the month first (a second number above 12 and
    never a first one), else ``auto``."""
    month_first = day_first = False
    for sample in samples:
        match = _SLASHED.match(sample.strip().translate(_DIGITS))
        if not match:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        day_first |= first > 12
        month_first |= second > 12
    if month_first and not day_first:
        return "%m/%d/%Y"
    return "auto"


def looks_like_date(text: str) -> bool:
    try:
        parse_when(text)
    except (ValueError, OverflowError):
        return False
    return True
