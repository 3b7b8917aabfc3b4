"""Guess a source from what a desk officer pastes (docs/entering-incidents.md, "Paste a citation").

The pastes come from the kind of page the seed article is (docs/architecture.md):

* an embedded post, its text then the attribution line
  ``— U.S. Central Command (@CENTCOM) January 20, 2024``;
* a bare URL (``https://x.com/CENTCOM/status/…``, ``https://youtu.be/…``);
* a video title as a browser shows it, ``… IN IRAQ – YOUTUBE``;
* a headline.

``parse_citation`` fills only what the text states; everything else stays
``None`` for the officer to fill. It never raises: a paste it cannot read gives
an empty or partial guess, never an error dialog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from incidentlog.domain.enums import SourceKind, TimePrecision
from incidentlog.domain.urls import is_http_url, normalize_url, url_host
from incidentlog.domain.when import Moment

__all__ = ["CitationGuess", "parse_citation", "parse_citation_date"]


@dataclass(frozen=True, slots=True)
class CitationGuess:
    """What a paste says about a source; ``None`` where it says nothing."""

    kind: SourceKind | None = None
    title: str | None = None
    url: str | None = None  # the first http(s) URL found, as written
    outlet: str | None = None  # "U.S. Central Command", "Reuters", "YouTube"
    author: str | None = None
    handle: str | None = None  # "@CENTCOM"
    published: Moment | None = None  # with its precision, tz "UTC"
    excerpt: str | None = None  # the post's own text when a whole post was pasted


#: A line longer than this is a paragraph, not a headline: no title is guessed.
MAX_TITLE_GUESS = 300

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_DATE_FORMS = (
    re.compile(rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}", re.IGNORECASE),  # January 20, 2024
    re.compile(rf"{_DAY}\s+{_MONTH},?\s+{_YEAR}", re.IGNORECASE),  # 20 January 2024
    re.compile(r"(?P<year>\d{4})-(?P<mnum>\d{2})-(?P<day>\d{2})"),  # 2024-01-20
    re.compile(rf"{_MONTH},?\s+{_YEAR}", re.IGNORECASE),  # January 2024
)
_FIRST_YEAR, _LAST_YEAR = 1900, 2100

#: ``(@handle) date`` at the end of an attribution line. Searched from the last
#: ``(@`` only, so a long paste costs one pass.
_ATTRIBUTION_TAIL = re.compile(r"\(@(?P<handle>[A-Za-z0-9_]{1,50})\)\s*(?P<date>[^()]{0,40}?)\s*$")
#: What separates the post text (or nothing) from the author's display name.
_SEPARATOR = re.compile(r"(?:[—–―]|(?:^|(?<=\s))--?(?=\s))\s*")

_URL = re.compile(r"https?://[^\s<>\"'`\u00a0\u2000-\u200b\u3000]+", re.IGNORECASE)
#: Twitter prints photo links without a scheme.
_BARE_PIC = re.compile(r"(?<![\w./@-])pic\.twitter\.com/[A-Za-z0-9_]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?…'\"”’»›)]}>"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

#: Outlets a browser tab or a search result appends to a title, and what kind
#: of source that suffix tells. Only these are split off: an unknown "- word"
#: may well be part of the headline.
_TITLE_SUFFIXES: dict[str, tuple[str, SourceKind | None]] = {
    "youtube": ("YouTube", SourceKind.VIDEO),
    "reuters": ("Reuters", SourceKind.ARTICLE),
    "ap news": ("AP", SourceKind.ARTICLE),
    "al jazeera": ("Al Jazeera", SourceKind.ARTICLE),
    "bbc news": ("BBC", SourceKind.ARTICLE),
    "bbc": ("BBC", SourceKind.ARTICLE),
    "iran international": ("Iran International", SourceKind.ARTICLE),
}
_TITLE_SUFFIX = re.compile(
    r"^(?P<title>.*?\S)\s+(?:[-–—|•·])\s+(?P<suffix>"
    + "|".join(re.escape(name) for name in sorted(_TITLE_SUFFIXES, key=len, reverse=True))
    + r")\s*$",
    re.IGNORECASE,
)

#: Host (or a parent domain of it) → outlet.
_OUTLETS = {
    "reuters.com": "Reuters",
    "apnews.com": "AP",
    "aljazeera.com": "Al Jazeera",
    "aljazeera.net": "Al Jazeera",
    "bbc.co.uk": "BBC",
    "bbc.com": "BBC",
    "iranintl.com": "Iran International",
    "centcom.mil": "CENTCOM",
    "defense.gov": "U.S. Department of Defense",
    "whitehouse.gov": "The White House",
    "state.gov": "U.S. Department of State",
    "youtube.com": "YouTube",
    "x.com": "X",
    "pic.twitter.com": "X",
}
_OFFICIAL_HOSTS = ("centcom.mil", "defense.gov", "whitehouse.gov", "state.gov")
#: Paths of an official site that hold what a person said rather than a release.
_STATEMENT_PATH = re.compile(r"statement|remarks|speech|transcript|readout", re.IGNORECASE)
#: Short links lead anywhere: neither kind nor outlet can be told from them.
_SHORTENERS = frozenset({"t.co", "bit.ly", "ow.ly", "buff.ly", "tinyurl.com", "dlvr.it"})
_STATUS_PATH = re.compile(r"^/(?P<user>[A-Za-z0-9_]{1,50})/status(?:es)?/\d+", re.IGNORECASE)


def parse_citation(text: object) -> CitationGuess:
    """The source that ``text`` describes, as far as it says. Never raises."""
    if not isinstance(text, str):
        return CitationGuess()
    lines = _clean_lines(text)
    if not lines:
        return CitationGuess()
    first: tuple[int, _Attribution] | None = None
    for index, line in enumerate(lines):
        # An embed's link to the post may follow the date on the same line.
        found = _attribution(_strip_trailing_urls(line))
        if found is None:
            continue
        if found.marked:
            return _post(lines[:index], found, lines[index:])
        # A post's own line may end in "(@someone)": a dash or a date marks the real one.
        first = first or (index, found)
    if first is not None:
        return _post(lines[: first[0]], first[1], lines[first[0]:])
    if len(lines) == 1 and len(lines[0].split()) == 1:
        url = _first_url(lines[0])
        if url is not None:
            return _from_url(url)
    return _titled(lines)


def parse_citation_date(text: str) -> Moment | None:
    """``January 20, 2024``, ``Jan. 20, 2024``, ``20 January 2024``, ``2024-01-20``
    (DAY) or ``January 2024`` (MONTH) found in ``text``, in UTC; None if none is.

    Only real dates from 1900 to 2100 count: ``February 30`` is no date.
    """
    for pattern in _DATE_FORMS:
        for match in pattern.finditer(text):
            moment = _moment(match)
            if moment is not None:
                return moment
    return None


def _moment(match: re.Match[str]) -> Moment | None:
    groups = match.groupdict()
    if groups.get("mnum"):
        month: int | None = int(groups["mnum"])
    else:
        month = _MONTHS.get(groups["month"].lower())
    year = int(groups["year"])
    if month is None or not _FIRST_YEAR <= year <= _LAST_YEAR:
        return None
    day_text = groups.get("day")
    try:
        wall = datetime(year, month, int(day_text) if day_text else 1)
    except ValueError:
        return None
    precision = TimePrecision.DAY if day_text else TimePrecision.MONTH
    return Moment.from_local(wall, precision, "UTC")


def _clean_lines(text: str) -> list[str]:
    """Non-empty lines, trimmed, without control and bidi-override characters."""
    lines = []
    for raw in text.splitlines():
        line = _CONTROL.sub("", raw.replace("\t", " ")).strip()
        if line:
            lines.append(" ".join(line.split()))
    return lines


@dataclass(frozen=True, slots=True)
class _Attribution:
    name: str | None  # the display name: an account's, often an organisation's
    handle: str
    published: Moment | None
    text_before: str  # post text on the same line, before the separator
    marked: bool  # a dash before the name or a date after the handle


def _attribution(line: str) -> _Attribution | None:
    """``[text] — Display Name (@handle) [date]`` → its parts, or None.

    The name runs from the last dash before ``(@`` (or the line start): a
    display name rarely contains a dash, a post's text often does.
    """
    start = line.rfind("(@")
    if start < 0:
        return None
    tail = _ATTRIBUTION_TAIL.match(line, start)
    if tail is None:
        return None
    published = None
    if tail.group("date"):
        published = parse_citation_date(tail.group("date"))
        if published is None:
            return None  # "(@someone) said more" is prose, not an attribution
    head = line[:start]
    separators = list(_SEPARATOR.finditer(head))
    if separators:
        last = separators[-1]
        before, name = head[: last.start()].strip(), head[last.end():].strip()
    else:
        before, name = "", head.strip()
    if name and (len(name) > 100 or not any(char.isalpha() for char in name)):
        return None
    marked = bool(separators) or published is not None
    return _Attribution(name or None, "@" + tail.group("handle"), published, before, marked)


def _post(before: list[str], attribution: _Attribution, after: list[str]) -> CitationGuess:
    """An embedded post: its text, then who posted it and when, then (often) its link.

    ``after`` starts at the attribution line. A link that ends that line, or a line
    below it that is only a link, is the post's own address; a link in the text (a
    photo, an article it shares) stands for the post only when no such link follows.
    """
    body = [*before, attribution.text_before] if attribution.text_before else before
    excerpt = "\n".join(body) or None
    own = _first_url(_trailing_urls(after[0])) if after else None
    if own is None and len(after) > 1 and not _strip_urls(after[1]):
        own = _first_url(after[1])  # the next line is a link and nothing else
    url = own or (_first_url("\n".join(body)) if body else None)
    return CitationGuess(
        kind=SourceKind.SOCIAL_POST,
        url=url,
        outlet=attribution.name,
        handle=attribution.handle,
        published=attribution.published,
        excerpt=excerpt,
    )


def _from_url(url: str) -> CitationGuess:
    kind, outlet, handle = _about_url(url)
    return CitationGuess(kind=kind, url=url, outlet=outlet, handle=handle)


def _about_url(url: str) -> tuple[SourceKind | None, str | None, str | None]:
    """Kind, outlet and handle that the address itself tells."""
    host = url_host(url)
    if host is None or host in _SHORTENERS:
        return None, None, None
    outlet = next((name for domain, name in _OUTLETS.items() if _within(host, domain)), host)
    handle = None
    if host in ("x.com", "pic.twitter.com"):
        kind = SourceKind.SOCIAL_POST
        # The handle as written: the normalized key has it lower-cased.
        status = _STATUS_PATH.match(_path(url.strip()))
        if host == "x.com" and status and status.group("user").lower() != "i":
            handle = "@" + status.group("user")
    elif host == "youtube.com":
        kind = SourceKind.VIDEO
    elif any(_within(host, domain) for domain in _OFFICIAL_HOSTS):
        statement = _STATEMENT_PATH.search(_path(normalize_url(url)))
        kind = SourceKind.OFFICIAL_STATEMENT if statement else SourceKind.PRESS_RELEASE
    else:
        kind = SourceKind.ARTICLE
    return kind, outlet, handle


def _within(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def _path(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:
        return ""


def _titled(lines: list[str]) -> CitationGuess:
    """A headline or a video title, possibly with its URL on the same or another line."""
    url = _first_url("\n".join(lines))
    kind, outlet, handle = _about_url(url) if url else (None, None, None)
    title = None
    for line in lines:
        candidate = _strip_urls(line)
        if candidate and not _is_only_date(candidate):
            title = candidate
            break
    if title is not None:
        suffix = _TITLE_SUFFIX.match(title)
        if suffix:
            named_outlet, named_kind = _TITLE_SUFFIXES[suffix.group("suffix").lower()]
            title = suffix.group("title").strip()
            outlet = named_outlet  # stated in the text: it wins over the host's name
            kind = kind or named_kind
        if len(title) > MAX_TITLE_GUESS:
            title = None
    published = next(
        (parse_citation_date(line) for line in lines if _is_only_date(line)), None
    )
    return CitationGuess(
        kind=kind, title=title, url=url, outlet=outlet, handle=handle, published=published
    )


def _is_only_date(line: str) -> bool:
    """A line that is a date and nothing else (a page's "Published" line)."""
    if len(line) > 40:
        return False
    stripped = re.sub(r"^(?:published|updated|posted)\s*:?\s*", "", line, flags=re.IGNORECASE)
    return any(pattern.fullmatch(stripped.strip()) for pattern in _DATE_FORMS) and (
        parse_citation_date(stripped) is not None
    )


def _url_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, url)`` of every http(s) URL in ``text``, trailing punctuation off.

    A ``pic.twitter.com/…`` link counts, given ``https://``.
    """
    spans: list[tuple[int, int, str]] = []
    for match in _URL.finditer(text):
        url = _trim(match.group())
        spans.append((match.start(), match.start() + len(url), url))
    for match in _BARE_PIC.finditer(text):
        spans.append((match.start(), match.end(), "https://" + match.group()))
    spans.sort()
    return [span for span in spans if is_http_url(span[2])]


def _first_url(text: str) -> str | None:
    spans = _url_spans(text)
    return spans[0][2] if spans else None


def _strip_urls(line: str) -> str:
    for start, end, _ in reversed(_url_spans(line)):
        line = line[:start] + line[end:]
    return " ".join(line.split())


def _trailing_urls(line: str) -> str:
    """The URLs (and the spaces between them) that end ``line``; '' if it ends otherwise."""
    spans = _url_spans(line)
    end = len(line.rstrip())
    start = end
    for span_start, span_end, _url in reversed(spans):
        if line[span_end:start].strip():
            break
        start = span_start
    return line[start:end] if start < end else ""


def _strip_trailing_urls(line: str) -> str:
    trailing = _trailing_urls(line)
    return line[: len(line.rstrip()) - len(trailing)].rstrip() if trailing else line


def _trim(url: str) -> str:
    """Drop sentence punctuation after a URL, but keep a ``)`` the URL opened."""
    opened, closed = url.count("("), url.count(")")
    end = len(url)
    while end and url[end - 1] in _TRAILING_PUNCTUATION:
        if url[end - 1] == ")":
            if opened >= closed:
                break
            closed -= 1
        end -= 1
    return url[:end]
