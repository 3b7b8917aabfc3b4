"""The CSV writer: any text reads back cell for cell, safely, and no bidi control gets through.

There is no CSV reader in the application (CSV is export only, docs/formats.md),
so the property is about the writer: whatever text a record holds, in any
field, Python's ``csv`` module reads the exported file back to the same
cells, except for the two documented, deliberate changes: a cell that a
spreadsheet would run as a formula gets a leading ``'`` (undone by
``unneutralize`` here), and the bidirectional embedding, override and
isolate controls U+202A–U+202E and U+2066–U+2069 are removed ("Trojan
Source": they can make a cell, or the cells after it, read in another order
than stored). Arabic and Hebrew text, which needs none of them, is untouched.

The records are written with SQL, as another tool might have, so that text
the services would trim or refuse (leading tabs, lone CRs, NULs) is exported
too.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, update

from incidentlog.domain.enums import TimePrecision
from incidentlog.domain.records import Incident, Quote, Source
from incidentlog.domain.when import Moment
from incidentlog.exchange import export_csv
from incidentlog.exchange.csv.columns import (
    BIDI_CONTROLS,
    FORMULA_TRIGGERS,
    csv_text,
    neutralize,
    strip_bidi,
)
from incidentlog.services import Services
from incidentlog.store.database import open_database
from incidentlog.store.schema import (
    incident_table,
    incident_tag_table,
    quote_table,
    source_table,
)

NINE = sorted(BIDI_CONTROLS)
NAMES = {
    "\u202a": "LRE", "\u202b": "RLE", "\u202c": "PDF", "\u202d": "LRO", "\u202e": "RLO",
    "\u2066": "LRI", "\u2067": "RLI", "\u2068": "FSI", "\u2069": "PDI",
}

#: Columns whose cell is the stored text as it is: (file, header) → (table, column).
INCIDENT_TEXT = {"Title": "title", "Place": "place", "Province": "admin1",
                 "Event type": "event_type", "Weapons": "weapons", "Perpetrator": "perpetrator",
                 "Target": "target", "Summary": "summary"}
SOURCE_TEXT = {"Title": "title", "Outlet": "outlet", "Author": "author", "Handle": "handle",
               "Excerpt": "excerpt", "Notes": "notes"}
QUOTE_TEXT = {"Speaker": "speaker", "Role": "speaker_role", "Organisation": "speaker_org",
              "Quote": "text", "Context": "context"}


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def unneutralize(cell: str) -> str:
    """What the user typed, from what a spreadsheet shows: the leading ``'`` taken off."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_TRIGGERS) else cell


def test_the_nine_bidi_controls() -> None:
    assert [f"U+{ord(c):04X}" for c in NINE] == [
        "U+202A", "U+202B", "U+202C", "U+202D", "U+202E",
        "U+2066", "U+2067", "U+2068", "U+2069",
    ]


