"""The application's own icons, from ``resources/icons`` (see its README).

Qt's SVG renderer has no ``currentColor``, so each toolbar icon exists in a
light-palette and a dark-palette version; the palette's window colour picks.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QApplication

APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def _icons_dir() -> Path:
    return Path(str(resources.files("incidentlog.resources").joinpath("icons")))


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


@cache
def _action_icon(name: str, dark: bool) -> QIcon:
    path = _icons_dir() / "actions" / ("dark" if dark else "light") / f"{name}.svg"
    if not path.exists():
        raise FileNotFoundError(f"no toolbar icon {name!r} at {path}")
    return QIcon(str(path))


def action_icon(name: str, palette: QPalette | None = None) -> QIcon:
    """The toolbar icon ``name`` (e.g. ``"save"``) for ``palette`` (default: the app's)."""
    return _action_icon(name, is_dark(palette or QApplication.palette()))


@cache
def app_icon() -> QIcon:
    icon = QIcon()
    folder = _icons_dir() / "app"
    for size in APP_ICON_SIZES:
        icon.addFile(str(folder / f"incidentlog-{size}.png"))
    return icon
