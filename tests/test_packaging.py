"""Packaging: desktop integration files, icons, the self-test, the build scripts.

Fast on purpose: no PyInstaller build here (``bash packaging/build.sh`` builds
and smoke-tests the real program). What can break silently without a build is
checked instead: the validators the Linux desktop and software centres apply,
the mime type against a real export, the icon files every script and file
names, and ``incidentlog self-test`` itself on the installed package.

The validators come from Debian's desktop-file-utils, appstream and
shared-mime-info (gio from libglib2.0-bin); a test that needs a missing one is
skipped and says which package to install.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import incidentlog
from incidentlog import selftest
from incidentlog.cli import build_parser
from incidentlog.exchange import export_json, import_json
from incidentlog.services import Services

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
LINUX = PACKAGING / "linux"
ICONS = ROOT / "resources" / "icons"
APP_ID = "org.incidentlog.IncidentLog"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
MIME = LINUX / f"{APP_ID}.mime.xml"
MIME_TYPE = "application/x-incidentlog+json"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
TOOLBAR_ICONS = {
    "new-incident", "new-source", "new-quote", "save", "delete", "undo", "redo", "find",
    "import", "export", "backup", "open", "read-only", "timeline",
}


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: apt-get install {package})")
    return path


def _run(*argv: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=False,
                          env=env, timeout=120)


@pytest.fixture(scope="module")
def export_head(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The first bytes of a real JSON export (the demo data, exported by the exporter)."""
    from incidentlog.store.database import open_database

    folder = tmp_path_factory.mktemp("export")
    demo = Path(str(selftest._resource("demo", "demo.json")))
    with open_database(folder / "log.sqlite3") as database:
        services = Services(database, actor="tester")
        import_json(services, demo)
        export_json(services, folder / "log.incidentlog.json")
    return (folder / "log.incidentlog.json").read_bytes()[:256]


# --- .desktop ---------------------------------------------------------------------------


