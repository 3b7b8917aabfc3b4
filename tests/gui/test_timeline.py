"""The timeline on the demo data: positions, stacking, lanes, selection, filter,
periods and exports, driven as a reviewer would."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QUndoStack
from PySide6.QtWidgets import QDialogButtonBox

import incidentlog.gui.timeline.fetcher as fetcher_module
from incidentlog.domain.enums import TimePrecision
from incidentlog.domain.query import IncidentFilter
from incidentlog.domain.records import Incident, Period
from incidentlog.domain.when import Moment, parse_local
from incidentlog.exchange import import_json
from incidentlog.gui.context import AppContext, ChangeBus, SelectionState
from incidentlog.gui.settings import Settings, open_settings
from incidentlog.gui.timeline import TimelineView, TimelineWidget, incident_tooltip
from incidentlog.gui.timeline.periods import PeriodDialog, create_period
from incidentlog.gui.workers import ImmediateRunner, ManualRunner, TaskRunner
from incidentlog.services import Services

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo" / "demo.json"
SIZE = QSize(1400, 600)

# The offscreen platform warns once per shown top-level window; that says
# nothing about the timeline.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data set imported once per module; each test gets a copy (as Anki's
    tests copy a template collection): importing it per test cost most of the time."""
    from incidentlog.store.database import open_database

    path = tmp_path_factory.mktemp("timeline") / "demo.sqlite3"
    with open_database(path) as database:
        import_json(Services(database, actor="demo"), DEMO)
    return path


@pytest.fixture
def db_path(tmp_path: Path, demo_template: Path) -> Path:
    """A fresh copy of the demo log for each test (the shared ``services`` opens it)."""
    import shutil

    path = tmp_path / "log.sqlite3"
    shutil.copyfile(demo_template, path)
    return path


@pytest.fixture
def demo(services: Services) -> dict[str, Incident]:
    """The demo data set, by ref."""
    incidents = services.incident_query.page(IncidentFilter(), limit=100)
    return {incident.ref or "": incident for incident in incidents}


def make_context(services: Services, runner: TaskRunner | None = None) -> AppContext:
    return AppContext(services, SelectionState(), ChangeBus(services), QUndoStack(),
                      Settings(open_settings()), runner or ImmediateRunner())


@pytest.fixture
def context(services: Services, demo: dict[str, Incident]) -> Iterator[AppContext]:
    context = make_context(services)
    yield context
    context.bus.detach()


def settle(qtbot, view: TimelineView) -> None:  # type: ignore[no-untyped-def]
    """Wait until the view has asked for its window and drawn the answer."""
    qtbot.waitUntil(lambda: view.mode is not None and not view.is_busy()
                    and not view.fetcher.timer.isActive(), timeout=5000)


@pytest.fixture
def widget(qtbot, context: AppContext) -> TimelineWidget:  # type: ignore[no-untyped-def]
    widget = TimelineWidget(context)
    qtbot.addWidget(widget)
    widget.resize(SIZE)
    widget.show()
    qtbot.waitExposed(widget)
    settle(qtbot, widget.view)
    return widget


@pytest.fixture
def view(widget: TimelineWidget) -> TimelineView:
    return widget.view


def show_window(qtbot, view: TimelineView, start: datetime, end: datetime) -> None:  # type: ignore[no-untyped-def]
    view.set_visible_window(start, end)
    settle(qtbot, view)


def centre(view: TimelineView, uid: str) -> QPoint:
    rect = view.item_rect(uid)
    assert rect is not None, f"{uid} is not drawn"
    return rect.center().toPoint()


def test_names_for_tests_and_screen_readers(widget: TimelineWidget) -> None:
    view = widget.view
    assert view.objectName() == "timelineView"
    assert view.accessibleName() == "Timeline"
    assert "5 incidents" in view.accessibleDescription()
    for child in (widget.lane_combo, widget.colour_combo, widget.zone_combo, widget.toolbar):
        assert child.accessibleName()
    names = [action.objectName() for action in widget.actions_for_menu()]
    assert names == ["actionTimelineFitAll", "actionTimelineZoomToSelection",
                     "actionTimelineZoomIn", "actionTimelineZoomOut",
                     "actionTimelineRelated", "actionTimelineNewPeriod",
                     "actionTimelineExport"]


