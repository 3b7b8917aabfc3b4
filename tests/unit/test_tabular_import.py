"""Tables in: CSV and spreadsheets through a column mapping, ACLED both ways, hostile input."""

from __future__ import annotations

import codecs
import csv
import io
import tracemalloc
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from incidentlog.domain.enums import CountQualifier, GeoPrecision, TimePrecision
from incidentlog.domain.errors import ExchangeError
from incidentlog.domain.records import Count, Incident
from incidentlog.domain.when import Moment
from incidentlog.exchange import export_csv
from incidentlog.exchange.tabular import (
    ColumnMapping,
    builtin_mapping,
    guess_mapping,
    import_table,
    load_mapping,
    preview_table,
    save_mapping,
)
from incidentlog.exchange.tabular.acled import export_acled
from incidentlog.exchange.tabular.builtin import ACLED_COLUMNS
from incidentlog.exchange.tabular.dates import parse_when
from incidentlog.exchange.tabular.mapping import mapping_from_json
from incidentlog.exchange.tabular.reading import detect_encoding, open_table
from incidentlog.services import Services
from incidentlog.store.database import open_database
from incidentlog.store.schema import incident_table

ACLED_SAMPLE = Path(__file__).parent / "data" / "acled_sample.csv"
SIMPLE = ColumnMapping(
    columns={"date": "occurred", "title": "title", "country": "country", "killed": "killed"}
)


def incidents(services: Services) -> list[Incident]:
    query = services.incident_query
    return sorted(query.by_ids(query.ids()).values(), key=lambda i: i.title or "")


def count(services: Services) -> int:
    with services.database.read() as connection:
        return int(connection.execute(select(func.count()).select_from(incident_table)).scalar())


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# --- incidentlog's own CSV export comes back ----------------------------------------------


def fill(services: Services) -> None:
    create = services.incidents.create
    create(Incident(
        title="=cmd|' /C calc'!A0", summary="قصف على البلدة\nsecond line",
        occurred=Moment.from_local(datetime(2024, 1, 20, 18, 30), TimePrecision.MINUTE,
                                   "Asia/Baghdad", approximate=True),
        country="IQ", admin1="Al Anbar", latitude=-33.1, longitude=42.44, launched=10,
        intercepted=8, killed=Count.at_least(5), injured=Count.about(3), confidence=2,
        geo_precision=GeoPrecision.NEAR, tags=("interception", "us forces"),
    ))
    for precision, wall, tz in (
        (TimePrecision.HOUR, datetime(2024, 2, 1, 7), "Asia/Damascus"),
        (TimePrecision.WEEK, datetime(2024, 2, 7), "UTC"),
        (TimePrecision.MONTH, datetime(2024, 3, 1), "Asia/Tehran"),
        (TimePrecision.YEAR, datetime(2023, 1, 1), "Asia/Beirut"),
    ):
        create(Incident(title=f"at {precision.value} precision",
                        occurred=Moment.from_local(wall, precision, tz)))


def test_the_csv_export_imports_back_and_exports_the_same(
    services: Services, tmp_path: Path
) -> None:
    fill(services)
    export_csv(services, tmp_path / "one")
    other = open_database(tmp_path / "other.sqlite3")
    try:
        again = Services(other, actor="other")
        report = import_table(again, tmp_path / "one" / "incidents.csv",
                              builtin_mapping("incidentlog"))  # type: ignore[arg-type]
        assert report.incidents.added == 5
        assert report.path == tmp_path / "one" / "incidents.csv"
        export_csv(again, tmp_path / "two")
        first = (tmp_path / "one" / "incidents.csv").read_bytes()
        assert (tmp_path / "two" / "incidents.csv").read_bytes() == first
        # The same file once more: the same uids and content, nothing changes.
        report = import_table(again, tmp_path / "one" / "incidents.csv",
                              builtin_mapping("incidentlog"))  # type: ignore[arg-type]
        assert (report.incidents.added, report.incidents.unchanged) == (0, 5)
    finally:
        other.close()


