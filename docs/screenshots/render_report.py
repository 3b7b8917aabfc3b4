"""Render ``report-page.png``: a page of the PDF briefing report, as poppler draws it.

Loads the demo data set and an Arabic incident (to show right-to-left text) into a
temporary database, writes the PDF report with ``incidentlog export --format pdf``
(offscreen), and renders its page 2 (the summary and the timeline) and page 5 (the
Arabic incident) with ``pdftoppm`` (poppler-utils), side by side.

Run from a checkout: ``python docs/screenshots/render_report.py [--out FOLDER]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent


def _database(folder: Path) -> Path:
    from incidentlog.domain.records import Count, Incident, Quote
    from incidentlog.domain.when import parse_local
    from incidentlog.exchange import import_json
    from incidentlog.services import Services
    from incidentlog.store.database import open_database

    path = folder / "demo.sqlite3"
    demo = HERE.parents[1] / "resources" / "demo" / "demo.json"
    with open_database(path) as database:
        services = Services(database, actor="demo")
        import_json(services, demo)
        incident = services.incidents.create(Incident(
            title="هجوم صاروخي على قاعدة عين الأسد",
            summary="أطلقت عدة صواريخ على القاعدة الجوية، واعترضت الدفاعات معظمها.",
            occurred=parse_local("2024-03-03 18:30", "Asia/Baghdad"), country="IQ",
            place="عين الأسد", event_type="rocket attack", killed=Count.at_least(3))).record
        services.quotes.create(Quote(text="لقد تم اعتراض معظم الصواريخ",
                                     speaker="المتحدث العسكري", speaker_role="متحدث",
                                     incident_uid=incident.uid))
    return path


def render(out: Path) -> Path:
    from PySide6.QtGui import QImage, QPainter

    from incidentlog import cli

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        pdf = folder / "briefing.pdf"
        code = cli.main(["--db", str(_database(folder)), "export", "--format", "pdf",
                         "--out", str(pdf), "--title", "Incident briefing: demo data"])
        if code != 0:
            raise SystemExit(code)
        subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "2", "-l", "5", str(pdf),
                        str(folder / "page")], check=True)
        # The summary with the timeline, and the page with the Arabic incident.
        found = sorted(folder.glob("page-*.png"))
        pages = [QImage(str(path)) for path in (found[0], found[-1])]
        gap = 16
        width = sum(page.width() for page in pages) + gap * (len(pages) + 1)
        height = max(page.height() for page in pages) + 2 * gap
        image = QImage(width, height, QImage.Format.Format_RGB32)
        image.fill(0x9A9A9A)
        painter = QPainter(image)
        x = gap
        for page in pages:
            painter.drawImage(x, gap, page)
            x += page.width() + gap
        painter.end()
        target = out / "report-page.png"
        image.save(str(target))
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    print(render(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
