"""“Possibly the same as …”: the incidents that may be the one being typed.

The incident form calls ``probe`` after each edit; the lookup waits for a
pause in typing (``DEBOUNCE_MS``), then runs off the GUI thread (``QueryOp``,
the latest request wins) and lists what ``services.duplicates`` finds. Enter
or a double click opens a candidate; "Merge…" merges (gui/merge_dialog.py).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from incidentlog.domain.duplicates import Candidate
from incidentlog.domain.records import Incident
from incidentlog.gui.context import AppContext
from incidentlog.gui.operations import Latest, QueryOp
from incidentlog.gui.plain_text import plain_label, tooltip_html

#: A pause in typing this long starts a lookup.
DEBOUNCE_MS = 400

#: Candidates listed at most.
SHOWN = 5


class DuplicatePanel(QWidget):
    """Hidden until a lookup finds something."""

    openRequested = Signal(str)  # uid
    mergeRequested = Signal(str)  # uid
    looked = Signal()  # a lookup's answer was shown (tests wait for it)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("duplicatePanel")
        self._context = context
        self._latest = Latest()
        self._pending: Incident | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._look)
        self.candidates: list[Candidate] = []

        root = QVBoxLayout(self)
        root.setContentsMargins(8, 0, 8, 0)
        root.setSpacing(2)
        self.title = plain_label(self.tr("Possibly the same as:"), self)
        self.title.setObjectName("duplicateTitle")
        root.addWidget(self.title)
        row = QHBoxLayout()
        self.list = QListWidget(self)
        self.list.setObjectName("duplicateList")
        self.list.setAccessibleName(self.tr("Incidents that may be the same"))
        self.list.setMaximumHeight(110)  # two candidates of two lines, then it scrolls
        # Wrapped, never scrolled sideways: the reasons are what a narrow form must show.
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.itemActivated.connect(lambda _item: self._emit(self.openRequested))
        row.addWidget(self.list, 1)
        buttons = QVBoxLayout()
        self.open_button = QPushButton(self.tr("Open"), self)
        self.open_button.setObjectName("duplicateOpen")
        self.open_button.clicked.connect(lambda: self._emit(self.openRequested))
        self.merge_button = QPushButton(self.tr("Merge…"), self)
        self.merge_button.setObjectName("duplicateMerge")
        self.merge_button.setToolTip(self.tr("Merge this incident into the one selected"))
        self.merge_button.clicked.connect(lambda: self._emit(self.mergeRequested))
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.merge_button)
        buttons.addStretch(1)
        row.addLayout(buttons)
        root.addLayout(row)
        self.setVisible(False)

    def probe(self, incident: Incident | None) -> None:
        """Look for duplicates of ``incident`` once typing pauses (None: clear)."""
        self._pending = incident
        if incident is None or incident.occurred is None or not (incident.title or "").strip():
            self._timer.stop()
            self._latest.drop()
            self._show([])
            return
        self._timer.start()

    def set_merge_enabled(self, enabled: bool) -> None:
        self.merge_button.setEnabled(enabled)

    def _look(self) -> None:
        incident = self._pending
        if incident is None:
            return
        services = self._context.services
        QueryOp(parent=self, op=lambda _cancelled: services.duplicates.candidates(
                    incident, limit=SHOWN),
                success=self._show).failure(lambda _error: self._show([])).latest_in(
            self._latest).run_in_background(self._context.runner)

    def _show(self, candidates: list[Candidate]) -> None:
        self.candidates = list(candidates)
        self.list.clear()
        for candidate in candidates:
            where = ", ".join(c for c in (candidate.place, candidate.country) if c)
            # The score and why first: the title is what gets cut on a narrow form.
            text = (f"{candidate.ref} · {candidate.percent} %: {', '.join(candidate.reasons)}\n"
                    f"{' '.join(candidate.title.split())}")
            item = QListWidgetItem(text)  # a QListWidgetItem's text is never rich text
            item.setData(Qt.ItemDataRole.UserRole, candidate.uid)
            item.setToolTip(tooltip_html(f"{text}\n{where}".strip()))
            self.list.addItem(item)
        if candidates:
            self.list.setCurrentRow(0)
        self.setVisible(bool(candidates))
        self.looked.emit()

    def _emit(self, signal: SignalInstance) -> None:
        item = self.list.currentItem()
        if item is not None:
            signal.emit(item.data(Qt.ItemDataRole.UserRole))