def test_everything_is_shown_at_first_as_items(view: TimelineView,
                                               demo: dict[str, Incident]) -> None:
    assert view.mode == "items"
    assert {item.ref for item in view.shown_items()} == set(demo)
    start, end = view.visible_window()
    assert start < utc(2023, 12, 31, 21) and end > utc(2024, 12, 31, 21)  # the year bars too
    dated = view.shown_quotes()
    assert len(dated) == 1 and dated[0].incident_uid == demo["IQ-2024-0001"].uid


def test_a_minute_is_a_point_at_its_instant(view: TimelineView,
                                            demo: dict[str, Incident]) -> None:
    """"About 6:30 p.m. Baghdad time, Jan. 20" sits at 2024-01-20 15:30 UTC."""
    uid = demo["IQ-2024-0001"].uid or ""
    rect = view.item_rect(uid)
    assert rect is not None
    assert rect.width() == rect.height()  # a point, not a bar
    assert rect.center().x() == pytest.approx(view.x_of(utc(2024, 1, 20, 15, 30)), abs=0.01)


def test_a_day_is_a_bar_across_its_local_day(qtbot, view: TimelineView,  # type: ignore[no-untyped-def]
                                             demo: dict[str, Incident]) -> None:
    show_window(qtbot, view, utc(2024, 8, 1), utc(2024, 8, 10))
    rect = view.item_rect(demo["IQ-2024-0002"].uid or "")
    assert rect is not None
    # 5 August in Baghdad is 4 August 21:00 UTC to 5 August 21:00 UTC.
    assert rect.left() == pytest.approx(view.x_of(utc(2024, 8, 4, 21)), abs=0.01)
    assert rect.right() == pytest.approx(view.x_of(utc(2024, 8, 5, 21)), abs=0.01)
    assert rect.width() > 100  # a day is about 150 px here


def test_a_year_is_a_bar_across_the_local_year(view: TimelineView,
                                               demo: dict[str, Incident]) -> None:
    rect = view.item_rect(demo["IQ-2024-0003"].uid or "")
    assert rect is not None
    assert rect.left() == pytest.approx(view.x_of(utc(2023, 12, 31, 21)), abs=0.01)
    assert rect.right() == pytest.approx(view.x_of(utc(2024, 12, 31, 21)), abs=0.01)


def test_overlapping_and_same_day_incidents_stack(qtbot, view: TimelineView,  # type: ignore[no-untyped-def]
                                                  services: Services,
                                                  demo: dict[str, Incident]) -> None:
    years = [demo[ref].uid or "" for ref in ("IQ-2024-0003", "IQ-2024-0004", "SY-2024-0001")]
    rows = {view.row_of(uid) for uid in years}
    assert len(rows) == 3  # three year-long bars, three rows
    day = parse_local("2024-08-05", "Asia/Baghdad")
    created = [services.incidents.create(Incident(title=f"Second attack {n}", occurred=moment,
                                                  country="IQ")).record.meta.uid or ""
               for n, moment in enumerate([day, parse_local("2024-08-05 10:00", "Asia/Baghdad")])]
    qtbot.waitUntil(lambda: all(view.item_rect(uid) for uid in created), timeout=5000)
    settle(qtbot, view)
    same_day = [demo["IQ-2024-0002"].uid or "", *created]
    assert len({view.row_of(uid) for uid in same_day}) == 3
    rects = [view.item_rect(uid) for uid in same_day]
    for number, first in enumerate(rects):
        for second in rects[number + 1:]:
            assert first is not None and second is not None
            assert not first.intersects(second)


def test_lanes_by_country_event_type_and_none(qtbot, widget: TimelineWidget,  # type: ignore[no-untyped-def]
                                               demo: dict[str, Incident]) -> None:
    view = widget.view
    widget.lane_combo.setCurrentIndex(widget.lane_combo.findData("country"))
    settle(qtbot, view)
    assert view.lane_column == "country"
    assert view.lanes() == ["IQ", "SY"]
    for incident in demo.values():
        lane = view.row_of(incident.uid or "")
        assert lane is not None and lane[0] == incident.country
    view.set_lane_column("event_type")
    settle(qtbot, view)
    assert widget.lane_combo.currentData() == "event_type"  # the toolbar follows the view
    assert view.row_of(demo["IQ-2024-0002"].uid or "")[0] is None  # type: ignore[index]
    assert view.lanes()[-1] is None  # "unknown type" last
    view.set_lane_column(None)
    settle(qtbot, view)
    assert view.lanes() == [None]
    assert view.context.settings.qsettings.value("timeline/lanes") == ""


