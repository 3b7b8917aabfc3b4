"""Render incidentlog's icons from their SVG sources, with Qt only (no new dependency).

Run from a checkout after editing an SVG under ``resources/icons/``, and commit
what it writes::

    QT_QPA_PLATFORM=offscreen python packaging/icons.py [--preview FOLDER]

It writes

- ``app/incidentlog-<N>.png`` for N in 16 … 512: 16 and 24 px from
  ``incidentlog-16.svg`` and ``incidentlog-24.svg`` (drawn on their pixel
  grids, so that the small sizes stay sharp), the rest from ``incidentlog.svg``;
- ``app/incidentlog.ico`` (Windows) and ``app/incidentlog.icns`` (macOS), each
  holding several sizes. Qt's image writers store one image per file, so the
  two containers are assembled here from PNG-compressed entries (which
  Windows Vista+ and macOS 10.7+ read) and then read back with Qt's own
  ``ico``/``icns`` plugins to prove they are well formed;
- ``actions/dark/*.svg``: the toolbar icons for dark palettes, derived from
  ``actions/light/*.svg`` by swapping the palette below. One drawing, two
  palettes: Qt SVG has no ``currentColor``, so the colour is baked in;
- with ``--preview``, sheets of every icon on a light and a dark background
  at 1× and 2×, to look at before committing.

Rendering is deterministic for a given Qt version, so running it twice
changes nothing.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from collections.abc import Iterable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QImageReader, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
APP = ICONS / "app"
LIGHT = ICONS / "actions" / "light"
DARK = ICONS / "actions" / "dark"

#: The sizes the platforms ask for (freedesktop hicolor, Windows, macOS).
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
#: Windows: Explorer, taskbar, title bar, alt-tab, large icons, jumbo.
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: macOS: OSType → pixel size of the PNG it holds (ic11…ic14 are the @2x slots).
ICNS_TYPES = (
    (b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256),
    (b"ic09", 512), (b"ic10", 1024), (b"ic11", 32), (b"ic12", 64), (b"ic13", 256),
    (b"ic14", 512),
)

#: Palette of the toolbar icons: light-palette colour → dark-palette colour.
#: Stroke (ink), accent (blue: create, transfer, time) and danger (red: delete).
#: Each pair keeps at least 4.5:1 contrast on its own background (#ffffff,
#: #efefef / #1e1e1e, #353535) so that the icons meet WCAG AA for graphics.
PALETTE = {
    "#36414d": "#d6dce2",  # ink
    "#1a66b8": "#6db3f2",  # accent
    "#c0262d": "#ff7a7a",  # danger
}


def render(svg: Path, size: int) -> QImage:
    """``svg`` drawn into a transparent ``size``×``size`` image, antialiased."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG for Qt")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise SystemExit("Qt could not encode a PNG")
    buffer.close()
    return bytes(data.data())


def app_icon(size: int) -> QImage:
    """The app icon at ``size``: from the drawing made for that pixel grid, if there is one."""
    hinted = APP / f"incidentlog-{size}.svg"
    return render(hinted if hinted.exists() else APP / "incidentlog.svg", size)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write only when the bytes differ, so that a re-run leaves git status clean."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.write_bytes(data)
    return True


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding PNG-compressed entries (ICONDIR + ICONDIRENTRY[] + data)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))  # reserved, type 1 = icon, count
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for size in sizes:
        blob = pngs[size]
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset)
        blobs += blob
        offset += len(blob)
    return header + entries + blobs


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns: 'icns' + total length, then (OSType, length, PNG) elements."""
    body = b"".join(
        ostype + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for ostype, size in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def read_back(path: Path, fmt: bytes, expected: Iterable[int]) -> None:
    """Open a container with Qt's plugin and check it holds the sizes we wrote."""
    reader = QImageReader(str(path), QByteArray(fmt))
    if not reader.canRead():
        raise SystemExit(f"{path}: Qt's {fmt.decode()} plugin cannot read what was written")
    found: set[int] = set()
    for index in range(reader.imageCount()):
        reader.jumpToImage(index)
        image = reader.read()
        if image.isNull() or image.width() != image.height():
            raise SystemExit(f"{path}: image {index} is unreadable: {reader.errorString()}")
        found.add(image.width())
    missing = set(expected) - found
    if missing:
        raise SystemExit(f"{path}: Qt reads sizes {sorted(found)}; missing {sorted(missing)}")


