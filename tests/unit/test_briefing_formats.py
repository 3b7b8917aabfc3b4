"""TimelineJS, iCalendar and the HTML briefing: their formats, precisions, escaping and sums."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from icalendar import Calendar
from sqlalchemy import update

from incidentlog.domain.enums import Reliability, SourceKind, Status
from incidentlog.domain.errors import ExchangeError
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Count, Incident, Quote, Source
from incidentlog.domain.when import Moment, parse_local
from incidentlog.exchange.briefing import export_html, export_ics, export_timelinejs
from incidentlog.exchange.briefing.summary import Tally, describe_filter, text_direction
from incidentlog.services import Services
from incidentlog.store.schema import source_table

HOSTILE = "<script>alert('x')</script> & <b>bold</b>"
ARABIC = "هجوم صاروخي على قاعدة عين الأسد"

# --- TimelineJS's JSON format, as its documentation describes it ------------------------
# A timeline: "events" (required, slides), "title" (a slide), "eras", "scale" ("human" or
# "cosmological"). A slide: "start_date" (required but for the title), "end_date",
# "text" {headline, text}, "media" {url (required), caption, credit, thumbnail, alt, title,
# link, link_target}, "group", "display_date", "background", "autolink", "unique_id".
# A date: "year" (required, a number), "month", "day", "hour", "minute", "second",
# "millisecond", "display_date", "format".
_DATE = {
    "type": "object",
    "required": ["year"],
    "additionalProperties": False,
    "properties": {
        "year": {"type": "integer"},
        "month": {"type": "integer", "minimum": 1, "maximum": 12},
        "day": {"type": "integer", "minimum": 1, "maximum": 31},
        "hour": {"type": "integer", "minimum": 0, "maximum": 23},
        "minute": {"type": "integer", "minimum": 0, "maximum": 59},
        "second": {"type": "integer", "minimum": 0, "maximum": 59},
        "millisecond": {"type": "integer"},
        "display_date": {"type": "string"},
        "format": {"type": "string"},
    },
}
_TEXT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"headline": {"type": "string"}, "text": {"type": "string"}},
}
_MEDIA = {
    "type": "object",
    "required": ["url"],
    "additionalProperties": False,
    "properties": {key: {"type": "string"} for key in (
        "url", "caption", "credit", "thumbnail", "alt", "title", "link", "link_target")},
}
_SLIDE_PROPERTIES = {
    "start_date": _DATE, "end_date": _DATE, "text": _TEXT, "media": _MEDIA,
    "group": {"type": "string"}, "display_date": {"type": "string"},
    "background": {"type": "object"}, "autolink": {"type": "boolean"},
    "unique_id": {"type": "string"},
}
TIMELINEJS_SCHEMA = {
    "type": "object",
    "required": ["events"],
    "additionalProperties": False,
    "properties": {
        "events": {"type": "array", "items": {
            "type": "object", "required": ["start_date"], "additionalProperties": False,
            "properties": _SLIDE_PROPERTIES}},
        "title": {"type": "object", "additionalProperties": False,
                  "properties": _SLIDE_PROPERTIES},
        "eras": {"type": "array"},
        "scale": {"enum": ["human", "cosmological"]},
    },
}


def moment(text: str, tz: str = "UTC") -> Moment:
    return parse_local(text, tz)


@pytest.fixture
def log(services: Services) -> dict[str, str]:
    """Incidents at every precision, with sources, quotes and hostile text."""
    create = services.incidents.create
    uids = {
        "minute": create(Incident(
            title=f"Attack {HOSTILE}", summary="First line\nsecond line",
            occurred=parse_local("~2024-01-20 18:30", "Asia/Baghdad"), country="IQ",
            place="al-Assad Airbase", event_type="ballistic missile attack",
            injured=Count.at_least(5), killed=Count.exact(2), status=Status.VERIFIED,
            tags=("interception",))).record.uid,
        "hour": create(Incident(title="Hour", occurred=moment("2024-02-03 07", "Asia/Baghdad"),
                                country="IQ", killed=Count.exact(3))).record.uid,
        "day": create(Incident(title="Day", occurred=moment("2024-03-04", "Asia/Damascus"),
                               country="SY", killed=Count.about(10))).record.uid,
        "week": create(Incident(title="Week", occurred=moment("2024-W10"),
                                country="SY")).record.uid,
        "month": create(Incident(title=ARABIC, occurred=moment("2024-05", "Asia/Baghdad"),
                                 country="IQ", summary=f"وصف {HOSTILE}")).record.uid,
        "year": create(Incident(title="Year", occurred=moment("2023"))).record.uid,
    }
    early = services.sources.create(Source(
        kind=SourceKind.SOCIAL_POST, title="First post", url="https://x.com/a/status/1",
        outlet="X", published=moment("2024-01-20"), reliability=Reliability.B,
        sha256="ab" * 32)).record
    late = services.sources.create(Source(
        title="Later article", url="https://news.example/later",
        published=moment("2024-01-22"), reliability=Reliability.C)).record
    evil = services.sources.create(Source(title="Evil", url="https://evil.example/")).record
    with services.database.write() as connection:  # as an older version may have stored it
        connection.execute(update(source_table).where(source_table.c.uid == evil.uid)
                           .values(url="javascript:alert(1)"))
    services.incidents.link_source(uids["minute"], late.uid or "", "the count")
    services.incidents.link_source(uids["minute"], early.uid or "", "the time")
    services.incidents.link_source(uids["day"], evil.uid or "")
    services.quotes.create(Quote(
        text="Multiple ballistic missiles were launched", speaker="Spokesman",
        speaker_role="press officer", speaker_org="CENTCOM",
        said=moment("2024-01-21 10:00"), incident_uid=uids["minute"], source_uid=early.uid))
    services.quotes.create(Quote(text="لقد تم اعتراض معظم الصواريخ", speaker="المتحدث",
                                 incident_uid=uids["month"]))
    return {key: value or "" for key, value in uids.items()}


# --- TimelineJS -----------------------------------------------------------------------


def timeline(services: Services, tmp_path: Path, flt: IncidentFilter | None = None) -> dict:  # type: ignore[type-arg]
    out = tmp_path / "timeline.json"
    report = export_timelinejs(services, out, flt)
    document = json.loads(out.read_text("utf-8"))
    jsonschema.validate(document, TIMELINEJS_SCHEMA)
    assert report.incidents == len(document["events"])
    return document


def by_uid(document: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {event["unique_id"].removeprefix("incident-"): event for event in document["events"]}


def test_timelinejs_is_timelinejs_json_with_dates_at_their_precision(
    services: Services, log: dict[str, str], tmp_path: Path
) -> None:
    events = by_uid(timeline(services, tmp_path))
    assert set(events) == set(log.values())
    # Local wall time of the incident's zone: 18:30 in Baghdad, not 15:30 UTC.
    assert events[log["minute"]]["start_date"] == {
        "year": 2024, "month": 1, "day": 20, "hour": 18, "minute": 30}
    assert events[log["minute"]]["display_date"] == "20 Jan 2024 ~18:30 Baghdad"
    assert events[log["hour"]]["start_date"] == {"year": 2024, "month": 2, "day": 3, "hour": 7}
    assert events[log["day"]]["start_date"] == {"year": 2024, "month": 3, "day": 4}
    assert events[log["month"]]["start_date"] == {"year": 2024, "month": 5}
    assert events[log["year"]]["start_date"] == {"year": 2023}
    week = events[log["week"]]
    assert week["start_date"] == {"year": 2024, "month": 3, "day": 4}  # Monday of W10
    assert week["end_date"] == {"year": 2024, "month": 3, "day": 10}  # its Sunday
    assert "end_date" not in events[log["day"]]


def test_timelinejs_escapes_text_as_html_and_takes_the_first_source_as_media(
    services: Services, log: dict[str, str], tmp_path: Path
) -> None:
    events = by_uid(timeline(services, tmp_path))
    minute = events[log["minute"]]
    assert "<script>" not in json.dumps(minute)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in (
        minute["text"]["headline"])
    assert "First line<br>second line" in minute["text"]["text"]
    assert minute["text"]["headline"].startswith(minute["text"]["headline"].split(":")[0])
    # The earliest published source, though cited second.
    assert minute["media"]["url"] == "https://x.com/a/status/1"
    assert minute["media"]["caption"] == "First post"
    assert minute["media"]["credit"] == "X (reliability B)"
    assert minute["group"] == "ballistic missile attack"
    assert "media" not in events[log["day"]]  # a javascript: address is never media


def test_timelinejs_holds_what_the_filter_selects(
    services: Services, log: dict[str, str], tmp_path: Path
) -> None:
    document = timeline(services, tmp_path, IncidentFilter(countries=("SY",)))
    assert set(by_uid(document)) == {log["day"], log["week"]}
    assert "Countries: Syria" in document["title"]["text"]["text"]


# --- iCalendar ------------------------------------------------------------------------


def calendar(services: Services, tmp_path: Path) -> tuple[bytes, dict[str, object]]:
    out = tmp_path / "incidents.ics"
    report = export_ics(services, out)
    data = out.read_bytes()
    parsed = Calendar.from_ical(data)
    events = {str(event["uid"]).removesuffix("@incidentlog"): event
              for event in parsed.walk("VEVENT")}
    assert report.incidents == len(events) and report.undated == 0
    return data, events


def test_ics_parses_back_with_zones_and_all_day_events(
    services: Services, log: dict[str, str], tmp_path: Path
) -> None:
    data, events = calendar(services, tmp_path)
    assert set(events) == set(log.values())
    minute = events[log["minute"]]
    start = minute["dtstart"].dt  # type: ignore[index]
    assert start == datetime(2024, 1, 20, 18, 30, tzinfo=ZoneInfo("Asia/Baghdad"))
    assert b"DTSTART;TZID=Asia/Baghdad:20240120T183000" in data
    assert "dtend" not in minute  # type: ignore[operator]
    assert minute["x-incidentlog-approximate"] == "TRUE"  # type: ignore[index]
    assert minute["status"] == "CONFIRMED"  # type: ignore[index]
    assert minute["url"] == "https://x.com/a/status/1"  # type: ignore[index]
    assert HOSTILE in str(minute["summary"])  # type: ignore[index]
    assert "First line\nsecond line" in str(minute["description"])  # type: ignore[index]
    hour = events[log["hour"]]
    assert hour["dtend"].dt - hour["dtstart"].dt == timedelta(hours=1)  # type: ignore[index]
    day = events[log["day"]]
    assert (day["dtstart"].dt, day["dtend"].dt) == (date(2024, 3, 4), date(2024, 3, 5))  # type: ignore[index]
    assert b"DTSTART;VALUE=DATE:20240304" in data
    week = events[log["week"]]
    assert (week["dtstart"].dt, week["dtend"].dt) == (date(2024, 3, 4), date(2024, 3, 11))  # type: ignore[index]
    month = events[log["month"]]
    assert (month["dtstart"].dt, month["dtend"].dt) == (date(2024, 5, 1), date(2024, 6, 1))  # type: ignore[index]
    assert str(month["summary"]).endswith(f": {ARABIC}")  # type: ignore[index]  # ref: title
    year = events[log["year"]]
    assert (year["dtstart"].dt, year["dtend"].dt) == (date(2023, 1, 1), date(2024, 1, 1))  # type: ignore[index]
    assert month["x-incidentlog-precision"] == "month"  # type: ignore[index]
    zones = {str(zone["tzid"]) for zone in Calendar.from_ical(data).walk("VTIMEZONE")}
    assert "Asia/Baghdad" in zones


def test_ics_is_the_same_file_for_the_same_log(
    services: Services, log: dict[str, str], tmp_path: Path
) -> None:
    first, _ = calendar(services, tmp_path)
    second, _ = calendar(services, tmp_path)
    assert first == second
    incident = services.incident_query.get(log["day"])
    assert incident is not None
    services.incidents.update(dataclasses.replace(incident, title="Day renamed"))
    third, events = calendar(services, tmp_path)
    assert third != first and str(events[log["day"]]["summary"]).endswith(": Day renamed")  # type: ignore[index]
    assert events[log["day"]]["sequence"] == 1  # type: ignore[index]


# --- the HTML report ------------------------------------------------------------------


class _Page(HTMLParser):
    """Elements (tag, attributes, text) of an HTML page, and every text node."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self.dirs: dict[str, str] = {}  # text → dir of the element it is in
        self._stack: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = (tag, dict(attrs))
        self.elements.append(element)
        if tag not in ("meta", "img", "br", "link"):
            self._stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self._stack and self._stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        text = data.strip()
        if not text:
            return
        self.texts.append(text)
        for _tag, attrs in reversed(self._stack):
            if attrs.get("dir"):
                self.dirs[text] = str(attrs["dir"])
                break


