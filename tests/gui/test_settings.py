"""The settings registry: every option reads back what was stored, and falls back
to its default (never a traceback) on what a person typed into the INI file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

import incidentlog
from incidentlog.gui.settings import (
    BACKUP_KEEP,
    DEFAULT_BACKUP_KEEP,
    OPTIONS,
    RECENT_DATABASES,
    TIMELINE_LANES,
    TIMELINE_ZONE,
    Settings,
)
from incidentlog.store.backup import DEFAULT_KEEP

SAMPLES: dict[str, object] = {
    "files/recent": ["/a/log.sqlite3", "/b/log.sqlite3"],
    "files/last_dir": "/home/desk",
    "backups/keep": 12,
    "forms/lastTimeZone": "Asia/Baghdad",
    "timeline/lanes": "country",
    "timeline/colour": "status",
    "timeline/zone": "Asia/Damascus",
    "state/current_view": 2,
    "timeline/related": False,  # not the default (True)
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


def test_every_option_has_a_sample_and_a_distinct_key() -> None:
    keys = [option.key for option in OPTIONS]
    assert len(set(keys)) == len(keys)
    assert set(keys) == set(SAMPLES)


def test_every_option_round_trips_through_the_ini_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.ini"
    writer = Settings(QSettings(str(path), QSettings.Format.IniFormat))
    for option in OPTIONS:
        writer.set(option, SAMPLES[option.key])
    writer.sync()
    reader = Settings(QSettings(str(path), QSettings.Format.IniFormat))
    assert {option.key: reader.get(option) for option in OPTIONS} == SAMPLES


def test_missing_options_read_as_their_defaults(settings: Settings) -> None:
    assert {option.key: settings.get(option) for option in OPTIONS} == {
        option.key: option.default for option in OPTIONS}


@pytest.mark.parametrize(("stored", "expected"), [
    ("0", 1), ("-5", 1), ("1000", 100), ("many", DEFAULT_BACKUP_KEEP), ("", DEFAULT_BACKUP_KEEP)])
def test_a_hand_edited_backup_count_is_brought_into_range(
        settings: Settings, stored: str, expected: int) -> None:
    settings.qsettings.setValue(BACKUP_KEEP.key, stored)
    assert settings.get(BACKUP_KEEP) == expected


def test_empty_values_read_as_the_default(settings: Settings) -> None:
    settings.qsettings.setValue(TIMELINE_ZONE.key, "")
    settings.qsettings.setValue(TIMELINE_LANES.key, "")
    assert settings.get(TIMELINE_ZONE) == "UTC"
    assert settings.get(TIMELINE_LANES) is None
    settings.set(TIMELINE_LANES, None)
    assert settings.qsettings.value(TIMELINE_LANES.key) == ""


def test_a_one_item_list_and_a_changed_default_stay_lists(settings: Settings) -> None:
    settings.qsettings.setValue(RECENT_DATABASES.key, "/only/one.sqlite3")
    assert settings.get(RECENT_DATABASES) == ["/only/one.sqlite3"]
    settings.qsettings.remove(RECENT_DATABASES.key)
    settings.get(RECENT_DATABASES).append("changed by a caller")
    assert settings.get(RECENT_DATABASES) == []


def test_the_window_offers_the_store_s_default_backup_count() -> None:
    assert DEFAULT_BACKUP_KEEP == DEFAULT_KEEP


def test_no_module_reads_or_writes_a_raw_settings_key() -> None:
    gui = Path(incidentlog.__file__).parent
    raw = re.compile(r"qsettings\.(value|setValue|remove)\(")
    offenders = [
        f"{path.relative_to(gui)}:{number}"
        for path in sorted(gui.rglob("*.py")) if path.name != "settings.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if raw.search(line) or re.search(r"\bsettings\.(value|setValue)\(", line)
    ]
    assert offenders == []
