"""Calendar steps: floor and advance a local wall time by a unit, in an IANA zone.

One arithmetic for everything that cuts time into calendar pieces: the
interval a ``Moment`` stands for (``when.py``), the density bins of the
timeline (``services/timeline_bins.py``), the candidate start days of long
intervals (``store/timeline_sql.py``) and the ticks of the time axis. See
docs/timeline.md.

Two levels:

* ``floor(local, unit, n)`` and ``advance(local, unit, n)`` work on wall times
  (naive datetimes) and know nothing of zones. Steps are anchored so that a
  step is the same step whatever the window: days and weeks count from a
  Monday (3 January 2000), months from January of year 0, years from year 0.
  Minute counts divide the hour and hour counts the day.
* ``span(instant, unit, n, tz)`` and ``steps(...)`` map them onto instants in
  a zone. A step lasts as long as the floored wall clock shows the same value:
  a day is 23 or 25 hours on a daylight-saving change, the hour that is
  repeated in autumn is two hours long, a minute of that hour is two separate
  minutes (one each time the clock passes it), and a step whose start does not
  exist (midnight skipped in spring) begins when the clock jumps over it.
  Steps never overlap and always contain the instant they were asked for.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: The units a step can be counted in, finest first.
UNITS = ("minute", "hour", "day", "week", "month", "quarter", "year", "decade", "century")
#: Units that are a multiple of a base unit.
_MULTIPLES = {"quarter": ("month", 3), "decade": ("year", 10), "century": ("year", 100)}
#: Average length of one unit, to choose a step by how wide it is on screen.
NOMINAL_SECONDS: dict[str, float] = {
    "minute": 60.0,
    "hour": 3600.0,
    "day": 86_400.0,
    "week": 7 * 86_400.0,
    "month": 30.44 * 86_400,
    "quarter": 3 * 30.44 * 86_400,
    "year": 365.25 * 86_400,
    "decade": 3652.5 * 86_400,
    "century": 36_525 * 86_400,
}
#: Day and week steps count from this Monday, so panning never shifts them.
_DAY_ANCHOR = datetime(2000, 1, 3).toordinal()


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ``ValueError`` with a readable message if unknown."""
    if not name or name != name.strip():
        raise ValueError(f"{name!r} is not an IANA time zone name")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. Asia/Baghdad)") from exc


class Step(NamedTuple):
    """``n`` units: ``Step("month", 3)`` is a quarter."""

    unit: str
    n: int = 1

    @property
    def seconds(self) -> float:
        """Nominal length (months of 30.44 days, years of 365.25)."""
        unit, n = _base(self.unit, self.n)
        return NOMINAL_SECONDS[unit] * n


def finest_step(steps: Sequence[Step], seconds_per_pixel: float, min_pixels: float) -> Step:
    """The first of ``steps`` (finest first) at least ``min_pixels`` wide; else the last."""
    for step in steps:
        if step.seconds / seconds_per_pixel >= min_pixels:
            return step
    return steps[-1]


def _base(unit: str, n: int) -> tuple[str, int]:
    if n < 1:
        raise ValueError(f"a step counts at least one {unit}, not {n}")
    if unit in _MULTIPLES:
        base, times = _MULTIPLES[unit]
        return base, times * n
    if unit not in NOMINAL_SECONDS:
        raise ValueError(f"{unit!r} is not a calendar unit ({', '.join(UNITS)})")
    if (unit == "minute" and 60 % n) or (unit == "hour" and 24 % n):
        whole = "hour" if unit == "minute" else "day"
        raise ValueError(f"a step of {n} {unit}s does not divide the {whole}")
    return unit, n


