"""The incident table model, with no view: qtmodeltester first, then data() directly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QBrush, QColor
from sample_data import Sample, populate

from incidentlog.domain.enums import RecordKind, Status
from incidentlog.domain.query import IncidentFilter, Sort
from incidentlog.domain.records import Incident
from incidentlog.domain.when import Moment
from incidentlog.gui.incident_cells import BADGE_ROLE, UNKNOWN_COLOUR
from incidentlog.gui.incident_model import IncidentTableModel
from incidentlog.gui.lazy_model import UID_ROLE
from incidentlog.services import Changes, Services

DISPLAY = Qt.ItemDataRole.DisplayRole


@pytest.fixture
def sample(services: Services) -> Sample:
    return populate(services)


@pytest.fixture
def model(services: Services, sample: Sample) -> IncidentTableModel:
    return IncidentTableModel(services.incident_query)


def column(model: IncidentTableModel, key: str) -> list[str]:
    number = model.column_index(key)
    return [model.data(model.index(row, number)) for row in range(model.rowCount())]


def cell(model: IncidentTableModel, uid: str, key: str, role: int = DISPLAY) -> object:
    row = model.row_of_uid(uid)
    assert row is not None
    return model.data(model.index(row, model.column_index(key)), role)


def test_model_passes_qtmodeltester(qtmodeltester, model: IncidentTableModel) -> None:  # type: ignore[no-untyped-def]
    qtmodeltester.check(model)
    assert model.rowCount() == 5
    assert model.headerData(model.column_index("occurred"), Qt.Orientation.Horizontal) \
        == "Occurred"


def test_date_is_local_with_precision_and_utc_in_tooltip(model: IncidentTableModel,
                                                         sample: Sample) -> None:
    uid = sample.incidents["ballistic"]
    assert cell(model, uid, "occurred") == "20 Jan 2024 ~18:30 Baghdad"
    tooltip = str(cell(model, uid, "occurred", Qt.ItemDataRole.ToolTipRole))
    assert "2024-01-20 15:30 UTC" in tooltip
    assert "Asia/Baghdad" in tooltip
    assert cell(model, sample.incidents["retaliatory"], "occurred") == "Feb 2024"


def test_unknown_counts_read_unknown_and_are_greyed_never_zero(model: IncidentTableModel,
                                                               sample: Sample) -> None:
    ballistic = sample.incidents["ballistic"]
    assert cell(model, ballistic, "killed") == "unknown"
    brush = cell(model, ballistic, "killed", Qt.ItemDataRole.ForegroundRole)
    assert isinstance(brush, QBrush) and brush.color() == QColor(UNKNOWN_COLOUR)
    assert cell(model, ballistic, "injured") == "≥ 1"
    assert cell(model, ballistic, "injured", Qt.ItemDataRole.ForegroundRole) is None
    failed = sample.incidents["failed"]
    assert cell(model, failed, "killed") == "0"  # a known zero stays zero
    assert cell(model, sample.incidents["drone"], "injured") == "~40"


def test_status_badge_confidence_and_country_name(model: IncidentTableModel,
                                                  sample: Sample) -> None:
    uid = sample.incidents["ballistic"]
    assert cell(model, uid, "status") == "verified"
    assert isinstance(cell(model, uid, "status", BADGE_ROLE), QColor)
    assert cell(model, sample.incidents["failed"], "status") == "in review"
    assert cell(model, uid, "confidence") == "2 probable"
    assert cell(model, uid, "confidence", Qt.ItemDataRole.ToolTipRole) == "2: probably true"
    assert isinstance(cell(model, uid, "confidence", Qt.ItemDataRole.DecorationRole), QColor)
    assert cell(model, uid, "country") == "Iraq"
    assert cell(model, uid, "country", Qt.ItemDataRole.ToolTipRole) == "Iraq (IQ)"
    assert cell(model, uid, "ref", UID_ROLE) == uid


def test_default_order_is_newest_first(model: IncidentTableModel) -> None:
    dates = [model.record_at(row).occurred.utc for row in range(model.rowCount())]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(
    ("key", "order", "expected"),
    [
        ("ref", Qt.SortOrder.AscendingOrder,
         ["IQ-2024-0001", "IQ-2024-0002", "IQ-2024-0003", "JO-2024-0001", "SY-2024-0001"]),
        ("country", Qt.SortOrder.DescendingOrder, ["SY", "JO", "IQ", "IQ", "IQ"]),
        ("title", Qt.SortOrder.AscendingOrder, None),
        ("status", Qt.SortOrder.AscendingOrder, None),
        ("killed", Qt.SortOrder.DescendingOrder, None),
    ],
)
def test_sorting_is_sql_by_each_column(model: IncidentTableModel, key: str,
                                       order: Qt.SortOrder, expected: list[str] | None) -> None:
    model.sort(model.column_index(key), order)
    assert model.sort_order.descending == (order == Qt.SortOrder.DescendingOrder)
    records = [model.record_at(row) for row in range(model.rowCount())]
    if key == "country":
        assert [r.country for r in records] == expected
    elif key == "ref":
        assert column(model, "ref") == expected
    elif key == "title":
        titles = [r.title for r in records]
        assert titles == sorted(titles)
    elif key == "status":
        statuses = [r.status.value for r in records]
        assert statuses == sorted(statuses)
    else:  # NULL (unknown) sorts first ascending, so last descending
        killed = [r.killed.value for r in records]
        assert killed[:2] == [3, 0] and killed[2:] == [None, None, None]


def test_unsortable_column_keeps_the_order(model: IncidentTableModel) -> None:
    before = column(model, "ref")
    model.sort(model.column_index("tags"), Qt.SortOrder.AscendingOrder)
    assert column(model, "ref") == before


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (IncidentFilter(text="Tower"), {"drone"}),
        (IncidentFilter(text="intercep"), {"ballistic"}),  # prefix while typing
        (IncidentFilter(countries=("IQ",)), {"ballistic", "attack", "retaliatory"}),
        (IncidentFilter(statuses=(Status.DRAFT, Status.DISPUTED)), {"attack", "drone"}),
        (IncidentFilter(tags=("escalation",)), {"ballistic", "drone"}),
        (IncidentFilter(event_types=("rocket attack",)), {"failed", "attack"}),
        (IncidentFilter(since=datetime(2024, 1, 21, tzinfo=UTC),
                        until=datetime(2024, 2, 15, tzinfo=UTC)), {"drone", "retaliatory"}),
        (IncidentFilter(until=datetime(2024, 1, 21, tzinfo=UTC)), {"ballistic"}),
    ],
)
def test_filters(model: IncidentTableModel, sample: Sample, flt: IncidentFilter,
                 expected: set[str]) -> None:
    model.set_filter(flt)
    names = {name for name, uid in sample.incidents.items()}
    uids = {model.uid_at(row) for row in range(model.rowCount())}
    assert {name for name in names if sample.incidents[name] in uids} == expected
    assert model.total == 5


def test_counts_signal_gives_shown_and_total(qtbot, model: IncidentTableModel) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(model.countsChanged) as blocker:
        model.set_filter(IncidentFilter(countries=("JO",)))
    assert blocker.args == [1, 5]


def test_new_incident_reloads_ids_and_edit_refreshes_only_its_row(
        qtbot, services: Services, model: IncidentTableModel, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    services.notifier.subscribe(model.handle_changes)
    created = services.incidents.create(Incident(
        title="Rocket attack on Ain al-Asad", occurred=Moment(datetime(2024, 9, 1, tzinfo=UTC)),
        country="IQ")).record
    assert model.rowCount() == 6
    assert model.uid_at(0) == created.uid  # newest first

    uid = sample.incidents["drone"]
    row = model.row_of_uid(uid)
    assert row is not None
    fetches = model.fetches
    incident = services.incidents.get(uid)
    with qtbot.waitSignal(model.dataChanged) as changed, \
            qtbot.assertNotEmitted(model.modelReset):
        services.incidents.update(replace(incident, title="Drone strike on Tower 22"))
    assert changed.args[0].row() == row
    assert cell(model, uid, "title") == "Drone strike on Tower 22"
    assert model.fetches == fetches + 1  # one page fetched again, not the table


def test_changes_to_sources_only_do_not_reload(qtbot, model: IncidentTableModel) -> None:  # type: ignore[no-untyped-def]
    with qtbot.assertNotEmitted(model.modelReset):
        model.handle_changes(Changes(sources=frozenset({"x"}), rows_changed=True))
    with qtbot.waitSignal(model.modelReset):
        model.handle_changes(Changes(rows_changed=True))  # an import: anything changed


def test_only_pages_around_the_rows_asked_for_are_loaded(services: Services) -> None:
    for number in range(60):
        services.incidents.create(Incident(
            title=f"Incident {number}", occurred=Moment(datetime(2023, 1, 1 + number % 28,
                                                                 tzinfo=UTC)), country="SY"))
    model = IncidentTableModel(services.incident_query, sort=Sort("title"))
    model.PAGE_SIZE = 10
    model.CACHE_SIZE = 20
    assert model.rowCount() == 60
    assert model.fetches == 0  # ids only until a cell is asked for
    assert model.data(model.index(59, 0)) is not None
    assert model.fetches == 1
    assert len(model._cache) <= 10
    for row in range(0, 60, 5):
        model.data(model.index(row, 0))
    assert len(model._cache) <= 20  # the LRU cache stays bounded
    assert model.uids_of_rows(range(60)) and len(model._cache) <= 20


def test_background_loading_shows_a_first_page_then_adds_the_rest(
        qtbot, services: Services, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    from incidentlog.gui.workers import ManualRunner

    runner = ManualRunner()
    model = IncidentTableModel(services.incident_query, runner=runner)
    # Nothing is read on the GUI thread: the first page is a task too.
    assert model.loading and model.rowCount() == 0 and len(runner.pending) == 1
    runner.run_pending()
    assert not model.loading and model.rowCount() == 5 and model.matches == 5
    model.PAGE_SIZE = model.first_page_size = 2
    model.sort(model.column_index("title"), Qt.SortOrder.AscendingOrder)
    model.sort(model.column_index("ref"), Qt.SortOrder.AscendingOrder)
    assert model.rowCount() == 5 and model.loading  # the old rows stay until the new page
    stale_first_page, first_page = runner.pending
    runner.pending.clear()
    with qtbot.assertNotEmitted(model.modelReset):
        stale_first_page.execute()  # a sort asked for meanwhile: ignored
    assert not runner.pending  # and no ids are loaded for it
    with qtbot.waitSignal(model.countsChanged) as counts:
        first_page.execute()
    assert counts.args == [5, 5]  # the count of matches comes with the first page
    assert model.rowCount() == 2 and model.provisional and model.matches == 5
    assert [model.data(model.index(r, model.column_index("ref"))) for r in range(2)] \
        == ["IQ-2024-0001", "IQ-2024-0002"]
    assert not runner.pending  # the ids are asked for once the first page is painted:
    QCoreApplication.processEvents()  # the event loop turns (the view repaints first)
    assert len(runner.pending) == 1
    with qtbot.waitSignal(model.rowsInserted) as inserted, \
            qtbot.assertNotEmitted(model.modelReset):
        runner.run_pending()  # the full list extends the page
    assert inserted.args[1:] == [2, 4]
    assert not model.loading and not model.provisional
    assert column(model, "ref") == ["IQ-2024-0001", "IQ-2024-0002", "IQ-2024-0003",
                                    "JO-2024-0001", "SY-2024-0001"]
    assert model.fetches == 2  # rows 2-3, then 4: rows 0-1 came with the first page


def test_a_first_page_of_the_whole_log_comes_before_its_count(
        qtbot, monkeypatch, services: Services, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    """Counting every row of a large log costs more than the first page: it comes
    with the ids, and the status bar says so meanwhile."""
    from incidentlog.gui.workers import ManualRunner

    runner = ManualRunner()
    monkeypatch.setattr(IncidentTableModel, "first_page_size", 2)
    model = IncidentTableModel(services.incident_query, runner=runner)
    with qtbot.assertNotEmitted(model.countsChanged):
        runner.pending.pop(0).execute()  # the first page only: the ids are asked for next
    assert model.rowCount() == 2 and model.provisional and not model.counted
    QCoreApplication.processEvents()  # painted: now the ids are asked for
    assert len(runner.pending) == 1
    with qtbot.waitSignal(model.countsChanged) as counts:
        runner.run_pending()
    assert counts.args == [5, 5] and model.counted and model.rowCount() == 5


def test_a_few_new_or_deleted_incidents_are_placed_without_reading_every_id(
        qtbot, monkeypatch, services: Services, sample: Sample) -> None:  # type: ignore[no-untyped-def]
    from incidentlog.gui.workers import ManualRunner

    runner = ManualRunner()
    model = IncidentTableModel(services.incident_query, sort=Sort("title"), runner=runner)
    runner.run_pending()
    runner.run_pending()
    assert model.rowCount() == 5 and not model.loading
    services.notifier.subscribe(model.handle_changes)
    lists: list[object] = []
    ids = services.incident_query.ids
    monkeypatch.setattr(services.incident_query, "ids",
                        lambda *a, **k: lists.append(a) or ids(*a, **k))
    created = services.incidents.create(Incident(
        title="B-side attack", occurred=Moment(datetime(2024, 9, 1, tzinfo=UTC)),
        country="IQ")).record
    with qtbot.waitSignal(model.rowsInserted) as inserted, \
            qtbot.assertNotEmitted(model.modelReset):
        runner.run_pending()
    in_order = ids(IncidentFilter(), Sort("title"))
    found = services.incident_query.by_ids(list(in_order))
    expected = [found[i].title for i in in_order]
    assert column(model, "title") == expected and model.rowCount() == 6
    assert inserted.args[1] == expected.index("B-side attack")
    assert (model.matches, model.total) == (6, 6) and lists == []
    # Gone to the trash: out of the list, in place.
    with qtbot.waitSignal(model.rowsRemoved), qtbot.assertNotEmitted(model.modelReset):
        services.incidents.delete(created.uid or "", created.meta.version)
        runner.run_pending()
    assert column(model, "title") == [t for t in expected if t != "B-side attack"]
    assert (model.matches, model.total) == (5, 5) and lists == []
    # Not matching the filter: counted in the log, not shown.
    model.set_filter(IncidentFilter(countries=("JO",)))
    runner.run_pending()
    runner.run_pending()
    lists.clear()
    services.incidents.create(Incident(title="Elsewhere", country="SY",
                                       occurred=Moment(datetime(2024, 9, 2, tzinfo=UTC))))
    with qtbot.assertNotEmitted(model.rowsInserted):
        runner.run_pending()
    assert (model.rowCount(), model.matches, model.total) == (1, 1, 6) and lists == []
    # Many at once (an import): the list is read again.
    model.handle_changes(Changes.of(RecordKind.INCIDENT, frozenset(f"u{n}" for n in range(51)),
                                    rows_changed=True))
    assert model.loading