def dark_variant(svg_text: str) -> str:
    text = svg_text
    for light, dark in PALETTE.items():
        text = text.replace(light, dark)
    return text.replace("for light palettes", "for dark palettes (generated by "
                        "packaging/icons.py from actions/light/; do not edit)")


def build() -> list[Path]:
    """Write every derived icon; return the files that changed."""
    changed: list[Path] = []
    pngs = {size: png_bytes(app_icon(size)) for size in sorted({*PNG_SIZES, 1024})}
    for size in PNG_SIZES:
        path = APP / f"incidentlog-{size}.png"
        if write_if_changed(path, pngs[size]):
            changed.append(path)
    ico = APP / "incidentlog.ico"
    if write_if_changed(ico, ico_bytes({size: pngs[size] for size in ICO_SIZES})):
        changed.append(ico)
    read_back(ico, b"ico", ICO_SIZES)
    icns = APP / "incidentlog.icns"
    if write_if_changed(icns, icns_bytes(pngs)):
        changed.append(icns)
    if b"icns" in QImageReader.supportedImageFormats():
        read_back(icns, b"icns", {size for _, size in ICNS_TYPES})
    else:
        print("note: this Qt has no icns plugin; incidentlog.icns was written but not read back")
    sources = sorted(LIGHT.glob("*.svg"))
    if not sources:
        raise SystemExit(f"no toolbar icons in {LIGHT}")
    DARK.mkdir(parents=True, exist_ok=True)
    for source in sources:
        if not QSvgRenderer(str(source)).isValid():
            raise SystemExit(f"{source}: not a valid SVG for Qt")
        target = DARK / source.name
        if write_if_changed(target, dark_variant(source.read_text("utf-8")).encode("utf-8")):
            changed.append(target)
    for stale in sorted(set(DARK.glob("*.svg")) - {DARK / s.name for s in sources}):
        stale.unlink()
        changed.append(stale)
    return changed


def preview(folder: Path) -> list[Path]:
    """Contact sheets: every icon on light and dark backgrounds, at 1× and 2×."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    names = sorted(p.stem for p in LIGHT.glob("*.svg"))
    for theme, background, text, icons in (
        ("light", "#f3f3f3", "#202020", LIGHT),
        ("dark", "#2a2a2a", "#e8e8e8", DARK),
    ):
        width = 40 + 88 * max(len(names), len(PNG_SIZES))
        sheet = QImage(width, 460, QImage.Format.Format_ARGB32)
        sheet.fill(QColor(background))
        painter = QPainter(sheet)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor(text))
        painter.setFont(QFont("sans", 8))
        x = 20
        for size in PNG_SIZES[:-1]:  # the 512 px would not fit; 256 shows the drawing
            image = QImage(str(APP / f"incidentlog-{size}.png"))
            painter.drawImage(x, 20 + 256 - size, image)
            x += size + 12
        for row, scale in enumerate((1, 2)):
            y = 300 + row * 80
            for column, name in enumerate(names):
                x = 20 + column * 88
                painter.drawImage(x, y, render(icons / f"{name}.svg", 24 * scale))
                painter.drawText(x, y + 24 * scale + 12, name[:14])
        painter.end()
        path = folder / f"icons-on-{theme}.png"
        sheet.save(str(path))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preview", type=Path, metavar="FOLDER",
                        help="also write contact sheets on light and dark backgrounds here")
    args = parser.parse_args(argv)
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    changed = build()
    for path in changed:
        print(f"wrote {path.relative_to(ROOT)}")
    if not changed:
        print("icons are up to date")
    if args.preview:
        for path in preview(args.preview):
            print(f"preview {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