def page(path: Path) -> _Page:
    parser = _Page()
    parser.feed(path.read_text("utf-8"))
    return parser


def test_html_report_holds_the_facts_quotes_sources_and_honest_totals(
    services: Services, log: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    report = export_html(services, out, title="Weekly briefing", timeline_png=b"\x89PNG fake")
    assert report.incidents == 6 and out.stat().st_mode & 0o077 == 0
    parsed = page(out)
    text = " ".join(parsed.texts)
    assert "Weekly briefing" in text and "The whole log" in text
    # 2 exact + 3 exact + about 10 and three unknown: a lower bound, approximate.
    assert "Killed: at least about 15 (unknown for 3 incidents)" in text
    assert "at least 5 (unknown for 5 incidents)" in text  # injured
    assert "Multiple ballistic missiles were launched" in text
    assert "— Spokesman, press officer (CENTCOM), 21 Jan 2024 10:00 UTC; in First post" in text
    assert "Reliability: B – usually reliable." in text
    assert "ab" * 32 in text and "Supports: the time" in text
    assert "20 Jan 2024 ~18:30 Baghdad (minute precision)" in text
    # Hostile text is text: no script element, and it reads as typed.
    assert [tag for tag, _ in parsed.elements].count("script") == 0
    assert f"Attack {HOSTILE}" in text
    # Self-contained: the picture is embedded, nothing else is fetched.
    sources = [attrs.get("src") for tag, attrs in parsed.elements if attrs.get("src")]
    assert sources and all(str(src).startswith("data:image/png;base64,") for src in sources)
    assert not [a for tag, a in parsed.elements if tag == "link"]
    csp = [a for tag, a in parsed.elements if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in str(csp[0]["content"])
    links = [attrs.get("href") for tag, attrs in parsed.elements if tag == "a"]
    assert "javascript:alert(1)" not in links and "https://x.com/a/status/1" in links
    # Right to left: the Arabic title, summary and quote are marked rtl.
    headings = {text: parsed.dirs[text] for text in parsed.dirs if text.startswith("IQ-")}
    assert [d for text, d in headings.items() if text.endswith(ARABIC)] == ["rtl"]
    assert [d for text, d in headings.items() if text.endswith(HOSTILE)] == ["auto"]
    assert parsed.dirs["“لقد تم اعتراض معظم الصواريخ”"] == "rtl"


def test_html_report_of_a_filter_names_it(
    services: Services, log: dict[str, str], tmp_path: Path
) -> None:
    flt = IncidentFilter(countries=("SY",), statuses=(Status.DRAFT,),
                         since=datetime(2024, 3, 1, tzinfo=ZoneInfo("UTC")))
    out = tmp_path / "report.html"
    assert export_html(services, out, flt).incidents == 2
    text = " ".join(page(out).texts)
    assert "Countries: Syria" in text and "Statuses: draft" in text
    assert "From 1 Mar 2024 (UTC)" in text and "Day" in text and ARABIC not in text


def test_a_desk_template_is_used_sandboxed_and_autoescaped(
    services: Services, log: dict[str, str], tmp_path: Path
) -> None:
    template = tmp_path / "desk.html"
    template.write_text("<h1>{{ title }}</h1>{% for e in entries %}<p dir='{{ e.incident.title"
                        "|dir }}'>{{ e.incident.title }}</p>{% endfor %}", "utf-8")
    out = tmp_path / "report.html"
    export_html(services, out, template=template)
    html = out.read_text("utf-8")
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert f"<p dir='rtl'>{ARABIC}</p>" in html
    template.write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}", "utf-8")
    with pytest.raises(ExchangeError, match="template cannot be used"):
        export_html(services, out, template=template)
    template.write_text("{% for %}", "utf-8")
    with pytest.raises(ExchangeError, match="line 1"):
        export_html(services, out, template=template)
    with pytest.raises(ExchangeError, match="cannot be read"):
        export_html(services, out, template=tmp_path / "missing.html")
    assert "<h1>" in out.read_text("utf-8")  # the failed exports left the file alone


# --- the sums and words the report uses --------------------------------------------------


@pytest.mark.parametrize(("counts", "expected"), [
    ([], "0"),
    ([Count()], "unknown"),
    ([Count.exact(2), Count.exact(3)], "5"),
    ([Count.exact(2), Count.at_least(3)], "at least 5"),
    ([Count.exact(2), Count.about(3)], "about 5"),
    ([Count.at_least(2), Count.about(3)], "at least about 5"),
    ([Count.exact(2), Count()], "at least 2 (unknown for 1 incident)"),
    ([Count.exact(1000), Count.exact(234)], "1,234"),
])
def test_casualties_are_summed_honestly(counts: list[Count], expected: str) -> None:
    tally = Tally()
    for count in counts:
        tally.add(count)
    assert tally.text() == expected


def test_text_direction_and_filter_words() -> None:
    assert text_direction(ARABIC) == "rtl"
    assert text_direction("123 " + ARABIC) == "rtl"  # digits have no direction of their own
    assert text_direction("IQ " + ARABIC) == "ltr"
    assert text_direction("") == "ltr"
    assert describe_filter(None) == ["The whole log"]
    assert describe_filter(IncidentFilter(uids=("a", "b"))) == ["A selection of 2 incidents"]
    until = datetime(2024, 2, 1, tzinfo=ZoneInfo("UTC"))
    assert describe_filter(IncidentFilter(until=until)) == ["Up to 31 Jan 2024 (UTC), inclusive"]