def test_strip_bidi_and_csv_text() -> None:
    assert strip_bidi("a\u202eb\u2066c\u2069") == "abc"
    assert strip_bidi("plain ascii") == "plain ascii"
    # stripped, then neutralized
    assert csv_text("\u202e=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert csv_text("\u2067-5") == "'-5"
    assert neutralize("\u202e=1") == "\u202e=1"  # neutralize alone does not strip


# --- the export -------------------------------------------------------------------------------


@dataclass
class Log:
    services: Services
    folder: Path
    incident_id: int
    source_id: int
    quote_id: int


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    folder = tmp_path_factory.mktemp("fuzz-csv")
    database = open_database(folder / "log.sqlite3")
    services = Services(database, actor="tester")
    incident = services.incidents.create(
        Incident(title="Attack", occurred=Moment.from_local(
            datetime(2024, 1, 20, 18, 30), TimePrecision.MINUTE, "Asia/Baghdad"))
    ).record
    source = services.sources.create(Source(title="Report")).record
    services.incidents.link_source(incident.uid or "", source.uid or "", None)
    quote = services.quotes.create(
        Quote(text="Said", speaker="Someone", incident_uid=incident.uid, source_uid=source.uid)
    ).record
    yield Log(services, folder, incident.meta.id or 0, source.meta.id or 0, quote.meta.id or 0)
    database.close()


def put(log: Log, incident: dict[str, str], source: dict[str, str], quote: dict[str, str],
        tag: str) -> None:
    with log.services.database.write() as connection:
        connection.execute(
            update(incident_table).where(incident_table.c.id == log.incident_id).values(incident)
        )
        connection.execute(
            update(source_table).where(source_table.c.id == log.source_id).values(source)
        )
        connection.execute(
            update(quote_table).where(quote_table.c.id == log.quote_id).values(quote)
        )
        connection.execute(
            incident_tag_table.delete().where(incident_tag_table.c.incident_id == log.incident_id)
        )
        connection.execute(insert(incident_tag_table).values(incident_id=log.incident_id, tag=tag))


def export(log: Log, name: str) -> dict[str, dict[str, str]]:
    out = log.folder / name
    report = export_csv(log.services, out)
    assert (report.incidents, report.sources, report.quotes) == (1, 1, 1)
    for file in ("incidents.csv", "sources.csv", "quotes.csv"):
        text = (out / file).read_text(encoding="utf-8-sig")
        assert not BIDI_CONTROLS & set(text), f"a bidi control in {file}"
    return {
        "incident": read(out / "incidents.csv")[0],
        "source": read(out / "sources.csv")[0],
        "quote": read(out / "quotes.csv")[0],
    }


#: Any text (no lone surrogates: SQLite stores UTF-8, so no record can hold one), with
#: what CSV and spreadsheets treat specially made likely.
TEXT = st.text(
    st.characters(exclude_categories=("Cs",)) | st.sampled_from(
        [*NINE, *FORMULA_TRIGGERS, '"', ",", ";", "\n", "\r", "'", "\ufeff", "\u200e", "\u200f",
         "\u061c", "ه", "ש", " "]
    ),
    max_size=30,
) | st.sampled_from([
    "", "=1+1", '=HYPERLINK("http://evil.example","click")', "\u202e=1+1", "-5 injured",
    "+1", "@SUM(A1)", "\t=x", "\r\n", "'=already", "\u2067\u202eexe.txt\u2069",
    "هجوم صاروخي على قاعدة عين الأسد", "התקפת רקטות על הבסיס", "Ataque — “quoted”, \"twice\"",
])


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    incident=st.fixed_dictionaries(dict.fromkeys(INCIDENT_TEXT.values(), TEXT)),
    source=st.fixed_dictionaries(dict.fromkeys(SOURCE_TEXT.values(), TEXT)),
    quote=st.fixed_dictionaries(dict.fromkeys(QUOTE_TEXT.values(), TEXT)),
    tag=TEXT.filter(bool),
)
def test_any_text_in_any_field_reads_back_cell_for_cell(
    log: Log, incident: dict[str, str], source: dict[str, str], quote: dict[str, str], tag: str
) -> None:
    put(log, incident, source, quote, tag)
    rows = export(log, "out")
    for kind, values, columns in (
        ("incident", incident, INCIDENT_TEXT),
        ("source", source, SOURCE_TEXT),
        ("quote", quote, QUOTE_TEXT),
    ):
        for header, column in columns.items():
            cell, stored = rows[kind][header], values[column]
            assert cell == csv_text(stored), (kind, header)
            if not (stored.startswith("'") and stored[1:].startswith(FORMULA_TRIGGERS)):
                assert unneutralize(cell) == strip_bidi(stored), (kind, header)
    assert rows["incident"]["Tags"] == csv_text(tag)
    assert rows["quote"]["Source"] == csv_text(source["title"] or "")


@pytest.mark.parametrize("control", NINE, ids=[NAMES[c] for c in NINE])
def test_each_bidi_control_is_removed_from_every_text_cell(log: Log, control: str) -> None:
    """``"5 killed" + RLO + "...01"`` would show its digits reversed: the control goes."""
    title = f"Attack{control} on the base{control}"
    put(log, {"title": title, "summary": f"{control}=1+1"},
        {"title": f"{control}Report", "notes": f"0 {control}killed 05"},
        {"text": f"quote{control}", "speaker": control}, f"tag{control}")
    rows = export(log, f"bidi-{NAMES[control]}")
    assert rows["incident"]["Title"] == "Attack on the base"
    assert rows["incident"]["Summary"] == "'=1+1"  # stripped first, then neutralized
    assert rows["incident"]["Tags"] == "tag"
    assert rows["incident"]["Sources"] == "Report"
    assert rows["source"]["Title"] == "Report"
    assert rows["source"]["Notes"] == "0 killed 05"
    assert rows["quote"]["Quote"] == "quote"
    assert rows["quote"]["Speaker"] == ""
    assert rows["quote"]["Source"] == "Report"


@pytest.mark.parametrize(
    "text",
    [
        "هجوم صاروخي على قاعدة عين الأسد في محافظة الأنبار",
        "اصابة ٥ جنود في هجوم بطائرة مسيرة",  # Arabic-Indic digits
        "حمله پهپادی به پایگاه\u200cها",  # Persian, with a zero-width non-joiner
        "התקפת רקטות על בסיס אל-אסד",
        "CENTCOM: \u200fهجوم\u200f on al-Assad (10 rockets)",  # with RLMs: marks are kept
        "\u061c١٠ صواريخ",  # ALM, the Arabic letter mark, is kept too
    ],
)
def test_arabic_hebrew_and_persian_text_is_untouched(log: Log, text: str) -> None:
    put(log, {"title": text, "summary": text}, {"title": text}, {"text": text}, text)
    rows = export(log, "rtl")
    assert rows["incident"]["Title"] == text
    assert rows["incident"]["Summary"] == text
    assert rows["incident"]["Tags"] == text
    assert rows["source"]["Title"] == text
    assert rows["quote"]["Quote"] == text