# --- ACLED ---------------------------------------------------------------------------------


def test_an_acled_file_imports_with_its_codes_translated(services: Services) -> None:
    mapping = builtin_mapping("acled")
    assert mapping is not None
    report = import_table(services, ACLED_SAMPLE, mapping)
    assert (report.incidents.added, report.sources.added) == (4, 4)
    by_ref = {i.ref: i for i in incidents(services)}
    strike = by_ref["IRQ90001"]
    assert strike.title == "Air/drone strike in Al Qaim"
    assert strike.event_type == "Air/drone strike"
    assert "explosions/remote violence" in strike.tags  # tags are kept in lower case
    assert strike.perpetrator == "Military Forces of the United States (2021-)"
    assert strike.target == "Kataib Hezbollah"
    assert strike.attribution.value == "attributed"
    assert (strike.country, strike.admin1, strike.place) == ("IQ", "Al Anbar", "Al Qaim")
    assert (strike.latitude, strike.longitude) == (34.3721, 41.0917)
    assert strike.geo_precision is GeoPrecision.SITE
    assert strike.killed == Count(2, CountQualifier.AT_LEAST)
    assert '"more feared"' in (strike.summary or "")
    assert strike.occurred is not None and strike.occurred.precision is TimePrecision.DAY
    assert by_ref["IRQ90002"].occurred.precision is TimePrecision.WEEK  # type: ignore[union-attr]
    assert by_ref["IRQ90002"].geo_precision is GeoPrecision.NEAR
    assert by_ref["SYR90003"].occurred.precision is TimePrecision.MONTH  # type: ignore[union-attr]
    assert by_ref["SYR90003"].geo_precision is GeoPrecision.REGION
    protest = by_ref["IRQ90004"]  # "20 February 2024", as ACLED's spreadsheets write it
    assert protest.occurred.local().date().isoformat() == "2024-02-20"  # type: ignore[union-attr]
    assert protest.target is None
    # Importing it again changes nothing: the uids come from ACLED's event ids.
    report = import_table(services, ACLED_SAMPLE, mapping)
    assert (report.incidents.added, report.incidents.unchanged) == (0, 4)


def test_the_acled_export_has_acleds_layout_and_reads_back(
    services: Services, tmp_path: Path
) -> None:
    mapping = builtin_mapping("acled")
    assert mapping is not None
    import_table(services, ACLED_SAMPLE, mapping)
    target = tmp_path / "acled.csv"
    report = export_acled(services, target)
    assert report.incidents == 4
    assert not target.read_bytes().startswith(codecs.BOM_UTF8)
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == ACLED_COLUMNS
    with ACLED_SAMPLE.open(encoding="utf-8", newline="") as handle:
        original = {row["event_id_cnty"]: row for row in csv.DictReader(handle)}
    for row in rows:
        source = original[row["event_id_cnty"]]
        for column in ("time_precision", "event_type", "sub_event_type", "actor1", "actor2",
                       "iso", "country", "admin1", "location", "latitude", "longitude",
                       "geo_precision", "notes", "fatalities", "year"):
            assert row[column] == source[column], (row["event_id_cnty"], column)
    assert {row["event_date"] for row in rows} >= {"2024-01-20", "2024-02-20"}


# --- encodings, ragged rows, formulas ------------------------------------------------------

ARABIC = "date,title,country,killed\r\n2024-01-20,قصف على الموصل,IQ,3\r\n2024-01-21,هجوم,SY,\r\n"
FRENCH = "date,title,country,killed\r\n2024-01-20,Frappe à Alep,SY,2\r\n2024-01-21,Théâtre,SY,1\r\n"


