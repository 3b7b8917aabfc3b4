"""What a briefing export did, for the person who asked for it."""

from __future__ import annotations

from dataclasses import dataclass

from incidentlog.exchange.reports import ExportReport

__all__ = ["BriefingReport"]


@dataclass(frozen=True)
class BriefingReport(ExportReport):
    """An ``ExportReport`` naming the format and the incidents it could not hold."""

    format_name: str = ""
    #: Incidents left out because the format needs a date and they have none.
    undated: int = 0

    def summary(self) -> str:
        noun = "incident" if self.incidents == 1 else "incidents"
        text = f"Exported {self.incidents:,} {noun} to {self.path} ({self.format_name})."
        if self.undated:
            left = "incident has" if self.undated == 1 else "incidents have"
            text += f" {self.undated:,} {left} no date and could not be placed: left out."
        return text