def floor(local: datetime, unit: str, n: int = 1) -> datetime:
    """The start of the step of ``n`` ``unit`` that contains the wall time ``local``."""
    unit, n = _base(unit, n)
    if unit == "minute":
        return local.replace(minute=local.minute - local.minute % n, second=0, microsecond=0,
                             fold=0)
    if unit == "hour":
        return local.replace(hour=local.hour - local.hour % n, minute=0, second=0,
                             microsecond=0, fold=0)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    if unit in ("day", "week"):
        days = n if unit == "day" else 7 * n
        return day - timedelta(days=(day.toordinal() - _DAY_ANCHOR) % days)
    if unit == "month":
        index = day.year * 12 + day.month - 1
        index -= index % n
        return day.replace(year=index // 12, month=index % 12 + 1, day=1)
    return day.replace(year=day.year - day.year % n, month=1, day=1)


def advance(local: datetime, unit: str, n: int = 1) -> datetime:
    """``local`` moved ``n`` ``unit`` on the wall clock (months keep the day, clamped
    to the month's last; a 29 February becomes the 28th in a common year)."""
    unit, n = _base(unit, n)
    if unit == "minute":
        return local + timedelta(minutes=n)
    if unit == "hour":
        return local + timedelta(hours=n)
    if unit == "day":
        return local + timedelta(days=n)
    if unit == "week":
        return local + timedelta(days=7 * n)
    months = n if unit == "month" else 12 * n
    index = local.year * 12 + local.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return local.replace(year=year, month=month, day=min(local.day, _month_days(year, month)))


def _month_days(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (datetime(year, month + 1, 1) - datetime(year, month, 1)).days


# --- in a time zone ----------------------------------------------------------------------


def to_utc(wall: datetime, tz: str) -> datetime:
    """The instant a clock in ``tz`` shows the wall time ``wall``.

    An ambiguous wall time (the autumn fold) is its first occurrence; one that
    does not exist (the spring gap) moves forward by the gap, as clocks do
    (02:30 in Paris on the spring change is 03:30 summer time).
    """
    return wall.replace(tzinfo=zone(tz), fold=0).astimezone(UTC)


def span(instant: datetime, unit: str, n: int, tz: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the step of ``n`` ``unit`` in ``tz`` that contains ``instant``."""
    _, start, end = _step_at(instant, unit, n, tz)
    return start, end


def steps(start: datetime, unit: str, n: int, tz: str) -> Iterator[tuple[datetime, datetime]]:
    """(local wall start, UTC start) of each step from the one containing ``start`` on.

    Endless until the calendar ends (year 9999): take what you need.
    """
    info = zone(tz)
    at = start
    while True:
        try:
            wall, begin, at = _step_at(at, unit, n, tz)
        except (OverflowError, ValueError):
            return
        yield wall, begin
        # While the offset stays the same, the next step starts where this one ended,
        # on the next wall start: one offset to look up per step, not three.
        offset = _offset(at.astimezone(info))
        try:
            following = advance(wall, unit, n)
            if (at + offset).replace(tzinfo=None) != following:
                continue
            while True:
                after = advance(following, unit, n)
                then = (after - offset).replace(tzinfo=UTC)
                if not _same_offset(at, then, offset, info):
                    break
                wall, begin, at = following, at, then
                yield wall, begin
                following = after
        except (OverflowError, ValueError):
            return


#: Steps already mapped onto instants: (floored wall, offset, unit, n, tz) → (start, end).
_SPANS: dict[tuple[datetime, timedelta, str, int, str], tuple[datetime, datetime]] = {}
_SPANS_KEPT = 8192
#: Offsets are assumed not to change twice within this (true of the tz database).
_SAMPLE = timedelta(days=7)
_TINY = timedelta(microseconds=1)


def _step_at(instant: datetime, unit: str, n: int, tz: str) -> tuple[datetime, datetime, datetime]:
    if instant.tzinfo is None:
        raise ValueError("a naive datetime has no time zone")
    info = zone(tz)
    local = instant.astimezone(info)
    first = floor(local.replace(tzinfo=None), unit, n)
    offset = _offset(local)
    last = advance(first, unit, n)
    start, end = (first - offset).replace(tzinfo=UTC), (last - offset).replace(tzinfo=UTC)
    if end - start <= _SAMPLE and _offset((start - _TINY).astimezone(info)) == offset == _offset(
            end.astimezone(info)):
        return first, start, end  # no offset change in or at the ends of a short step
    key = (first, offset, unit, n, tz)
    found = _SPANS.get(key)
    if found is None:
        found = (_run_start(instant, first, last, info), _run_end(instant, first, last, info))
        if len(_SPANS) >= _SPANS_KEPT:
            _SPANS.clear()
        _SPANS[key] = found
    return first, found[0], found[1]


def _run_start(instant: datetime, first: datetime, last: datetime, info: ZoneInfo) -> datetime:
    """The earliest instant from which until ``instant`` the floored wall clock reads ``first``."""
    at = instant
    while True:  # one round per offset change inside the step; each goes back in time
        offset = _offset(at.astimezone(info))
        candidate = (first - offset).replace(tzinfo=UTC)
        change = _last_change(candidate - _TINY, at, info)  # a change at the candidate too
        if change is None:
            return candidate
        wall_before = (change + _offset((change - _TINY).astimezone(info))).replace(tzinfo=None)
        if not first < wall_before <= last:
            return change  # the clock jumped into this step
        at = change - _TINY


def _run_end(instant: datetime, first: datetime, last: datetime, info: ZoneInfo) -> datetime:
    """The first instant after ``instant`` at which the floored wall clock leaves ``first``."""
    at = instant
    while True:  # each round goes forward in time
        offset = _offset(at.astimezone(info))
        candidate = (last - offset).replace(tzinfo=UTC)
        change = _first_change(at, candidate, info)
        if change is None:
            return candidate
        wall_after = (change + _offset(change.astimezone(info))).replace(tzinfo=None)
        if not first <= wall_after < last:
            return change  # the clock jumped out of this step (forward, or back before it)
        at = change


def _offset(local: datetime) -> timedelta:
    offset = local.utcoffset()
    assert offset is not None  # an aware datetime in a ZoneInfo always has one
    return offset


def _offset_at(seconds: int, info: ZoneInfo) -> timedelta:
    return _offset(datetime.fromtimestamp(seconds, info))


def _same_offset(lo: datetime, hi: datetime, offset: timedelta, info: ZoneInfo) -> bool:
    """No offset change in (lo, hi], ``offset`` being the one at ``lo``."""
    at = lo
    while at < hi:
        at = min(at + _SAMPLE, hi)
        if _offset(at.astimezone(info)) != offset:
            return False
    return True


def _first_change(lo: datetime, hi: datetime, info: ZoneInfo) -> datetime | None:
    """The first instant in (lo, hi] where the offset differs from the one at ``lo``."""
    base = _offset(lo.astimezone(info))
    at = lo
    while at < hi:
        then = min(at + _SAMPLE, hi)
        if _offset(then.astimezone(info)) != base:
            return _bisect(at, then, info)
        at = then
    return None


def _last_change(lo: datetime, hi: datetime, info: ZoneInfo) -> datetime | None:
    """The last instant in (lo, hi] where the offset changes."""
    base = _offset(hi.astimezone(info))
    at = hi
    while at > lo:
        then = max(at - _SAMPLE, lo)
        if _offset(then.astimezone(info)) != base:
            return _bisect(then, at, info)
        at = then
    return None


def _bisect(lo: datetime, hi: datetime, info: ZoneInfo) -> datetime:
    """The instant in (lo, hi] where the offset changes once (the tz database's changes
    fall on whole seconds)."""
    low, high = math.floor(lo.timestamp()), math.ceil(hi.timestamp())
    base = _offset_at(low, info)
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(middle, info) == base:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)
