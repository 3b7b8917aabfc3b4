"""What a cell of the incident table shows, with nothing of the data layer.

The table's model (``incident_model``) and the first rows shown while the log
opens (``first_rows``) read their cells here, so both look the same: dates in
the report's local time with the UTC instant in the tooltip, "unknown" counts
greyed (never 0), the status as a coloured badge and the confidence with a
coloured mark (painted by the delegates of ``incident_delegates``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from incidentlog.domain.columns import Column
from incidentlog.domain.countries import country_name
from incidentlog.domain.enums import CONFIDENCE_MEANING, Status
from incidentlog.domain.harm import injured_text, killed_text
from incidentlog.domain.query import Sort
from incidentlog.domain.records import Incident

Index = QModelIndex | QPersistentModelIndex

#: Background of the status badge (the foreground is ``STATUS_COLOURS``).
BADGE_ROLE = Qt.ItemDataRole.UserRole + 10

#: (text, badge background) per status: readable on light and dark palettes.
STATUS_COLOURS: dict[Status, tuple[str, str]] = {
    Status.DRAFT: ("#374151", "#e5e7eb"),
    Status.IN_REVIEW: ("#92400e", "#fde68a"),
    Status.VERIFIED: ("#166534", "#bbf7d0"),
    Status.DISPUTED: ("#991b1b", "#fecaca"),
    Status.ARCHIVED: ("#334155", "#cbd5e1"),
}

#: Mark beside the confidence grade: 1 (confirmed) green … 5 (improbable) red, 6 grey.
CONFIDENCE_COLOURS = {
    1: "#15803d",
    2: "#65a30d",
    3: "#ca8a04",
    4: "#ea580c",
    5: "#dc2626",
    6: "#9ca3af",
}

#: The confidence grade in one word, so the table reads at a glance (the tooltip has
#: the full meaning of the Admiralty scale).
CONFIDENCE_WORDS = {1: "confirmed", 2: "probable", 3: "possible", 4: "doubtful",
                    5: "improbable", 6: "not judged"}

UNKNOWN_COLOUR = "#8a8f98"

COLUMN_HELP = {
    "ref": "Short reference of the incident, unique in this database",
    "occurred": "When it happened, in the local time the report used; the tooltip gives UTC",
    "country": "Country (ISO 3166-1); the tooltip gives the code",
    "killed": "Killed: a count with its qualifier, or unknown (unknown is not zero)",
    "injured": "Injured: a count with its qualifier, or unknown (unknown is not zero)",
    "status": "Review status: draft, in review, verified, disputed or archived",
    "confidence": "Information credibility on the Admiralty scale: "
                  "1 confirmed by other sources … 6 truth cannot be judged",
    "attribution": "Who is said to be responsible: claimed, attributed, suspected or unknown",
    "perpetrator": "The first perpetrator or claimant of the incident's actors",
    "actors": "Every actor of the incident with its role, and who attributes it",
}

DEFAULT_SORT = Sort("occurred_at", descending=True)


DISPLAY = Qt.ItemDataRole.DisplayRole
FOREGROUND = Qt.ItemDataRole.ForegroundRole
ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
FONT = Qt.ItemDataRole.FontRole
DECORATION = Qt.ItemDataRole.DecorationRole
COUNT_KEYS = frozenset({"killed", "injured"})
RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
LEFT_ALIGNED = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


class _Looks:
    """The brushes, colours and font the cells use, made once (they need a QGuiApplication)."""

    def __init__(self) -> None:
        self.unknown_brush = QBrush(QColor(UNKNOWN_COLOUR))
        self.status_brushes = {status: QBrush(QColor(text))
                               for status, (text, _badge) in STATUS_COLOURS.items()}
        self.badge_colours = {status: QColor(badge)
                              for status, (_text, badge) in STATUS_COLOURS.items()}
        self.confidence_colours = {grade: QColor(colour)
                                   for grade, colour in CONFIDENCE_COLOURS.items()}
        self.italic = QFont()
        self.italic.setItalic(True)


@cache
def looks() -> _Looks:
    return _Looks()


def date_tooltip(incident: Incident) -> str | None:
    moment = incident.occurred
    if moment is None:
        return None
    start, end = moment.interval()
    lines = [f"{start:%Y-%m-%d %H:%M} UTC"]
    if moment.precision.value != "minute":
        lines[0] = f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC"
    lines.append(f"local: {moment.local_text()} ({moment.tz})")
    lines.append(f"precision: {moment.precision.label}"
                 + (", approximate" if moment.approximate else ""))
    return "\n".join(lines)


def incident_cell(column: Column[Any], record: Any, role: int) -> Any:
    """What a cell of ``column`` shows of ``record`` (an ``Incident``) in ``role``.

    Called ~1,000 times a screen: colours, fonts and alignments are made once.
    """
    incident: Incident = record
    key = column.key
    if role == DISPLAY:
        if key == "country" and incident.country:
            return country_name(incident.country)
        if key == "confidence" and incident.confidence in CONFIDENCE_WORDS:
            return f"{incident.confidence} {CONFIDENCE_WORDS[incident.confidence]}"
        if key == "killed":
            return killed_text(incident, short=True)
        if key == "injured":
            return injured_text(incident, short=True)
        return column.text(incident)
    if role == FOREGROUND:
        if key in COUNT_KEYS and not getattr(incident, key).known:
            return looks().unknown_brush
        if key == "status":
            return looks().status_brushes[incident.status]
        return None
    if role == ALIGNMENT:
        return RIGHT_ALIGNED if column.numeric or key in COUNT_KEYS else LEFT_ALIGNED
    if role == FONT:
        if key in COUNT_KEYS and not getattr(incident, key).known:
            return looks().italic
        return None
    if role == DECORATION and key == "confidence":
        return looks().confidence_colours.get(incident.confidence or 0)
    if role == BADGE_ROLE and key == "status":
        return looks().badge_colours[incident.status]
    if role == Qt.ItemDataRole.ToolTipRole:
        return _tooltip(key, incident)
    if role == Qt.ItemDataRole.AccessibleTextRole:
        if key in COUNT_KEYS:
            return killed_text(incident) if key == "killed" else injured_text(incident)
        return column.text(incident)
    return None


def _tooltip(key: str, incident: Incident) -> str | None:
    if key == "occurred":
        return date_tooltip(incident)
    if key == "country" and incident.country:
        return f"{country_name(incident.country)} ({incident.country})"
    if key == "confidence" and incident.confidence:
        return f"{incident.confidence}: {CONFIDENCE_MEANING.get(incident.confidence, '')}"
    if key in ("killed", "injured") and not getattr(incident, key).known:
        return "unknown: the reports give no figure (not zero)"
    if key in ("killed", "injured"):
        return killed_text(incident) if key == "killed" else injured_text(incident)
    if key == "title" and incident.summary:
        summary = incident.summary
        return summary if len(summary) <= 400 else summary[:399] + "…"
    return None