def test_lanes_by_actor_put_an_incident_in_each_of_its_actors_lanes(
        qtbot, widget: TimelineWidget, services: Services,  # type: ignore[no-untyped-def]
        demo: dict[str, Incident]) -> None:
    from dataclasses import replace

    from incidentlog.domain.actors import ActorRole, IncidentActor

    assad = demo["IQ-2024-0001"]  # perpetrator Iranian-backed militants, target U.S. forces
    services.incidents.update(replace(assad, actors=(
        IncidentActor(ActorRole.CLAIMANT, "IRI"), *assad.actors)))
    services.incidents.delete(demo["IQ-2024-0004"].uid or "")  # Iran-backed militia's only one
    view = widget.view
    widget.lane_combo.setCurrentIndex(widget.lane_combo.findData("actors"))
    settle(qtbot, view)
    assert view.lane_column == "actors"
    assert view.lanes() == ["Iranian-backed militants", "Islamic Resistance in Iraq",
                            "U.S. forces", "US-led coalition forces"]
    in_lanes: dict[str | None, set[str]] = {}
    for placed in view.layout_data.placed:  # type: ignore[union-attr]
        in_lanes.setdefault(view.lanes()[placed.lane], set()).add(placed.item.ref)
    assert in_lanes == {
        "Islamic Resistance in Iraq": {"IQ-2024-0001"},
        "Iranian-backed militants": {"IQ-2024-0001", "IQ-2024-0003"},
        "U.S. forces": {"IQ-2024-0001", "IQ-2024-0002", "IQ-2024-0003"},
        "US-led coalition forces": {"SY-2024-0001"},
    }
    assert "4 incidents" in view.accessibleDescription()  # each once, in however many lanes
    # The view goes to its topmost lane; the selection rings it in every lane.
    assert view.row_of(assad.uid or "")[0] == "Iranian-backed militants"  # type: ignore[index]
    assert {view.lanes()[p.lane] for p in view.layout_data.also[assad.uid or ""]} == {  # type: ignore[union-attr]
        "Islamic Resistance in Iraq", "U.S. forces"}
    # By one role: the claimant's lane, and the rest in "no named claimant" (last).
    widget.lane_combo.setCurrentIndex(widget.lane_combo.findData("actors:claimant"))
    settle(qtbot, view)
    assert view.lanes() == ["Islamic Resistance in Iraq", None]
    assert view.row_of(assad.uid or "")[0] == "Islamic Resistance in Iraq"  # type: ignore[index]
    assert view.row_of(demo["IQ-2024-0002"].uid or "")[0] is None  # type: ignore[index]
    assert view.row_of(demo["IQ-2024-0004"].uid or "") is None  # in the trash: in no lane
    assert view.context.settings.qsettings.value("timeline/lanes") == "actors:claimant"


def test_colour_by_status_and_the_legend(qtbot, view: TimelineView) -> None:  # type: ignore[no-untyped-def]
    view.set_colour_column("status")
    settle(qtbot, view)
    assert set(view.legend_values()) == {"draft", "in_review"}
    view.set_colour_column("event_type")
    settle(qtbot, view)
    assert None in view.legend_values()  # the incident with no type is said so


def test_click_selects_everywhere_and_selection_elsewhere_scrolls_here(
        qtbot, view: TimelineView, context: AppContext,  # type: ignore[no-untyped-def]
        demo: dict[str, Incident]) -> None:
    minute = demo["IQ-2024-0001"].uid or ""
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre(view, minute))
    assert context.state.current_incident == minute
    assert context.state.selected_incidents == (minute,)
    # The table selects another incident, far from the window on screen: the view goes there.
    context.state.set_current_incident(None)
    show_window(qtbot, view, utc(2024, 8, 1), utc(2024, 8, 10))
    context.state.set_current_incident(minute)
    settle(qtbot, view)
    start, end = view.visible_window()
    assert start < utc(2024, 1, 20, 15, 30) < end
    rect = view.item_rect(minute)
    assert rect is not None and view.viewport().rect().contains(rect.center().toPoint())
    # A click on empty space changes nothing; a drag pans without selecting.
    empty = QPoint(view.viewport().width() - 20, view.viewport().height() - 40)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=empty)
    assert context.state.current_incident == minute


