"""Instants with a precision and the local time zone the report used.

"About 6:30 p.m. Baghdad time, Jan. 20" is ``Moment(2024-01-20 15:30 UTC,
MINUTE, "Asia/Baghdad", approximate=True)``. A moment stands for an interval:
the minute, hour, day, ISO week, month or year that contains it, in its local
time zone. That interval is what a date filter matches and what the timeline
draws.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import available_timezones

from incidentlog.domain import calendar
from incidentlog.domain.calendar import zone as zone
from incidentlog.domain.enums import TimePrecision

ISO_UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@lru_cache(maxsize=1)
def all_zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def is_zone(name: str) -> bool:
    try:
        zone(name)
    except ValueError:
        return False
    return True


def to_utc_text(instant: datetime) -> str:
    """Aware datetime → ``2024-01-20T15:30:00Z`` (the stored and exported form)."""
    if instant.tzinfo is None:
        raise ValueError("a naive datetime has no time zone")
    utc = instant.astimezone(UTC)
    # Four digits always: the C library's %Y writes year 999 as "999", which is neither
    # sortable text nor ISO 8601 (a year-1000 report east of UTC is in 999 in UTC).
    return (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
            f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z")


def from_utc_text(text: str) -> datetime:
    """``2024-01-20T15:30:00Z`` (or any ISO 8601 with offset) → aware UTC datetime."""
    value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone offset (append Z for UTC)")
    return value.astimezone(UTC).replace(microsecond=0)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class Moment:
    """The earliest instant of an interval, its precision and local time zone."""

    utc: datetime
    precision: TimePrecision = TimePrecision.MINUTE
    tz: str = "UTC"
    approximate: bool = False

    def __post_init__(self) -> None:
        if self.utc.tzinfo is None:
            raise ValueError("Moment.utc must be timezone-aware")
        zone(self.tz)

    @classmethod
    def from_local(
        cls,
        wall: datetime,
        precision: TimePrecision,
        tz: str = "UTC",
        approximate: bool = False,
    ) -> Moment:
        """From the local wall time a report gave, truncated to its precision."""
        start = calendar.floor(wall.replace(tzinfo=None), precision.value)
        return cls(calendar.to_utc(start, tz), precision, tz, approximate)

    @classmethod
    def from_stored(
        cls, utc_text: str, precision: str, tz: str | None, approximate: bool = False
    ) -> Moment:
        return cls(from_utc_text(utc_text), TimePrecision(precision), tz or "UTC", approximate)

    @property
    def utc_text(self) -> str:
        return to_utc_text(self.utc)

    def local(self) -> datetime:
        return self.utc.astimezone(zone(self.tz))

    def interval(self) -> tuple[datetime, datetime]:
        """[start, end) in UTC of what this moment stands for (see ``calendar.span``)."""
        return calendar.span(self.utc, self.precision.value, 1, self.tz)

    def normalized(self) -> Moment:
        """The same moment with ``utc`` moved to the start of its interval."""
        start, _ = self.interval()
        return Moment(start, self.precision, self.tz, self.approximate)

    def local_text(self) -> str:
        """ISO 8601 local time as precise as the precision, e.g. ``2024-01-20T18:30+03:00``."""
        local = self.local()
        offset = local.strftime("%z")
        offset = f"{offset[:3]}:{offset[3:]}" if offset else ""
        match self.precision:
            case TimePrecision.MINUTE:
                return local.strftime("%Y-%m-%dT%H:%M") + offset
            case TimePrecision.HOUR:
                return local.strftime("%Y-%m-%dT%H:00") + offset
            case TimePrecision.DAY:
                return local.strftime("%Y-%m-%d")
            case TimePrecision.WEEK:
                year, week, _ = local.isocalendar()
                return f"{year}-W{week:02d}"
            case TimePrecision.MONTH:
                return local.strftime("%Y-%m")
        return local.strftime("%Y")

    def display(self, with_zone: bool = True) -> str:
        """What a person reads: ``20 Jan 2024 ~18:30 Baghdad``."""
        local = self.local()
        about = "~" if self.approximate else ""
        match self.precision:
            case TimePrecision.MINUTE:
                text = f"{local.day} {local:%b %Y} {about}{local:%H:%M}"
            case TimePrecision.HOUR:
                text = f"{local.day} {local:%b %Y} {about}{local:%H}h"
            case TimePrecision.DAY:
                text = f"{about}{local.day} {local:%b %Y}"
            case TimePrecision.WEEK:
                year, week, _ = local.isocalendar()
                text = f"{about}week {week} {year}"
            case TimePrecision.MONTH:
                text = f"{about}{local:%b %Y}"
            case _:
                text = f"{about}{local:%Y}"
        if with_zone and self.precision in (TimePrecision.MINUTE, TimePrecision.HOUR):
            text += f" {zone_label(self.tz)}"
        return text


def zone_label(tz: str) -> str:
    """``Asia/Baghdad`` → ``Baghdad``; ``UTC`` stays."""
    return tz.rsplit("/", 1)[-1].replace("_", " ")


_DATE_PATTERNS: tuple[tuple[re.Pattern[str], TimePrecision], ...] = (
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::\d{2})?$"), TimePrecision.MINUTE),
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2})h?$"), TimePrecision.HOUR),
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), TimePrecision.DAY),
    (re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE), TimePrecision.WEEK),
    (re.compile(r"^(\d{4})-(\d{2})$"), TimePrecision.MONTH),
    (re.compile(r"^(\d{4})$"), TimePrecision.YEAR),
)


def parse_local(text: str, tz: str = "UTC", approximate: bool = False) -> Moment:
    """Parse ``2024-01-20 18:30``, ``2024-01-20``, ``2024-W03``, ``2024-01`` or ``2024``.

    The precision follows from how much was written; the wall time is in ``tz``.
    A leading ``~`` marks the moment approximate. Raises ``ValueError`` saying
    what form is expected.
    """
    raw = text.strip()
    if raw.startswith("~"):
        approximate, raw = True, raw[1:].strip()
    for pattern, precision in _DATE_PATTERNS:
        match = pattern.match(raw)
        if not match:
            continue
        parts = [int(p) for p in match.groups()]
        try:
            if precision is TimePrecision.WEEK:
                wall = datetime.fromisocalendar(parts[0], parts[1], 1)
            else:
                year, month, day = [*parts[:3], 1, 1][:3]  # month and day default to 1
                hour, minute = [*parts[3:], 0, 0][:2]
                wall = datetime(year, month, day, hour, minute)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a real date: {exc}") from exc
        try:
            return Moment.from_local(wall, precision, tz, approximate)
        except OverflowError as exc:  # the zone's offset pushes it past year 1 or 9999
            raise ValueError(f"{text!r} is outside the dates incidentlog can store") from exc
    raise ValueError(
        f"{text!r} is not a date; write 2024-01-20 18:30, 2024-01-20, 2024-W03, 2024-01 or 2024"
    )
