"""The briefing report's PDF (read back with poppler), its timeline picture, and the
Export ▸ Export as entries and command that write the briefing formats."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QFileDialog
from sample_data import DialogRecorder, build_window, make_database

from incidentlog import cli
from incidentlog.domain.errors import Cancelled
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Count, Incident, Quote
from incidentlog.domain.when import parse_local
from incidentlog.gui.briefing_pdf import export_pdf
from incidentlog.gui.exchange_dialogs import ExportDialog
from incidentlog.gui.main_window import MainWindow
from incidentlog.gui.timeline.report_picture import PICTURE_SIZE, timeline_picture
from incidentlog.gui.workers import TaskRunner
from incidentlog.services import Services
from incidentlog.store.database import open_database

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

ARABIC_TITLE = "هجوم صاروخي على قاعدة عين الأسد"
ARABIC_QUOTE = "لقد تم اعتراض معظم الصواريخ"


def poppler(tool: str) -> str:
    """The poppler tool's path; the test fails (never skips) without it."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: install poppler-utils (apt-get install poppler-utils; "
                    ".ci/run does) to check the PDF reports")
    return path


def pdf_text(pdf: Path) -> str:
    """The PDF's text as pdftotext reads it, Arabic presentation forms folded (NFKC)."""
    done = subprocess.run([poppler("pdftotext"), "-enc", "UTF-8", str(pdf), "-"],
                          capture_output=True, check=True, timeout=120)
    text = unicodedata.normalize("NFKC", done.stdout.decode("utf-8"))
    # pdftotext marks right-to-left runs with embedding controls: not text.
    text = re.sub("[\u202a-\u202e\u200e\u200f]", "", text)
    return " ".join(text.split())  # lines wrapped where the page ended them


