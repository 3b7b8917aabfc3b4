"""The axis ticks come from the one calendar (domain/calendar.py): steps in the chosen
zone, right across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QLocale

from incidentlog.domain import calendar
from incidentlog.gui.timeline.scale import TimeScale, axis_ticks, tick_step, ticks_between


def _t(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_hour_ticks_over_the_spring_change_never_coincide() -> None:
    # Paris, 31 March 2024: 02:00 local does not exist; clocks go from 02:00 to 03:00.
    ticks = list(ticks_between(_t("2024-03-30T22:00"), _t("2024-03-31T04:00"), "hour", 1,
                               "Europe/Paris"))
    instants = [instant for _wall, instant in ticks]
    assert len(instants) == len(set(instants))
    assert instants == sorted(instants)
    assert all(later - earlier == 3600 for earlier, later in zip(instants, instants[1:],
                                                                   strict=False))


def test_the_repeated_autumn_hour_has_its_ticks_twice() -> None:
    # New York, 3 November 2024: 01:00-02:00 local happens twice (EDT, then EST).
    ticks = list(ticks_between(_t("2024-11-03T04:00"), _t("2024-11-03T07:30"), "minute", 30,
                               "America/New_York"))
    walls = [f"{wall:%H:%M}" for wall, _instant in ticks]
    assert walls.count("01:00") == 2 and walls.count("01:30") == 2
    instants = [instant for _wall, instant in ticks]
    assert all(later - earlier == 1800 for earlier, later in zip(instants, instants[1:],
                                                                   strict=False))


def test_day_ticks_fall_on_local_midnights_and_match_the_calendar() -> None:
    scale = TimeScale()
    scale.fit(_t("2024-01-01T00:00"), _t("2024-01-15T00:00"), 1400)
    minor, _major, unit = axis_ticks(scale, 1400, "Asia/Baghdad", QLocale("en_US"))
    assert unit in ("day", "week")
    step = tick_step(scale.spp, 56.0)
    for tick in minor:
        instant = datetime.fromtimestamp(tick.t, UTC)
        start, _end = calendar.span(instant, step.unit, step.n, "Asia/Baghdad")
        assert start == instant  # each tick starts its own calendar step