@pytest.mark.parametrize(
    ("text", "encoding", "bom", "detected"),
    [
        (ARABIC, "utf-8", b"", "utf-8"),
        (ARABIC, "utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        (ARABIC, "utf-16-le", codecs.BOM_UTF16_LE, "utf-16"),
        (ARABIC, "utf-16-be", codecs.BOM_UTF16_BE, "utf-16"),
        (ARABIC, "utf-16-le", b"", "utf-16-le"),
        (ARABIC, "cp1256", b"", "cp1256"),
        (FRENCH, "cp1252", b"", "cp1252"),
    ],
)
def test_encodings_are_detected(
    services: Services, tmp_path: Path, text: str, encoding: str, bom: bytes, detected: str
) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(bom + text.encode(encoding))
    assert detect_encoding(path.read_bytes()) == detected
    import_table(services, path, SIMPLE)
    expected = sorted(line.split(",")[1] for line in text.splitlines()[1:])
    assert [i.title for i in incidents(services)] == expected


def test_bytes_of_another_encoding_late_in_the_file_are_refused(
    services: Services, tmp_path: Path
) -> None:
    # The first MiB is plain ASCII (read as UTF-8); Windows-1256 Arabic comes after it.
    title = "x" * 1000
    filler = "".join(f"2024-01-20,{title} {n},IQ,1\r\n" for n in range(1100))
    path = tmp_path / "late.csv"
    path.write_bytes(("date,title,country,killed\r\n" + filler).encode()
                     + "2024-01-22,قصف,IQ,1\r\n".encode("cp1256"))
    with pytest.raises(ExchangeError, match=r"not utf-8.*encoding"):
        import_table(services, path, SIMPLE)
    assert count(services) == 0
    with open_table(path, "cp1256") as table:  # the encoding the mapping can name
        *_, (line, cells) = table.rows
    assert (line, cells[1]) == (1102, "قصف")


def test_ragged_rows_are_reported_by_row_and_nothing_is_imported(
    services: Services, tmp_path: Path
) -> None:
    path = write(tmp_path / "ragged.csv", "date,title,country,killed\n2024-01-20,fine,IQ,1\n"
                 "2024-01-21,short,IQ\n2024-01-22,long,IQ,1,extra\n2024-01-23,fine too,IQ,0\n")
    preview = preview_table(path, SIMPLE)
    assert [bool(row.problems) for row in preview.rows] == [False, True, True, False]
    with pytest.raises(ExchangeError) as caught:
        import_table(services, path, SIMPLE)
    message = str(caught.value)
    assert "2 rows cannot be imported" in message
    assert "row 3: has 3 cells where the header has 4" in message
    assert "row 4: has 5 cells" in message
    assert count(services) == 0


@pytest.mark.parametrize("cell", ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
                                  '=HYPERLINK("http://evil.example","x")'])
def test_formula_cells_are_text(services: Services, tmp_path: Path, cell: str) -> None:
    out = io.StringIO()
    csv.writer(out).writerows([["date", "title", "country", "killed"],
                               ["2024-01-20", cell, "IQ", "1"]])
    path = write(tmp_path / "formula.csv", out.getvalue())
    import_table(services, path, SIMPLE)
    assert [i.title for i in incidents(services)] == [cell]


def test_duplicate_rows_are_named_by_row(services: Services, tmp_path: Path) -> None:
    path = write(tmp_path / "twice.csv",
                 "date,title,country,killed\n2024-01-20,same,IQ,1\n2024-01-20,same,IQ,1\n")
    with pytest.raises(ExchangeError, match="row 3"):
        import_table(services, path, SIMPLE)
    assert count(services) == 0


def test_a_dry_run_and_a_read_only_database_write_nothing(
    services: Services, tmp_path: Path
) -> None:
    path = write(tmp_path / "t.csv", "date,title,country,killed\n2024-01-20,x,IQ,1\n")
    report = import_table(services, path, SIMPLE, dry_run=True)
    assert report.dry_run and report.incidents.added == 1
    assert count(services) == 0
    services.database.close()
    read_only = open_database(services.database.path, read_only=True)  # type: ignore[arg-type]
    try:
        with pytest.raises(ExchangeError, match="read-only"):
            import_table(Services(read_only), path, SIMPLE)
    finally:
        read_only.close()


