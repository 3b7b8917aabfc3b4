"""What the timeline's marks look like: their sizes in pixels and their colours.

Shared by the layout (which places marks of these sizes) and the painting.
"""

from __future__ import annotations

from hashlib import blake2b

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor

from incidentlog.domain.actors import ACTOR_LANES
from incidentlog.domain.countries import country_name
from incidentlog.domain.enums import Status

ROW = 20.0  # height of a row of marks
MARK = 10.0  # diameter of a point
BAR = 14.0  # height of a bar (its label fits inside)
POINT_BAR_MIN = 14.0  # a minute or hour wider than this is drawn as a bar
GAP = 3.0  # horizontal room kept between two marks of a row
CAPTION = 16.0  # a track's caption row
QUOTE_ROWS = 3  # quotes stack at most this high; more are counted
LINK_LIMIT = 150  # links from quotes to incidents drawn only when this few quotes show
LABEL_MIN = 28.0  # room needed to write a label at all
LABELS_IN_PACKING = 250  # with this few items, a label's width keeps its row free
AXIS_HEIGHT = 42.0  # the time axis: major labels, then minor ones
PERIOD_ROW = 18.0  # a row of period names under the axis
FOOTER_HEIGHT = 24.0  # the legend

_tr = QCoreApplication.translate

#: One colour per default event type (resources/vocabularies.json), readable on white
#: and on a dark base; other values take one of EXTRA by a stable hash.
EVENT_TYPE_COLOURS = {
    "rocket attack": "#e15759",
    "drone attack": "#4e79a7",
    "ballistic missile attack": "#8e5ea2",
    "cruise missile attack": "#9c755f",
    "indirect fire": "#f28e2b",
    "mortar attack": "#c9a227",
    "IED": "#59a14f",
    "small arms fire": "#3f9f9a",
    "retaliatory strike": "#2f4b7c",
    "air strike": "#d37295",
    "interception": "#86bc45",
    "other": "#79706e",
}
EXTRA_COLOURS = ("#17becf", "#bcbd22", "#7f3c8d", "#11a579", "#e73f74", "#3969ac",
                 "#f2b701", "#80ba5a", "#e68310", "#008695")
STATUS_MARK_COLOURS = {
    Status.DRAFT.value: "#8a8f98",
    Status.IN_REVIEW.value: "#e0a100",
    Status.VERIFIED.value: "#2e9d4f",
    Status.DISPUTED.value: "#d64541",
    Status.ARCHIVED.value: "#5b6b82",
}
UNKNOWN_COLOUR = "#b3b3b3"
DENSITY_COLOUR = "#5b7fa8"
QUOTE_COLOUR = "#0f766e"
PERIOD_COLOUR = "#8b5cf6"


def value_colour(column: str, value: str | None) -> QColor:
    """The colour of a value of the colour column: stable across runs and machines."""
    if value is None:
        return QColor(UNKNOWN_COLOUR)
    if column == "status":
        return QColor(STATUS_MARK_COLOURS.get(value, UNKNOWN_COLOUR))
    known = EVENT_TYPE_COLOURS.get(value)
    if known is not None:
        return QColor(known)
    digest = blake2b(value.casefold().encode(), digest_size=2).digest()
    return QColor(EXTRA_COLOURS[int.from_bytes(digest, "big") % len(EXTRA_COLOURS)])


def value_label(column: str | None, value: str | None) -> str:
    """How a lane or legend names a value: "Iraq (IQ)", "in review", "unknown place"."""
    if value is None:
        unknown = {
            "country": _tr("Timeline", "unknown country"),
            "event_type": _tr("Timeline", "unknown type"),
            "perpetrator": _tr("Timeline", "unknown perpetrator"),
            "place": _tr("Timeline", "unknown place"),
            "status": _tr("Timeline", "no status"),
        }
        if column in ACTOR_LANES:
            role = ACTOR_LANES[column]
            return (_tr("Timeline", "no named actor") if role is None else
                    _tr("Timeline", "no named %1").replace("%1", role.replace("_", " ")))
        return unknown.get(column or "", _tr("Timeline", "unknown"))
    if column == "country":
        return f"{country_name(value)} ({value})"
    if column == "status":
        try:
            return Status(value).label
        except ValueError:
            return value
    return value

