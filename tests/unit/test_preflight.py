"""Before Qt: no display, an unreachable display or missing system libraries are said
in a sentence (Qt itself aborts the process, often naming the wrong library)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from incidentlog.preflight import check_display, debian_package, missing_libraries, qt_plugin


@pytest.mark.parametrize(("soname", "package"), [
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libdbus-1.so.3", "libdbus-1-3"),
])
def test_library_names_become_debian_package_names(soname: str, package: str) -> None:
    assert debian_package(soname) == package


def test_no_display_is_said_and_headless_platforms_need_none() -> None:
    problem = check_display({}, [])
    assert problem is not None and "DISPLAY is not set" in problem.sentence
    assert "incidentlog --help" in problem.sentence
    assert check_display({"QT_QPA_PLATFORM": "offscreen"}, []) is None
    assert check_display({}, ["-platform", "offscreen"]) is None
    wayland = check_display({"QT_QPA_PLATFORM": "wayland"}, [])
    assert wayland is not None and "WAYLAND_DISPLAY" in wayland.sentence


def test_a_display_nobody_listens_on_is_said() -> None:
    number = next(n for n in range(90, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    problem = check_display({"DISPLAY": f":{number}"}, [])
    assert problem is not None and f":{number} cannot be reached" in problem.sentence


def test_a_library_the_loader_cannot_find_is_named(tmp_path: Path) -> None:
    """The real X11 plugin, copied away from the Qt libraries its RPATH points at:
    the loader no longer finds libQt6XcbQpa, and the check says so."""
    plugin = qt_plugin("xcb")
    assert plugin is not None, "PySide6 ships the xcb platform plugin"
    assert shutil.which("ldd"), "ldd (part of the C library) must be installed"
    copy = tmp_path / "platforms" / plugin.name
    copy.parent.mkdir()
    shutil.copyfile(plugin, copy)
    assert "libQt6XcbQpa.so.6" in missing_libraries(copy)
    assert "libQt6XcbQpa.so.6" not in missing_libraries(plugin)


def test_the_window_without_a_display_exits_with_a_sentence_not_an_abort() -> None:
    environ = {key: value for key, value in os.environ.items()
               if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "incidentlog"], env=environ,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "incidentlog: cannot start the window: there is no display to open the window on "
        "(DISPLAY is not set). The commands work without one: incidentlog --help."]


def test_a_display_socket_without_libraries_names_them(tmp_path: Path) -> None:
    """A display that can be reached: what stops the window then is a library (if any
    is missing here) — never a Qt abort before the check had its say."""
    number = next(n for n in range(90, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    Path("/tmp/.X11-unix").mkdir(mode=0o1777, exist_ok=True)
    path = f"/tmp/.X11-unix/X{number}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(path)
        server.listen(1)
        plugin = qt_plugin("xcb")
        assert plugin is not None
        missing = missing_libraries(plugin)
        problem = check_display({"DISPLAY": f":{number}"}, [])
        if missing:
            assert problem is not None
            assert all(name in problem.sentence for name in missing)
            assert "apt-get install" in problem.sentence
        else:
            assert problem is None
    finally:
        server.close()
        Path(path).unlink()