def _desktop_entry(path: Path) -> dict[str, str]:
    lines = path.read_text("utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line and not line.startswith("#"))


def test_desktop_entry_validates() -> None:
    validator = _tool("desktop-file-validate", "desktop-file-utils")
    result = _run(validator, DESKTOP)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_desktop_entry_opens_exports_with_the_installed_icon() -> None:
    entry = _desktop_entry(DESKTOP)
    assert entry["Exec"] == "incidentlog %f"
    assert MIME_TYPE in entry["MimeType"].split(";")
    assert entry["Icon"] == APP_ID
    assert entry["Terminal"] == "false"


# --- AppStream metainfo -----------------------------------------------------------------


def test_metainfo_validates() -> None:
    appstreamcli = _tool("appstreamcli", "appstream")
    result = _run(appstreamcli, "validate", "--no-net", "--no-color", METAINFO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_metainfo_names_this_application_and_its_current_release() -> None:
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == APP_ID
    assert component.find("launchable").text == f"{APP_ID}.desktop"
    assert MIME_TYPE in [m.text for m in component.iter("mediatype")]
    assert component.find("content_rating").get("type") == "oars-1.1"
    newest = component.find("releases/release")
    # A version bump needs its release note here (software centres show it).
    assert newest.get("version") == incidentlog.__version__
    shots = [image.text for image in component.iter("image")]
    assert shots and all(
        re.fullmatch(r"https://\S+/docs/screenshots/[a-z-]+\.png", url) for url in shots
    ), shots
    for url in shots:  # each one is a picture docs/screenshots/render.py renders
        width, _height = _png_size(ROOT / "docs" / "screenshots" / url.rsplit("/", 1)[1])
        assert width >= 620, url  # AppStream's minimum for a screenshot


# --- mime type --------------------------------------------------------------------------


def _magic_matches(data: bytes) -> list[str]:
    """The values of the mime file's string matches found in ``data`` (spec semantics).

    A ``string`` match with ``offset="a:b"`` matches when the value begins at any
    byte from a to b inclusive.
    """
    found = []
    for match in ET.parse(MIME).getroot().iter(f"{MIME_NS}match"):
        assert match.get("type") == "string"
        value = match.get("value").encode("utf-8")
        start, _, end = match.get("offset").partition(":")
        last = int(end or start)
        if data.find(value, int(start), last + len(value)) != -1:
            found.append(match.get("value"))
    return found


def test_mime_type_is_well_formed_and_recognises_a_real_export(export_head: bytes) -> None:
    root = ET.parse(MIME).getroot()
    (mime_type,) = root.findall(f"{MIME_NS}mime-type")
    assert mime_type.get("type") == MIME_TYPE
    assert mime_type.find(f"{MIME_NS}sub-class-of").get("type") == "application/json"
    assert mime_type.find(f"{MIME_NS}glob").get("pattern") == "*.incidentlog.json"
    assert _magic_matches(export_head), export_head[:80]
    assert _magic_matches(b'{"format":"incidentlog","version":1}')  # written by a script
    assert not _magic_matches(b'{\n  "format": "geojson",\n  "incidentlog": 1\n}')


@pytest.fixture
def mime_database(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An XDG data folder holding only our mime type, compiled by update-mime-database."""
    update = _tool("update-mime-database", "shared-mime-info")
    packages = tmp_path / "share" / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy(MIME, packages / f"{APP_ID}.xml")
    result = _run(update, tmp_path / "share" / "mime")
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr.lower(), result.stderr
    yield {**os.environ, "XDG_DATA_HOME": str(tmp_path / "share"),
           "XDG_DATA_DIRS": "/usr/local/share:/usr/share"}


def test_the_desktop_recognises_an_export_by_name_and_by_content(
    mime_database: dict[str, str], tmp_path: Path, export_head: bytes
) -> None:
    gio = _tool("gio", "libglib2.0-bin")
    named = tmp_path / "log.incidentlog.json"
    unnamed = tmp_path / "attachment"  # saved from a mail without its extension
    for path in (named, unnamed):
        path.write_bytes(export_head)

    def content_type(path: Path) -> str:
        result = _run(gio, "info", "-a", "standard::content-type", path, env=mime_database)
        assert result.returncode == 0, result.stderr
        return result.stdout.rsplit(":", 1)[1].strip()

    assert content_type(named) == MIME_TYPE
    assert content_type(unnamed) == MIME_TYPE


# --- icons ------------------------------------------------------------------------------


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_every_png_has_the_size_its_name_says() -> None:
    pngs = sorted(ICONS.rglob("*.png"))
    assert {p.name for p in (ICONS / "app").glob("*.png")} == {
        f"incidentlog-{size}.png" for size in PNG_SIZES
    }
    for path in pngs:
        size = int(re.fullmatch(r".*-(\d+)\.png", path.name).group(1))
        assert _png_size(path) == (size, size), path


def test_windows_and_macos_icons_hold_their_sizes() -> None:
    ico = (ICONS / "app" / "incidentlog.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1)
    sides = {struct.unpack("<B", ico[6 + 16 * i: 7 + 16 * i])[0] or 256 for i in range(count)}
    assert {16, 32, 48, 256} <= sides
    icns = (ICONS / "app" / "incidentlog.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    offset, types = 8, set()
    while offset < len(icns):
        types.add(icns[offset:offset + 4])
        offset += struct.unpack(">I", icns[offset + 4:offset + 8])[0]
    assert {b"ic07", b"ic08", b"ic09", b"ic10"} <= types  # 128, 256, 512, 1024 px


def test_qt_reads_every_icon(qapp: object) -> None:
    from PySide6.QtGui import QImageReader
    from PySide6.QtSvg import QSvgRenderer

    for svg in sorted(ICONS.rglob("*.svg")):
        assert QSvgRenderer(str(svg)).isValid(), svg
    formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    for container, fmt in (("incidentlog.ico", "ico"), ("incidentlog.icns", "icns")):
        if fmt not in formats:  # icns: a plugin of qtimageformats, not always installed
            continue
        reader = QImageReader(str(ICONS / "app" / container))
        sides = set()
        for index in range(reader.imageCount()):
            reader.jumpToImage(index)
            image = reader.read()
            assert not image.isNull(), (container, index, reader.errorString())
            sides.add(image.width())
        assert {16, 32, 256} <= sides, (container, sides)


def _icons_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("packaging_icons", PACKAGING / "icons.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_toolbar_icons_exist_for_both_palettes_and_dark_ones_are_up_to_date() -> None:
    light = {p.stem for p in (ICONS / "actions" / "light").glob("*.svg")}
    dark = {p.stem for p in (ICONS / "actions" / "dark").glob("*.svg")}
    assert light == dark == TOOLBAR_ICONS
    icons = _icons_script()
    for name in sorted(light):
        source = (ICONS / "actions" / "light" / f"{name}.svg").read_text("utf-8")
        generated = (ICONS / "actions" / "dark" / f"{name}.svg").read_text("utf-8")
        assert generated == icons.dark_variant(source), (
            f"actions/dark/{name}.svg is stale: run python packaging/icons.py"
        )
        used = set(re.findall(r"#[0-9a-f]{6}", source))
        assert used <= set(icons.PALETTE), f"{name}.svg uses colours outside the palette: {used}"


def test_every_icon_file_named_by_the_packaging_exists() -> None:
    texts = [p.read_text("utf-8") for p in (*PACKAGING.rglob("*.*"), ICONS / "README.md")
             if p.suffix in (".py", ".sh", ".spec", ".md", ".xml", ".desktop")]
    named = set()
    for text in texts:
        named |= set(re.findall(r"incidentlog(?:-\d+)?\.(?:png|svg|ico|icns)", text))
    named = {name for name in named if "{" not in name}
    assert "incidentlog.ico" in named and "incidentlog.icns" in named
    for name in named:
        assert (ICONS / "app" / name).is_file(), name
    install = (LINUX / "install.sh").read_text("utf-8")
    sizes = re.search(r'SIZES="([\d ]+)"', install).group(1).split()
    assert tuple(map(int, sizes)) == PNG_SIZES
    for parts in selftest.REQUIRED_RESOURCES:
        assert selftest._resource(*parts).is_file(), parts


# --- self-test --------------------------------------------------------------------------


def test_self_test_is_a_documented_command() -> None:
    assert "check that this installation works" in build_parser().format_help()


def test_self_test_passes(tmp_path: Path) -> None:
    """``incidentlog self-test`` on this installation, as a user runs it (a new process)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "INCIDENTLOG_DATA_DIR": str(tmp_path / "data")}
    result = _run(sys.executable, "-m", "incidentlog", "self-test", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "self-test passed"
    assert sum(line.startswith("ok ") for line in lines) == 8
    assert any("open and close the main window" in line for line in lines)
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir()), (
        "the self-test must leave the user's data folder alone"
    )


def test_self_test_names_the_failing_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selftest, "REQUIRED_RESOURCES", (("demo", "no-such-file.json"),))
    out = io.StringIO()
    assert selftest.run(out) == 1
    lines = out.getvalue().splitlines()
    assert lines[-2] == "FAILED  resources: missing from this installation: demo/no-such-file.json"
    assert lines[-1] == "self-test FAILED"


# --- scripts ----------------------------------------------------------------------------


def test_scripts_parse() -> None:
    assert _run("bash", "-n", PACKAGING / "build.sh").returncode == 0
    assert _run("sh", "-n", LINUX / "install.sh").returncode == 0
    compile((PACKAGING / "incidentlog.spec").read_text("utf-8"), "incidentlog.spec", "exec")


# --- the lock file ----------------------------------------------------------------------


def _locked() -> list[tuple[Requirement, list[str]]]:
    """packaging/requirements.lock's pins, each with its hashes."""
    entries: list[tuple[Requirement, list[str]]] = []
    text = (PACKAGING / "requirements.lock").read_text("utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            spec, *hashes = line.split(" --hash=")
            entries.append((Requirement(spec), [h.strip() for h in hashes]))
    return entries


def _wanted() -> list[Requirement]:
    """What the build needs: pyproject's dependencies and packaging/requirements.txt."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        wanted = [Requirement(line) for line in tomllib.load(file)["project"]["dependencies"]]
    for line in (PACKAGING / "requirements.txt").read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            wanted.append(Requirement(line))
    return wanted


def test_the_lock_pins_every_file_by_hash() -> None:
    for requirement, hashes in _locked():
        assert [str(s.operator) for s in requirement.specifier] == ["=="], requirement
        assert hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), (
            requirement)


def test_the_lock_holds_what_pyproject_and_the_build_ask_for() -> None:
    # A dependency added or raised without refreshing the lock (packaging/README.md) fails
    # here, not in the next packaged build.
    locked = [(requirement, next(iter(requirement.specifier)).version)
              for requirement, _ in _locked()
              if requirement.marker is None or requirement.marker.evaluate()]
    for wanted in _wanted():
        if wanted.marker is not None and not wanted.marker.evaluate():
            continue
        versions = [version for requirement, version in locked
                    if canonicalize_name(requirement.name) == canonicalize_name(wanted.name)]
        assert len(versions) == 1, f"{wanted.name}: {versions or 'not'} in the lock"
        assert wanted.specifier.contains(versions[0], prereleases=True), (
            f"the lock's {wanted.name} {versions[0]} is not {wanted.specifier}")


def test_install_script_installs_and_uninstalls_for_the_user(tmp_path: Path) -> None:
    build = tmp_path / "dist" / "incidentlog"
    build.mkdir(parents=True)
    program = build / "incidentlog"
    program.write_text("#!/bin/sh\necho incidentlog 0.0.0\n")
    program.chmod(0o755)
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "share")}
    result = _run("sh", LINUX / "install.sh", build, env=env)
    assert result.returncode == 0, result.stdout + result.stderr

    installed = home / ".local" / "opt" / "incidentlog" / "incidentlog"
    assert installed.is_file()
    assert (home / ".local" / "bin" / "incidentlog").resolve() == installed.resolve()
    share = home / "share"
    entry = _desktop_entry(share / "applications" / f"{APP_ID}.desktop")
    assert entry["Exec"] == f"{installed} %f"
    assert entry["TryExec"] == str(installed)
    for size in PNG_SIZES:
        icon = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert _png_size(icon) == (size, size)
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    assert (share / "mime" / "packages" / f"{APP_ID}.xml").is_file()
    assert (share / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    if shutil.which("update-mime-database"):
        assert MIME_TYPE in (share / "mime" / "types").read_text("utf-8")

    result = _run("sh", LINUX / "install.sh", "--uninstall", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not installed.exists()
    assert not (home / ".local" / "bin" / "incidentlog").exists()
    assert not (share / "applications" / f"{APP_ID}.desktop").exists()
    assert not list((share / "icons").rglob(f"{APP_ID}.*"))


def test_every_package_folder_is_listed_for_the_build() -> None:
    """pyproject.toml lists the packages by name: a new folder left out would be missing
    from the wheel and the packaged program, and only there."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    source = ROOT / "src"
    found = {".".join(init.parent.relative_to(source).parts)
             for init in source.rglob("__init__.py")}
    assert found - listed == set()
    assert listed - found == {"incidentlog.resources"}  # mapped from resources/
