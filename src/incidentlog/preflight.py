"""Can the window start here? Asked before Qt is imported, answered in a sentence.

Without a display, or with a system library that Qt's X11 plugin needs missing,
Qt aborts the process with a message that often names the wrong library (on
Debian 12 it blames ``libxcb-cursor0`` when ``libxcb-icccm4`` and
``libxcb-keysyms1`` are missing). This module looks first: which platform Qt
will use, whether its display can be reached, and which shared libraries the
platform plugin needs that the system's loader cannot find (asked of ``ldd``,
the loader itself, on the plugin PySide6 ships). It imports nothing of Qt.
The README lists the packages; docs/cli.md says what each message means.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: Platforms that need no display: tests, the self-test, screenshots.
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "vnc", "linuxfb", "eglfs"})

_NOT_FOUND = re.compile(r"^\s*(?P<name>\S+)\s+=>\s+not found\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Problem:
    """Why the window cannot start, in a sentence, and the exit status to leave with."""

    sentence: str
    status: int = 2


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that ships a library: ``libxcb-icccm.so.4`` →
    ``libxcb-icccm4``, ``libxkbcommon-x11.so.0`` → ``libxkbcommon-x11-0``."""
    base, _, version = soname.partition(".so")
    version = version.lstrip(".").split(".")[0]
    base = base.lower()
    return f"{base}-{version}" if base[-1:].isdigit() else f"{base}{version}"


def _platform(environ: Mapping[str, str], argv: list[str]) -> str:
    """The platform plugin Qt will load: ``-platform NAME``, then QT_QPA_PLATFORM,
    then Wayland when a Wayland session is running, else X11."""
    for index, token in enumerate(argv[:-1]):
        if token == "-platform":
            return argv[index + 1].split(":")[0]
    chosen = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    return "wayland" if environ.get("WAYLAND_DISPLAY") else "xcb"


def _x_display_reachable(display: str) -> bool:
    """``:0`` is a local socket; ``host:0`` a TCP port we cannot probe cheaply (assume yes)."""
    match = re.fullmatch(r"(?P<host>[^:]*):(?P<number>\d+)(?:\.\d+)?", display)
    if match is None:
        return False
    if match.group("host") not in ("", "unix"):
        return True
    return Path(f"/tmp/.X11-unix/X{match.group('number')}").exists()


def qt_plugin(name: str) -> Path | None:
    """The platform plugin file PySide6 ships (found without importing Qt)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(next(iter(spec.submodule_search_locations))) / "Qt" / "plugins" \
        / "platforms" / f"libq{name}.so"
    return plugin if plugin.is_file() else None


def missing_libraries(plugin: Path) -> list[str]:
    """The shared libraries ``plugin`` needs that the loader cannot find (``ldd``);
    empty when ``ldd`` is not there to ask."""
    # Imported here: on a headless platform the start never asks (docs/performance.md).
    import shutil
    import subprocess

    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        result = subprocess.run([ldd, str(plugin)], capture_output=True, text=True,
                                timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return sorted({match.group("name") for match in _NOT_FOUND.finditer(result.stdout)})


def check_display(environ: Mapping[str, str] | None = None,
                  argv: list[str] | None = None) -> Problem | None:
    """None when the window can start; else the problem, said for a person."""
    if not sys.platform.startswith("linux"):
        return None  # Windows and macOS always have their platform
    env = os.environ if environ is None else environ
    platform = _platform(env, list(sys.argv if argv is None else argv))
    if platform in HEADLESS_PLATFORMS:
        return None
    if platform == "xcb":
        display = env.get("DISPLAY", "")
        if not display:
            return Problem(
                "there is no display to open the window on (DISPLAY is not set). The "
                "commands work without one: incidentlog --help.")
        if not _x_display_reachable(display):
            return Problem(
                f"the display {display} cannot be reached (no X server is listening there). "
                "The commands work without one: incidentlog --help.")
    elif platform == "wayland" and not env.get("WAYLAND_DISPLAY"):
        return Problem("there is no Wayland display to open the window on "
                       "(WAYLAND_DISPLAY is not set). The commands work without one: "
                       "incidentlog --help.")
    plugin = qt_plugin(platform)
    missing = missing_libraries(plugin) if plugin is not None else []
    if missing:
        packages = " ".join(debian_package(name) for name in missing)
        return Problem(
            f"the window needs system libraries that are not installed: {', '.join(missing)}. "
            f"On Debian or Ubuntu: sudo apt-get install {packages} (the README lists the "
            "packages for Fedora too). The commands work without them: incidentlog --help.")
    return None