# --- guessing, dates, mappings ------------------------------------------------------------


def test_the_mapping_is_guessed_from_arabic_and_english_headers_and_content() -> None:
    header = ["التاريخ", "العنوان", "المحافظة", "القتلى", "Wounded", "c1", "c2", "c3", "c4"]
    sample = [["2024-01-20", "x", "نينوى", "3", "1", "IQ", "https://a.example/1",
               "36.3456", "43.1234"]] * 5
    mapping = guess_mapping(header, sample)
    assert mapping.columns == {
        "التاريخ": "occurred", "العنوان": "title", "المحافظة": "admin1", "القتلى": "killed",
        "Wounded": "injured", "c1": "country", "c2": "source_url", "c3": "latitude",
        "c4": "longitude",
    }
    assert guess_mapping(list(ACLED_COLUMNS), []) == builtin_mapping("acled")
    month_first = guess_mapping(["Date", "Title"], [["01/25/2024", "x"], ["02/03/2024", "y"]])
    assert month_first.date_format == "%m/%d/%Y"


@pytest.mark.parametrize(
    ("text", "date_format", "local", "precision"),
    [
        ("2024-01-20", "auto", "2024-01-20 00:00", TimePrecision.DAY),
        ("20/01/2024", "auto", "2024-01-20 00:00", TimePrecision.DAY),
        ("٢٠/٠١/٢٠٢٤", "auto", "2024-01-20 00:00", TimePrecision.DAY),
        ("2024-01-20T15:30:00Z", "auto", "2024-01-20 18:30", TimePrecision.MINUTE),
        ("2024-01-20 18:30", "auto", "2024-01-20 18:30", TimePrecision.MINUTE),
        ("January 2024", "auto", "2024-01-01 00:00", TimePrecision.MONTH),
        ("01/25/2024", "%m/%d/%Y", "2024-01-25 00:00", TimePrecision.DAY),
        ("2024.01.20 18h", "%Y.%m.%d %Hh", "2024-01-20 18:00", TimePrecision.HOUR),
    ],
)
def test_dates_are_read_in_the_zone_at_their_precision(
    text: str, date_format: str, local: str, precision: TimePrecision
) -> None:
    moment = parse_when(text, date_format, "Asia/Baghdad")
    assert moment.local().strftime("%Y-%m-%d %H:%M") == local
    assert moment.precision is precision and moment.tz == "Asia/Baghdad"


def test_a_mapping_is_saved_and_loaded(tmp_path: Path) -> None:
    mapping = ColumnMapping(columns={"التاريخ": "occurred", "Dead": "killed"}, name="desk",
                            date_format="%d/%m/%Y", tz="Asia/Baghdad",
                            values={"geo_precision": {"1": "site"}}, count_qualifier="about")
    save_mapping(mapping, tmp_path / "m.json")
    assert load_mapping(tmp_path / "m.json") == mapping
    assert (tmp_path / "m.json").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"format": "other"}, "not a column mapping"),
        ({"format": "incidentlog-mapping", "columns": {"a": "bogus"}}, "bogus: not a field"),
        ({"format": "incidentlog-mapping", "tz": "Mars/Olympus"}, "not an IANA time zone"),
        ({"format": "incidentlog-mapping", "columns": ["a"]}, "must map each header"),
        ({"format": "incidentlog-mapping", "count_qualifier": "many"}, "count_qualifier"),
    ],
)
def test_a_bad_mapping_says_what_is_wrong(data: object, message: str) -> None:
    with pytest.raises(ExchangeError, match=message):
        mapping_from_json(data)


