"""A small, varied log for the GUI tests, built through the services (never raw SQL).

Incidents in three countries, with every status, several precisions, known
and unknown counts, tags; sources (one cited twice) and quotes, from the seed
article (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from incidentlog.domain.enums import Attribution, Reliability, SourceKind, Status, TimePrecision
from incidentlog.domain.records import Count, Incident, Quote, Source
from incidentlog.domain.when import Moment
from incidentlog.services import Services


@dataclass
class Sample:
    incidents: dict[str, str] = field(default_factory=dict)  # title keyword → uid
    sources: dict[str, str] = field(default_factory=dict)
    quotes: dict[str, str] = field(default_factory=dict)


def _moment(text: str, precision: TimePrecision, tz: str, approximate: bool = False) -> Moment:
    return Moment.from_local(datetime.fromisoformat(text), precision, tz, approximate)


def populate(services: Services) -> Sample:
    sample = Sample()
    incidents = [
        Incident(
            title="Ballistic missiles and rockets fired at al-Assad Airbase",
            occurred=_moment("2024-01-20T18:30", TimePrecision.MINUTE, "Asia/Baghdad", True),
            summary="Multiple ballistic missiles and rockets were launched by Iranian-backed "
                    "militants in western Iraq; most were intercepted.",
            place="al-Assad Airbase", admin1="Anbar", country="IQ",
            event_type="ballistic missile attack", weapons="ballistic missiles; rockets",
            perpetrator="Iranian-backed militants", attribution=Attribution.ATTRIBUTED,
            target="US forces", injured=Count.at_least(1), status=Status.VERIFIED,
            confidence=2, tags=("US forces", "escalation"),
        ),
        Incident(
            title="Failed rocket strike on coalition base in Syria",
            occurred=_moment("2024-04-22T00:00", TimePrecision.DAY, "Asia/Damascus"),
            summary="A rocket strike launched on US-led coalition forces failed.",
            place="Rumalyn Landing Zone", country="SY", event_type="rocket attack",
            status=Status.IN_REVIEW, confidence=3, tags=("coalition",),
            killed=Count.exact(0),
        ),
        Incident(
            title="Attack on base in Iraq injures five US personnel",
            occurred=_moment("2024-08-05T00:00", TimePrecision.DAY, "Asia/Baghdad"),
            summary="At least five US personnel were injured in an attack against a military "
                    "base in Iraq, US officials told Reuters.",
            place="al-Assad Airbase", country="IQ", event_type="rocket attack",
            injured=Count.at_least(5), status=Status.DRAFT, confidence=2,
            tags=("US forces", "injuries"),
        ),
        Incident(
            title="Drone attack near Tower 22",
            occurred=_moment("2024-01-28T00:00", TimePrecision.DAY, "Asia/Amman"),
            summary="A one-way attack drone struck a logistics outpost.",
            place="Tower 22", country="JO", event_type="drone attack",
            killed=Count.exact(3), injured=Count.about(40), status=Status.DISPUTED,
            confidence=1, tags=("escalation",),
        ),
        Incident(
            title="Retaliatory strikes on militia sites",
            occurred=_moment("2024-02-01T00:00", TimePrecision.MONTH, "UTC"),
            summary="US forces struck sites used by Iranian-backed groups.",
            country="IQ", event_type="retaliatory strike", status=Status.ARCHIVED,
            tags=("retaliation",),
        ),
    ]
    for incident in incidents:
        stored = services.incidents.create(incident).record
        sample.incidents[(incident.title or "").split()[0].lower()] = stored.meta.uid or ""
    centcom = services.sources.create(Source(
        kind=SourceKind.SOCIAL_POST, title="Iranian-backed Militants Attack Al-Assad Airbase",
        url="https://twitter.com/CENTCOM/status/1748783633954324512", outlet="CENTCOM",
        handle="@CENTCOM", reliability=Reliability.B,
        published=_moment("2024-01-20T00:00", TimePrecision.DAY, "UTC"),
    )).record
    reuters = services.sources.create(Source(
        kind=SourceKind.ARTICLE, title="US base attacked in Iraq hours after Iran vows revenge",
        url="https://www.reuters.com/world/middle-east/us-base-attacked-iraq/", outlet="Reuters",
        reliability=Reliability.A,
        published=_moment("2024-08-05T00:00", TimePrecision.DAY, "UTC"),
    )).record
    sample.sources = {"centcom": centcom.meta.uid or "", "reuters": reuters.meta.uid or ""}
    services.incidents.link_source(sample.incidents["ballistic"], sample.sources["centcom"],
                                   "time, place and weapons")
    services.incidents.link_source(sample.incidents["attack"], sample.sources["reuters"],
                                   "five injured")
    quote = services.quotes.create(Quote(
        text="Multiple ballistic missiles and rockets were launched by Iranian-backed "
             "militants in western Iraq targeting al-Assad Airbase.",
        speaker="U.S. Central Command", speaker_org="CENTCOM",
        said=_moment("2024-01-20T00:00", TimePrecision.DAY, "UTC"),
        incident_uid=sample.incidents["ballistic"], source_uid=sample.sources["centcom"],
    )).record
    biden = services.quotes.create(Quote(
        text="We also discussed the steps we are taking to defend our forces.",
        speaker="Joe Biden", speaker_role="President of the United States",
    )).record
    sample.quotes = {"centcom": quote.meta.uid or "", "biden": biden.meta.uid or ""}
    return sample


# --- building the real window in a test ----------------------------------------------


class DialogRecorder:
    """Stands in for the message boxes (gui/plain_text.py): records them, answers ``answer``.

    Tests must never leave a modal dialog open (it would block the suite).
    """

    def __init__(self, answer: object = None) -> None:
        from PySide6.QtWidgets import QMessageBox

        self.answer = answer if answer is not None else QMessageBox.StandardButton.Yes
        self.calls: list[tuple[str, str, str]] = []

    def _record(self, kind: str) -> object:
        def call(_parent: object, title: str, text: str, *_args: object, **_kw: object) -> object:
            self.calls.append((kind, title, text))
            return self.answer

        return call

    def install(self, monkeypatch: object) -> DialogRecorder:
        from PySide6.QtWidgets import QMessageBox

        from incidentlog.gui import plain_text

        for kind in ("question", "information", "warning", "critical"):
            # The window asks through gui/plain_text.py; Qt's static calls are covered too,
            # so that a box opened the old way cannot block the suite.
            monkeypatch.setattr(plain_text, kind, self._record(kind))  # type: ignore[attr-defined]
            monkeypatch.setattr(QMessageBox, kind, staticmethod(self._record(kind)))  # type: ignore[attr-defined]
        monkeypatch.setattr(QMessageBox, "about", staticmethod(self._record("about")))  # type: ignore[attr-defined]
        return self

    def of(self, kind: str) -> list[tuple[str, str, str]]:
        return [call for call in self.calls if call[0] == kind]


_TEMPLATES: dict[bool, tuple[Path, Sample | None]] = {}


def make_database(path: object, *, sample: bool = True) -> Sample | None:
    """A fresh database file at ``path``, with the sample log unless ``sample=False``.

    Built once per test session in a template file and copied (as Anki's tests
    do), so each test still gets its own file but does not pay for the schema
    migration and the inserts every time.
    """
    import atexit
    import shutil
    import tempfile

    from incidentlog.store.database import open_database

    if sample not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="incidentlog-template-"))
        atexit.register(shutil.rmtree, folder, True)
        template = folder / "template.sqlite3"
        database = open_database(template)
        try:
            made = populate(Services(database, actor="tester")) if sample else None
        finally:
            database.close()
        _TEMPLATES[sample] = (template, made)
    template, made = _TEMPLATES[sample]
    shutil.copyfile(template, Path(str(path)))
    return made


def build_window(qtbot: object, argv: list[str], *, runner: object = None) -> object:
    """The real window for ``argv``, registered with qtbot so it is closed after the test."""
    from incidentlog.app import build_main_window
    from incidentlog.gui.workers import ImmediateRunner

    window = build_main_window(argv, runner=runner or ImmediateRunner())  # type: ignore[arg-type]
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    return window