def page_images(pdf: Path, tmp_path: Path, first: int, last: int) -> list[QImage]:
    prefix = tmp_path / "page"
    subprocess.run([poppler("pdftoppm"), "-r", "40", "-png", "-f", str(first), "-l", str(last),
                    str(pdf), str(prefix)], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == last - first + 1
    return [QImage(str(page)) for page in pages]


def ink(image: QImage) -> int:
    """How many of a coarse grid of pixels are not white."""
    return sum(QColor(image.pixel(x, y)).lightness() < 200
               for x in range(0, image.width(), 4) for y in range(0, image.height(), 4))


def add_arabic_incident(db_path: Path) -> None:
    with open_database(db_path) as database:
        services = Services(database, actor="tester")
        incident = services.incidents.create(Incident(
            title=ARABIC_TITLE, summary="أطلقت عدة صواريخ <script>alert(1)</script>",
            occurred=parse_local("2024-03-03 18:30", "Asia/Baghdad"), country="IQ",
            event_type="rocket attack", killed=Count.at_least(3))).record
        services.quotes.create(Quote(text=ARABIC_QUOTE, speaker="المتحدث العسكري",
                                     incident_uid=incident.uid))


def block_edges(pdf: Path, holds: Callable[[str], bool]) -> tuple[float, float, float]:
    """(left, right, page width) in points of the first text block of which a word ``holds``.

    pdftotext gives the words of right-to-left text letter by letter, in visual order;
    a block is a paragraph as laid out, so its edges say how it was aligned.
    """
    done = subprocess.run([poppler("pdftotext"), "-bbox-layout", str(pdf), "-"],
                          capture_output=True, check=True, timeout=120)
    markup = unicodedata.normalize("NFKC", done.stdout.decode("utf-8"))
    width = float(re.search(r'<page width="([\d.]+)"', markup).group(1))  # type: ignore[union-attr]
    for block in re.finditer(r'<block xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>'
                             r"(.*?)</block>", markup, re.S):
        if any(holds(word) for word in re.findall(r"<word[^>]*>([^<]*)</word>", block.group(3))):
            return float(block.group(1)), float(block.group(2)), width
    raise AssertionError("no such block in the PDF")


def arabic(word: str) -> bool:
    return any("\u0600" <= character <= "\u06ff" for character in word)


def test_the_timeline_picture_shows_the_reports_incidents(qapp, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_database(db_path)
    with open_database(db_path) as database:
        services = Services(database)
        picture = QImage.fromData(timeline_picture(services, None))
        syria = QImage.fromData(timeline_picture(services, IncidentFilter(countries=("SY",))))
    assert picture.size() == PICTURE_SIZE and syria.size() == PICTURE_SIZE
    assert ink(picture) > 0 and ink(syria) > 0 and picture != syria


def test_the_pdf_report_reads_back_with_its_summary_timeline_and_rtl_text(
        qtbot, db_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_database(db_path)
    add_arabic_incident(db_path)
    out = tmp_path / "briefing.pdf"
    with open_database(db_path) as database:
        services = Services(database)
        report = export_pdf(services, out, timeline_png=timeline_picture(services, None),
                            title="Weekly briefing")
    assert report.incidents == 6 and out.read_bytes().startswith(b"%PDF-")
    assert out.stat().st_mode & 0o077 == 0
    text = pdf_text(out)
    for expected in ("Weekly briefing", "The whole log", "Summary", "Timeline",
                     "Ballistic missiles and rockets fired at al-Assad Airbase",
                     "Killed: at least", "Reliability:", ARABIC_TITLE, ARABIC_QUOTE,
                     "<script>alert(1)</script>"):
        # pdftotext joins a word hyphenated at a line's end ("al-\nAssad" → "alAssad").
        assert expected.replace("-", "") in text.replace("-", ""), expected
    assert re.search(r"\b1 ?/ ?\d\b", text)  # page numbers
    # The Arabic heading is laid out right to left: it ends at the right margin (15 mm,
    # 42.5 points) and starts well inside; an English heading starts at the left margin.
    left, right, width = block_edges(out, arabic)
    assert right == pytest.approx(width - 42.5, abs=3) and left > 42.5 + 20
    left, right, width = block_edges(out, lambda word: word == "Ballistic")
    assert left == pytest.approx(42.5, abs=3)
    title_page, summary_page = page_images(out, tmp_path, 1, 2)
    assert 0 < ink(title_page) < ink(summary_page)  # the summary page holds the timeline


def test_a_cancelled_pdf_leaves_no_file(qapp, db_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_database(db_path)
    out = tmp_path / "briefing.pdf"
    with open_database(db_path) as database, pytest.raises(Cancelled):
        export_pdf(Services(database), out, cancel=lambda: True)
    assert not out.exists() and not list(tmp_path.glob(".briefing.pdf.*"))


def test_export_as_report_from_the_menu_writes_the_pdf_off_the_gui_thread(
        qtbot, monkeypatch: pytest.MonkeyPatch, db_path: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
        ) -> None:
    dialogs = DialogRecorder().install(monkeypatch)
    make_database(db_path)
    window: MainWindow = build_window(qtbot, ["--db", str(db_path)], runner=TaskRunner())  # type: ignore[assignment]
    out = tmp_path / "briefing"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *_a, **_k: (str(out), "")))
    assert window.actionExportReport in window.findChild(type(window.menuBar().actions()[0]
                                                              .menu()), "menuExportAs").actions()
    window.actionExportReport.trigger()
    dialog = window.findChild(ExportDialog)
    assert isinstance(dialog, ExportDialog)
    qtbot.addWidget(dialog)
    assert dialog.format == "pdf" and dialog.template_edit.isVisibleTo(dialog)
    assert dialog.report_title_edit.isVisibleTo(dialog)
    qtbot.keyClicks(dialog.report_title_edit, "Desk briefing: Syria <b>week 4</b>")
    dialog.browse_button.click()
    with qtbot.waitSignal(dialog.exportFinished, timeout=60_000) as finished:
        dialog.export_button.click()
    assert not isinstance(finished.args[0], BaseException), finished.args[0]
    pdf = tmp_path / "briefing.pdf"  # the suffix is added
    assert "Failed rocket strike on coalition base in Syria" in pdf_text(pdf)
    assert "Desk briefing: Syria <b>week 4</b>" in pdf_text(pdf)  # the title, as text
    assert "Exported 5 incidents" in dialogs.of("information")[-1][2]
    dialog = window.exchange_flow.export_dialog(fmt="ics")
    assert isinstance(dialog, ExportDialog)
    qtbot.addWidget(dialog)
    assert dialog.format == "ics" and not dialog.template_edit.isVisibleTo(dialog)
    assert not dialog.report_title_edit.isVisibleTo(dialog)


def test_the_export_command_writes_every_briefing_format(
        qapp, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    make_database(db_path)
    for fmt in ("timelinejs", "ics", "html", "pdf"):
        out = tmp_path / f"iraq.{fmt}"
        code = cli.main(["--db", str(db_path), "export", "--format", fmt, "--out", str(out),
                         "--country", "IQ", "--title", "Iraq briefing"])
        assert code == 0, capsys.readouterr().err
        assert f"Exported 3 incidents to {out}" in capsys.readouterr().out
    events = json.loads((tmp_path / "iraq.timelinejs").read_text("utf-8"))["events"]
    assert len(events) == 3
    assert (tmp_path / "iraq.ics").read_bytes().count(b"BEGIN:VEVENT") == 3
    html = (tmp_path / "iraq.html").read_text("utf-8")
    assert "Iraq briefing" in html and 'src="data:image/png;base64,' in html
    text = pdf_text(tmp_path / "iraq.pdf")
    assert "Iraq briefing" in text and "Countries: Iraq" in text
    assert "Failed rocket strike on coalition base in Syria" not in text
    template = tmp_path / "desk.html"
    template.write_text("<h1>{{ title }}</h1>{{ entries|length }} incidents", "utf-8")
    code = cli.main(["--db", str(db_path), "export", "--format", "html", "--out",
                     str(tmp_path / "desk-out.html"), "--template", str(template)])
    assert code == 0
    written = (tmp_path / "desk-out.html").read_text("utf-8")
    assert written == "<h1>Incident briefing</h1>5 incidents"