# --- spreadsheets ----------------------------------------------------------------------------


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    """A minimal .xlsx (inline strings), as a spreadsheet program writes its parts."""
    def cell(value: str) -> str:
        escaped = value.replace("&", "&amp;").replace("<", "&lt;")
        return f'<c t="inlineStr"><is><t>{escaped}</t></is></c>'

    sheet = "".join(f"<row>{''.join(cell(v) for v in row)}</row>" for row in rows)
    ns = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{ns}/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/'
            'relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
            '</workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{ns}/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{ns}/spreadsheetml/2006/main"><sheetData>{sheet}</sheetData>'
            '</worksheet>'),
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + text)
    return path


def _ods(path: Path, rows: list[list[str]]) -> Path:
    office = "urn:oasis:names:tc:opendocument:xmlns"
    body = "".join(
        "<table:table-row>" + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{v}</text:p>'
            "</table:table-cell>" for v in row) + "</table:table-row>" for row in rows
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        f'xmlns:office="{office}:office:1.0" xmlns:table="{office}:table:1.0" '
        f'xmlns:text="{office}:text:1.0" office:version="1.2"><office:body>'
        f'<office:spreadsheet><table:table table:name="Sheet1">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:'
        'names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
        'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
        'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
        'manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return path


@pytest.mark.parametrize("make", [_xlsx, _ods])
def test_spreadsheets_are_read(services: Services, tmp_path: Path, make: object) -> None:
    rows = [["date", "title", "country", "killed"], ["2024-01-20", "=1+1", "IQ", "2"],
            ["2024-01-21", "قصف", "SY", "at least 1"]]
    suffix = ".xlsx" if make is _xlsx else ".ods"
    path = make(tmp_path / f"sheet{suffix}", rows)  # type: ignore[operator]
    report = import_table(services, path, SIMPLE)
    assert report.incidents.added == 2
    assert [i.title for i in incidents(services)] == ["=1+1", "قصف"]


def test_a_broken_spreadsheet_is_refused(services: Services, tmp_path: Path) -> None:
    path = write(tmp_path / "broken.xlsx", "not a zip")
    with pytest.raises(ExchangeError, match="not a readable spreadsheet"):
        import_table(services, path, SIMPLE)


# --- a large file streams --------------------------------------------------------------------


def _reading_peak(path: Path, rows: int) -> int:
    line = "2024-01-20,an incident with a longer title to fill the line,IQ,at least 3\r\n"
    path.write_text("date,title,country,killed\r\n" + line * rows, encoding="utf-8")
    tracemalloc.start()
    try:
        read = 0
        with open_table(path) as table:
            for _line, cells in table.rows:
                read += len(cells) == 4
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read == rows
    return peak


def test_a_csv_file_is_streamed_with_flat_memory(tmp_path: Path) -> None:
    # Four times the rows, the same peak: nothing is kept per row (bench/bench_tables.py
    # measures a 1 GB file through the whole import).
    small = _reading_peak(tmp_path / "small.csv", 20_000)
    large = _reading_peak(tmp_path / "large.csv", 80_000)
    assert (tmp_path / "large.csv").stat().st_size > 5_000_000
    assert large < small + 256 * 1024, (small, large)


def test_an_import_reports_progress_and_can_be_cancelled(
    services: Services, tmp_path: Path
) -> None:
    from incidentlog.domain.errors import Cancelled

    rows = "".join(f"2024-01-{1 + n % 28:02d},incident {n},IQ,{n % 5}\n" for n in range(300))
    path = write(tmp_path / "t.csv", "date,title,country,killed\n" + rows)
    with pytest.raises(Cancelled):
        import_table(services, path, SIMPLE, cancel=lambda: True)
    assert count(services) == 0
    seen: list[tuple[int, int]] = []
    import_table(services, path, SIMPLE, progress=lambda done, total: seen.append((done, total)))
    assert count(services) == 300
    assert seen and seen[-1][0] == seen[-1][1] > 0
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
