"""The views of one open database, in the main window's tabs: incidents (filter,
table, form), sources, quotes and the timeline.

Imported by the main window when a database is opened, not at start-up: it
brings in every view and, through them, the data layer.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from incidentlog.gui.context import AppContext
from incidentlog.gui.filter_bar import FilterBar
from incidentlog.gui.forms.incident_form import IncidentForm
from incidentlog.gui.incident_table import IncidentTable
from incidentlog.gui.quotes_view import QuotesView
from incidentlog.gui.record_browser import RecordBrowser
from incidentlog.gui.sources_view import SourcesView
from incidentlog.gui.timeline import TimelineWidget
from incidentlog.gui.views import INCIDENTS


class Workspace(QTabWidget):
    """The views of one open database: incidents (filter, table, form), sources, quotes."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        settings = context.settings
        self.setObjectName("workspace")
        self.setAccessibleName(self.tr("Views"))
        self.setDocumentMode(True)

        self.filter_bar = FilterBar(context)
        self.incident_table = IncidentTable(context)
        self.incident_form = IncidentForm(context)
        # Wide enough for the form's fields (they scroll up and down, never sideways),
        # narrow enough that table and form fit side by side at 1024 px or 150 %.
        self.incident_form.setMinimumWidth(420)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(6)
        left_layout.addWidget(self.filter_bar)
        left_layout.addWidget(self.incident_table, 1)
        self.incident_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.incident_splitter.setObjectName("incidentSplitter")
        self.incident_splitter.setChildrenCollapsible(False)
        self.incident_splitter.addWidget(left)
        self.incident_splitter.addWidget(self.incident_form)
        self.incident_splitter.setStretchFactor(0, 3)
        self.incident_splitter.setStretchFactor(1, 2)
        saved = settings.state("incidentSplitter")
        if saved is not None:
            self.incident_splitter.restoreState(saved)
        else:
            self.incident_splitter.setSizes([920, 460])
        incidents_page = QWidget()
        incidents_page.setObjectName("incidentsPage")
        page_layout = QVBoxLayout(incidents_page)
        page_layout.setContentsMargins(8, 8, 8, 8)
        page_layout.addWidget(self.incident_splitter)

        self.sources_view = SourcesView(context)
        self.quotes_view = QuotesView(context)
        self.addTab(incidents_page, self.tr("&Incidents"))
        self.addTab(self.sources_view, self.tr("&Sources"))
        self.addTab(self.quotes_view, self.tr("&Quotes"))
        # The timeline reads the same filter and current incident as the table.
        self.timeline = TimelineWidget(context)
        self.addTab(self.timeline, self.tr("&Timeline"))
        self.incident_table.openRequested.connect(self.focus_incident_form)
        self.timeline.openIncidentRequested.connect(self._open_from_timeline)

    def _open_from_timeline(self, uid: str) -> None:
        self.context.state.set_current_incident(uid)
        self.focus_incident_form()

    def form(self) -> QWidget:
        """The form of the view on show (incident, source or quote)."""
        current = self.currentWidget()
        if isinstance(current, RecordBrowser):
            return current.form
        return self.incident_form

    def forms(self) -> list[QWidget]:
        return [self.incident_form, self.sources_view.form, self.quotes_view.form]

    def focus_incident_form(self, _uid: str | None = None) -> None:
        self.setCurrentIndex(INCIDENTS)
        title = self.incident_form.findChild(QWidget, "title")
        target = title if title is not None and title.isEnabled() else self.incident_form
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def save_layout(self) -> None:
        settings = self.context.settings
        self.incident_table.save_layout()
        settings.set_state("incidentSplitter", self.incident_splitter.saveState())
        self.sources_view.save_layout()
        self.quotes_view.save_layout()
