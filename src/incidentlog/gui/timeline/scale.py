"""Time ↔ pixels, and the ticks of the time axis.

The timeline keeps its own horizontal mapping instead of scaling the graphics
view: zooming from seven years to one minute is a factor of four million, and
a scaled ``QGraphicsView`` would scale the marks, the text and the row heights
with it. Here x = (t − t0) / seconds per pixel, marks keep their size, and the
scene is only as wide as the viewport.

Ticks are calendar ticks in the chosen IANA time zone (a day is 23 or 25 hours
on a daylight-saving change), their labels in the user's locale.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice

from PySide6.QtCore import QCoreApplication, QLocale

from incidentlog.domain import calendar
from incidentlog.domain.calendar import Step, finest_step

#: Zoom limits: a minute across 120 px, a century across the view.
MIN_SECONDS_PER_PIXEL = 0.5
MAX_SECONDS_PER_PIXEL = 100 * 365.25 * 86_400 / 300

#: Tick steps from the finest (the calendar's units and nominal lengths).
TICK_STEPS: tuple[Step, ...] = (
    Step("minute", 1), Step("minute", 5), Step("minute", 15), Step("minute", 30),
    Step("hour", 1), Step("hour", 3), Step("hour", 6), Step("hour", 12),
    Step("day", 1), Step("day", 2), Step("week", 1),
    Step("month", 1), Step("month", 3), Step("month", 6),
    Step("year", 1), Step("year", 2), Step("year", 5), Step("year", 10), Step("year", 25),
    Step("year", 50),
)
#: The unit of the upper axis row (the context of the lower one).
MAJOR_UNIT = {"minute": "day", "hour": "day", "day": "month", "week": "month", "month": "year",
              "year": None}


@dataclass
class TimeScale:
    """x = (t − t0) / spp, t in POSIX seconds."""

    t0: float = 0.0
    spp: float = 86_400.0  # seconds per pixel

    def x(self, t: float) -> float:
        return (t - self.t0) / self.spp

    def t(self, x: float) -> float:
        return self.t0 + x * self.spp

    def x_of(self, instant: datetime) -> float:
        return self.x(instant.timestamp())

    def zoom(self, factor: float, anchor_x: float) -> None:
        """Zoom by ``factor`` (< 1 zooms in) keeping the instant under ``anchor_x`` there."""
        anchor = self.t(anchor_x)
        self.spp = min(max(self.spp * factor, MIN_SECONDS_PER_PIXEL), MAX_SECONDS_PER_PIXEL)
        self.t0 = anchor - anchor_x * self.spp

    def fit(self, start: float, end: float, width: float, margin: float = 0.04) -> None:
        """Show [start, end) across ``width`` pixels with a margin on both sides."""
        span = max(end - start, 60.0)
        width = max(width, 50.0)
        self.spp = min(max(span * (1 + 2 * margin) / width, MIN_SECONDS_PER_PIXEL),
                       MAX_SECONDS_PER_PIXEL)
        self.t0 = (start + end) / 2 - width / 2 * self.spp

    def pan(self, dx: float) -> None:
        """Move the content ``dx`` pixels to the right (the window to the left)."""
        self.t0 -= dx * self.spp

    def center_on(self, t: float, width: float) -> None:
        self.t0 = t - width / 2 * self.spp


@dataclass(frozen=True, slots=True)
class Tick:
    t: float
    label: str


def tick_step(spp: float, min_pixels: float = 64.0) -> Step:
    """The finest step whose ticks are at least ``min_pixels`` apart."""
    return finest_step(TICK_STEPS, spp, min_pixels)


#: The earliest instant the axis looks at (about the year 5: before it, nothing to mark).
_EARLIEST = -62_000_000_000


def ticks_between(start: float, end: float, unit: str, count: int, tz: str,
                  limit: int = 2_000) -> Iterator[tuple[datetime, float]]:
    """(local wall time, POSIX seconds) of each tick of a step over [start, end]: the
    calendar's steps in ``tz`` (domain/calendar.py), so a tick the clock skips on a
    daylight-saving change sits where the clock jumps, and a repeated hour has its
    minutes twice."""
    first = datetime.fromtimestamp(max(start, _EARLIEST), UTC)
    for wall, begin in islice(calendar.steps(first, unit, count, tz), limit):
        instant = begin.timestamp()
        if instant > end:
            return
        yield wall, instant


def minor_label(wall: datetime, unit: str, locale: QLocale) -> str:
    if unit in ("minute", "hour"):
        return f"{wall:%H:%M}"
    if unit in ("day", "week"):
        day_name = locale.dayName(wall.isoweekday(), QLocale.FormatType.ShortFormat)
        return f"{day_name} {wall.day}"
    if unit == "month":
        return locale.monthName(wall.month, QLocale.FormatType.ShortFormat)
    return str(wall.year)


def major_label(wall: datetime, unit: str, locale: QLocale) -> str:
    if unit == "day":
        day_name = locale.dayName(wall.isoweekday(), QLocale.FormatType.ShortFormat)
        month = locale.monthName(wall.month, QLocale.FormatType.LongFormat)
        return f"{day_name} {wall.day} {month} {wall.year}"
    if unit == "month":
        return f"{locale.monthName(wall.month, QLocale.FormatType.LongFormat)} {wall.year}"
    return str(wall.year)


def axis_ticks(scale: TimeScale, width: float, tz: str,
               locale: QLocale | None = None) -> tuple[list[Tick], list[Tick], str]:
    """(minor ticks, major ticks, minor unit) for the visible span."""
    locale = locale or QLocale()
    unit, count = tick_step(scale.spp, 72.0 if scale.spp < 3600 else 56.0)
    start, end = scale.t(-2), scale.t(width + 2)
    minor = [Tick(instant, minor_label(wall, unit, locale))
             for wall, instant in ticks_between(start, end, unit, count, tz)]
    major_unit = MAJOR_UNIT[unit]
    major: list[Tick] = []
    if major_unit is not None:
        major = [Tick(instant, major_label(wall, major_unit, locale))
                 for wall, instant in ticks_between(start - _SPAN_OF[major_unit], end,
                                                    major_unit, 1, tz)]
    return minor, major, unit


_SPAN_OF = {"day": 86_400.0, "month": 31 * 86_400.0, "year": 366 * 86_400.0}


def describe_span(seconds: float) -> str:
    """"3 days", "2 months": what the visible window spans, for the accessible text."""
    tr = QCoreApplication.translate
    for limit, size, one, many in (
        (2 * 3600, 60, "1 minute", "%1 minutes"),
        (2 * 86_400, 3600, "1 hour", "%1 hours"),
        (60 * 86_400, 86_400, "1 day", "%1 days"),
        (730 * 86_400, 30.44 * 86_400, "1 month", "%1 months"),
        (float("inf"), 365.25 * 86_400, "1 year", "%1 years"),
    ):
        if seconds < limit:
            count = max(1, round(seconds / size))
            return tr("Timeline", one) if count == 1 else tr("Timeline", many).replace(
                "%1", str(count))
    return ""


def utc_datetime(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)
