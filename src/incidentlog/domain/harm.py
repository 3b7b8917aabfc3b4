"""Killed and injured said in one line: the total with its range and its parts.

"≥ 5 (1 seriously)", "3–5 (2 civilians, 1 military)", "at least 5 (1 seriously)".
The model is ``records.Count`` (best, qualifier, low, high) and ``records.HarmSplit``;
docs/harm.md.
"""

from __future__ import annotations

import re

from incidentlog.domain.records import Count, HarmSplit, Incident

__all__ = ["harm_text", "injured_text", "killed_text", "parse_injured", "parts_text"]

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_WORD = re.compile(r"\b(?:" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
#: "at least 5 injured": the noun a report puts after the number of the total.
_INJURED = re.compile(r"(?<=\d)\s+(?:people\s+)?(?:injured|wounded|hurt)\b", re.IGNORECASE)
#: "at least 5, one seriously", "at least 5 (1 seriously)", "5, 2 of them seriously".
_SERIOUSLY = re.compile(
    r"(?P<total>.+?)\s*(?:,|;|\()\s*(?P<part>.+?)\s+(?:of them\s+)?(?:seriously|critically)"
    r"(?:\s+(?:injured|wounded|hurt))?\s*\)?",
    re.IGNORECASE,
)

_PART_WORDS = {"civilians": "civilians", "military": "military", "unknown": "status unknown",
               "seriously": "seriously"}


def parts_text(split: HarmSplit | None, seriously: Count | None = None, *,
               short: bool = False) -> str:
    """"2 civilians, 1 military, 1 seriously"; '' when no part is reported."""
    parts = list(split.parts()) if split is not None else []
    if seriously is not None:
        parts.append(("seriously", seriously))
    return ", ".join(f"{count.short() if short else count.display()} {_PART_WORDS[name]}"
                     for name, count in parts if count.known)


def harm_text(total: Count, split: HarmSplit | None = None, seriously: Count | None = None,
              *, short: bool = False) -> str:
    """The total ("3–5", "at least 5"; ``short``: "≥ 5") and its parts in brackets."""
    text = total.short() if short else total.display()
    parts = parts_text(split, seriously, short=short)
    return f"{text} ({parts})" if parts else text


def killed_text(incident: Incident, *, short: bool = False) -> str:
    """``short``: for a table cell, the total alone ("3–5"); else with its split."""
    if short:
        return incident.killed.short()
    return harm_text(incident.killed, incident.killed_split)


def injured_text(incident: Incident, *, short: bool = False) -> str:
    """``short``: the total and the seriously injured ("≥ 5 (1 seriously)"); else all."""
    if short:
        return harm_text(incident.injured, seriously=incident.injured_seriously, short=True)
    return harm_text(incident.injured, incident.injured_split, incident.injured_seriously)


def parse_injured(text: str | None) -> tuple[Count, Count]:
    """An injured figure as a report words it: the total (``Count.parse``) and how many
    seriously, when it says so: "at least 5, one seriously" is (at least 5, 1)."""
    raw = _WORD.sub(lambda word: str(_NUMBER_WORDS[word.group(0).lower()]), (text or "").strip())
    raw = _INJURED.sub("", raw)
    match = _SERIOUSLY.fullmatch(raw)
    if match is None:
        return Count.parse(raw), Count()
    return Count.parse(match.group("total")), Count.parse(match.group("part"))
