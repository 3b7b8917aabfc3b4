"""The timeline: incidents, quotes and named periods along a time axis.

``TimelineWidget`` (``widget.py``) is what the main window adds: the toolbar
over ``TimelineView`` (``view.py``). The view reads through
``TimelineFetcher`` (``fetcher.py``), lays out with ``layout.py``, paints with
``paint_marks.py`` and ``paint_chrome.py``, answers the pointer and the keys
with ``interaction.py`` and handles named periods with
``period_controller.py`` (the dialog and undo commands: ``periods.py``);
``scale.py`` maps time to pixels. See docs/timeline.md.
"""

from incidentlog.gui.timeline.tooltips import incident_tooltip, quote_tooltip
from incidentlog.gui.timeline.view import TimelineView
from incidentlog.gui.timeline.widget import TimelineWidget

__all__ = ["TimelineView", "TimelineWidget", "incident_tooltip", "quote_tooltip"]