def test_drag_pans_and_the_wheel_zooms_around_the_pointer(qtbot, view: TimelineView) -> None:  # type: ignore[no-untyped-def]
    before = view.time_scale.t0
    viewport = view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=QPoint(700, 400))
    for x in range(690, 590, -10):
        qtbot.mouseMove(viewport, QPoint(x, 400))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=QPoint(590, 400))
    assert view.time_scale.t0 > before  # dragged to the left: later times come in
    from PySide6.QtGui import QWheelEvent

    anchor = QPointF(400, 300)
    instant = view.time_scale.t(anchor.x())
    spp = view.time_scale.spp
    event = QWheelEvent(anchor, view.viewport().mapToGlobal(anchor), QPoint(0, 0),
                        QPoint(0, 120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    view.wheelEvent(event)
    assert view.time_scale.spp < spp
    assert view.time_scale.t(anchor.x()) == pytest.approx(instant)


def test_keyboard_zoom_fit_and_zoom_to_selection(qtbot, view: TimelineView,  # type: ignore[no-untyped-def]
                                                 context: AppContext,
                                                 demo: dict[str, Incident]) -> None:
    view.setFocus()
    spp = view.time_scale.spp
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert view.time_scale.spp < spp
    qtbot.keyClick(view, Qt.Key.Key_Minus)
    qtbot.keyClick(view, Qt.Key.Key_Minus)
    assert view.time_scale.spp > spp
    qtbot.keyClick(view, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert view.time_scale.spp == pytest.approx(spp)
    context.state.set_selected_incidents((demo["IQ-2024-0002"].uid or "",))
    assert view.zoom_to_selection()
    start, end = view.visible_window()
    assert start < utc(2024, 8, 4, 21) and end > utc(2024, 8, 5, 21)
    assert (end - start).days < 3


def test_double_click_asks_to_open_the_incident(qtbot, view: TimelineView,  # type: ignore[no-untyped-def]
                                                demo: dict[str, Incident]) -> None:
    uid = demo["IQ-2024-0001"].uid or ""
    with qtbot.waitSignal(view.openIncidentRequested) as opened:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre(view, uid))
    assert opened.args == [uid]


def test_the_filter_hides_items_and_their_quotes(qtbot, view: TimelineView,  # type: ignore[no-untyped-def]
                                                 context: AppContext,
                                                 demo: dict[str, Incident]) -> None:
    context.state.set_filter(IncidentFilter(countries=("SY",)))
    settle(qtbot, view)
    assert [item.ref for item in view.shown_items()] == ["SY-2024-0001"]
    assert view.shown_quotes() == []  # the dated quote is about an incident in Iraq
    assert view.item_rect(demo["IQ-2024-0001"].uid or "") is None
    context.state.set_filter(IncidentFilter(countries=("XX",)))
    settle(qtbot, view)
    assert view.shown_items() == []
    context.state.set_filter(IncidentFilter())
    settle(qtbot, view)
    assert len(view.shown_items()) == 5


def test_a_stale_answer_is_dropped(services: Services, demo: dict[str, Incident],
                                   qtbot) -> None:  # type: ignore[no-untyped-def]
    """The filter changes while the database answers: the older answer is never drawn."""
    runner = ManualRunner()
    context = make_context(services, runner)
    view = TimelineView(context)
    qtbot.addWidget(view)
    view.resize(SIZE)
    assert not runner.pending  # nothing is read before the view is shown
    view.show()
    runner.run_pending()  # the overview
    qtbot.waitUntil(lambda: bool(runner.pending) or view.mode is not None, timeout=3000)
    qtbot.waitUntil(lambda: not view.fetcher.timer.isActive(), timeout=3000)
    context.state.set_filter(IncidentFilter(countries=("SY",)))
    runner.run_pending()  # the old window answers, then the new overview
    qtbot.waitUntil(lambda: not view.fetcher.timer.isActive(), timeout=3000)
    runner.run_pending()
    assert {item.ref for item in view.shown_items()} == {"SY-2024-0001"}
    context.bus.detach()


def test_density_when_too_many_to_draw(qtbot, context: AppContext,  # type: ignore[no-untyped-def]
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetcher_module, "ITEM_LIMIT", 1)  # 2 incidents known to the day
    view = TimelineView(context)
    qtbot.addWidget(view)
    view.resize(SIZE)
    view.show()
    settle(qtbot, view)
    assert view.mode == "density"
    layout = view.layout_data
    assert layout is not None and layout.density is not None
    assert sum(layout.density.totals()) == pytest.approx(5)
    assert layout.density.spread  # the three year-long incidents are spread over 2024
    assert "counts per period" in view.accessibleDescription()


def test_periods_are_drawn_created_edited_and_undone(qtbot, view: TimelineView,  # type: ignore[no-untyped-def]
                                                     context: AppContext) -> None:
    period = Period(name="Campaign", start=parse_local("2024-02-01", "UTC"),
                    end=parse_local("2024-04-30", "UTC"), color="#d62728")
    uid, error = create_period(context.undo_stack, context.services, period)
    assert error is None and uid
    assert [p.name for p in view.periods()] == ["Campaign"]
    span = view.period_span_x(uid)
    assert span is not None
    assert span[0] == pytest.approx(view.x_of(utc(2024, 2, 1)))
    assert span[1] == pytest.approx(view.x_of(utc(2024, 5, 1)))  # the last day included
    image = view.render_image()
    inside = QColor(image.pixel(int((span[0] + span[1]) / 2), image.height() - 60))
    outside = QColor(image.pixel(int(span[1] + 40), image.height() - 60))
    assert inside != outside and inside.red() > inside.blue()  # a red tint
    context.undo_stack.undo()
    assert view.periods() == []
    context.undo_stack.redo()
    assert [p.name for p in view.periods()] == ["Campaign"]


def test_the_period_dialog(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = PeriodDialog(None, "Asia/Baghdad", first=date(2023, 10, 17), last=date(2024, 2, 4))
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # no name yet
    qtbot.keyClicks(dialog.name_edit, "Campaign of 17 Oct 2023 to 4 Feb 2024")
    assert ok.isEnabled()
    period = dialog.period()
    assert period.start == Moment.from_local(datetime(2023, 10, 17), TimePrecision.DAY,
                                             "Asia/Baghdad")
    assert period.end is not None and period.end.interval()[1] == utc(2024, 2, 4, 21)
    assert period.color == "#8b5cf6"
    dialog.end_edit.setDate(dialog.start_edit.date().addDays(-1))
    assert not ok.isEnabled() and dialog.error_label.isVisibleTo(dialog)


def test_new_period_through_the_dialog(qtbot, view: TimelineView, context: AppContext,  # type: ignore[no-untyped-def]
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def fill(dialog: PeriodDialog) -> int:
        dialog.name_edit.setText("Escalation")
        return PeriodDialog.DialogCode.Accepted

    monkeypatch.setattr(PeriodDialog, "exec", fill)
    view.new_period(date(2024, 1, 1), date(2024, 1, 31))
    assert [p.name for p in view.periods()] == ["Escalation"]
    assert context.undo_stack.undoText() == "New period “Escalation”"


def test_exports_png_and_svg_of_the_view(view: TimelineView, tmp_path: Path) -> None:
    png = tmp_path / "timeline.png"
    assert view.export_png(png)
    image = QImage(str(png))
    assert not image.isNull() and image.size() == view.size()
    svg = tmp_path / "timeline.svg"
    assert view.export_svg(svg)
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert root.get("width") == f"{view.width()}px"
    assert root.get("height") == f"{view.height()}px"
    assert root.get("viewBox") == f"0 0 {view.width()} {view.height()}"
    assert "Ballistic missile" in svg.read_text(encoding="utf-8")  # the labels are text


def test_the_export_button_asks_where(widget: TimelineWidget, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    target = tmp_path / "report"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *_a, **_k: (str(target), "SVG drawing (*.svg)")))
    widget.actionExport.trigger()
    assert (tmp_path / "report.svg").is_file()


def test_tooltip_says_title_local_time_place_and_casualties(
        view: TimelineView, demo: dict[str, Incident]) -> None:
    item = next(i for i in view.shown_items() if i.ref == "IQ-2024-0001")
    text = incident_tooltip(item)
    assert "Ballistic missile and rocket attack on al-Assad Airbase" in text
    assert "20 Jan 2024 ~18:30 Baghdad" in text
    assert "2024-01-20 15:30 UTC" in text
    assert "al-Assad Airbase, Iraq (IQ)" in text
    assert "killed: unknown" in text and "injured:" in text
    rect = view.item_rect(item.uid)
    assert rect is not None
    assert view.navigator.tooltip(rect.center()) == text


def test_hover_shows_the_tooltip(qtbot, view: TimelineView,  # type: ignore[no-untyped-def]
                                 demo: dict[str, Incident]) -> None:
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    point = centre(view, demo["IQ-2024-0002"].uid or "")
    event = QHelpEvent(QEvent.Type.ToolTip, point, view.viewport().mapToGlobal(point))
    QApplication.sendEvent(view.viewport(), event)
    qtbot.waitUntil(QToolTip.isVisible, timeout=2000)
    assert "injures at least five US personnel" in QToolTip.text()
    assert "5 Aug 2024" in QToolTip.text()
    QToolTip.hideText()


def test_cancel_work_stops_the_slow_read(services: Services, demo: dict[str, Incident],
                                         qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = ManualRunner()
    context = make_context(services, runner)
    view = TimelineView(context)
    qtbot.addWidget(view)
    view.resize(SIZE)
    view.show()
    runner.pending.pop(0).execute()  # the overview
    qtbot.waitUntil(lambda: bool(runner.pending), timeout=3000)  # the window, asked
    runner.pending.pop(0).execute()  # the incidents: the quotes and the long read are asked
    assert view.mode == "items" and view.fetcher.long_task in runner.pending
    view.cancel_work()
    runner.run_pending()
    assert view.fetcher.long_groups is None  # the cancelled read answered nothing
    assert not view.is_busy()
    context.bus.detach()


def test_time_zone_of_the_axis(qtbot, widget: TimelineWidget) -> None:  # type: ignore[no-untyped-def]
    view = widget.view
    combo = widget.zone_combo
    combo.setCurrentIndex(combo.findData("Asia/Baghdad"))
    combo.activated.emit(combo.currentIndex())
    settle(qtbot, view)
    assert view.time_zone == "Asia/Baghdad"
    with pytest.raises(ValueError, match="IANA"):
        view.set_time_zone("Mars/Olympus")
    assert view.context.settings.qsettings.value("timeline/zone") == "Asia/Baghdad"


def test_read_only_log_cannot_get_periods(services: Services, demo: dict[str, Incident],
                                          qtbot, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    from incidentlog.store.database import open_database

    services.database.close()
    with open_database(db_path, read_only=True) as database:
        context = make_context(Services(database, actor="reader"))
        widget = TimelineWidget(context)
        qtbot.addWidget(widget)
        assert not widget.actionNewPeriod.isEnabled()
        widget.resize(SIZE)
        widget.show()
        settle(qtbot, widget.view)
        assert len(widget.view.shown_items()) == 5
        context.bus.detach()


def _retaliation_pixels(image: QImage) -> int:
    """Pixels in (nearly) the colour of a "retaliation for" line."""
    from incidentlog.domain.links import LinkKind
    from incidentlog.gui.timeline.related_lines import KIND_STYLE

    wanted = QColor(KIND_STYLE[LinkKind.RETALIATION_FOR][0])
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    found = 0
    for y in range(0, image.height()):
        for x in range(0, image.width()):
            colour = image.pixelColor(x, y)
            if (abs(colour.red() - wanted.red()) + abs(colour.green() - wanted.green())
                    + abs(colour.blue() - wanted.blue())) < 40:
                found += 1
    return found


def test_a_line_joins_related_incidents_and_the_toolbar_toggles_it(
        qtbot, widget: TimelineWidget, demo: dict[str, Incident]) -> None:  # type: ignore[no-untyped-def]
    view = widget.view
    strikes, assad = demo["IQ-2024-0003"], demo["IQ-2024-0001"]
    qtbot.waitUntil(lambda: len(view.related_lines.links) == 1, timeout=5000)
    [link] = view.related_lines.links
    assert (link.from_uid, link.to_uid) == (strikes.uid, assad.uid)
    assert widget.actionRelated.isChecked()
    with_lines = _retaliation_pixels(view.render_image())
    widget.actionRelated.trigger()
    assert not view.related_lines.enabled
    assert view.context.settings.qsettings.value("timeline/related") == "false"
    assert _retaliation_pixels(view.render_image()) + 20 < with_lines
    widget.actionRelated.trigger()
    qtbot.waitUntil(lambda: len(view.related_lines.links) == 1, timeout=5000)
    # Unlinked elsewhere: the line goes at once.
    view.context.services.links.unlink(strikes.uid or "", assad.uid or "", link.kind)
    qtbot.waitUntil(lambda: view.related_lines.links == [], timeout=5000)
