"""Web addresses of sources and the key that de-duplicates them (docs/architecture.md).

The seed article cites one CENTCOM post twice; a desk officer may paste it once
from ``twitter.com`` with ``?s=20`` and once from ``x.com``. ``normalize_url``
maps such spellings of one resource to one string, the key a new source is
compared with. It works offline: it never follows a redirect, so short links
(``t.co``) and ``pic.twitter.com`` links stay what they are.

The key is a real, openable URL (``https://host/path?query``), but it is not
meant to be shown instead of what the user typed: the source keeps its ``url``
as written next to the normalized form.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

__all__ = ["InvalidUrl", "is_http_url", "normalize_url", "url_host"]


class InvalidUrl(ValueError):  # noqa: N818 - the name reads as what the value is
    """The text is not an absolute http(s) address with a host.

    ``str(error)`` is a sentence fit to show to the user; ``url`` is the text
    as given and ``reason`` the bare reason.
    """

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        shown = url if len(url) <= 80 else url[:77] + "…"
        super().__init__(f"{shown!r} is not a web address: {reason}")


# RFC 3986 character classes. Anything outside them is percent-encoded (UTF-8).
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS = frozenset("!$&'()*+,;=")
_PATH_SAFE = _UNRESERVED | _SUB_DELIMS | frozenset(":@/")
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_HEX = frozenset("0123456789abcdefABCDEF")

_HOST_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

#: Prefixes that name the same site for another audience; dropped from hosts.
_HOST_PREFIXES = ("www.", "m.", "mobile.")

#: Query parameters that only say how the reader arrived, on any host.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "twclid", "ttclid", "yclid",
        "mc_cid", "mc_eid", "igshid", "ref", "cmpid", "ocid", "smid",
        "_ga", "_gl", "mkt_tok", "_hsenc", "_hsmi",
    }
)
_TWITTER_TRACKING = frozenset({"s", "t", "ref_src", "ref_url"})
_YOUTUBE_TRACKING = frozenset({"si", "feature"})

_TWITTER_HOSTS = frozenset({"twitter.com", "x.com"})
_YOUTUBE_HOSTS = frozenset({"youtube.com", "youtube-nocookie.com"})
#: Redirectors that cannot be resolved offline: only scheme, host and
#: percent-encoding are normalized, the path and the query are kept as written.
_OPAQUE_HOSTS = frozenset({"t.co", "pic.twitter.com"})

_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,50}$")
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
_STATUS_ID = re.compile(r"^[0-9]{1,30}$")


def is_http_url(text: str) -> bool:
    """True if ``text`` is an absolute http or https URL with a host.

    Exactly the texts ``normalize_url`` accepts, so a URL that passes
    validation always has a de-duplication key.
    """
    try:
        normalize_url(text)
    except InvalidUrl:
        return False
    return True


def url_host(url: str) -> str | None:
    """The normalized host (``x.com`` for ``https://mobile.twitter.com/…``), or None."""
    try:
        normalized = normalize_url(url)
    except InvalidUrl:
        return None
    return urlsplit(normalized).hostname


def normalize_url(url: str) -> str:
    """The de-duplication key of ``url``: ``https://host/path?query``.

    Raises ``InvalidUrl`` for anything that is not an http(s) URL with a host.
    Idempotent: ``normalize_url(normalize_url(u)) == normalize_url(u)``.
    """
    if not isinstance(url, str):
        raise InvalidUrl(repr(url), "it is not text")
    text = url.strip()
    if not text:
        raise InvalidUrl(url, "it is empty")
    if _CONTROL.search(text):
        raise InvalidUrl(url, "it contains line breaks or control characters")
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise InvalidUrl(url, "it must start with http:// or https://")
        if not parts.netloc:
            raise InvalidUrl(url, "it has no host name after the //")
        raw_host = parts.hostname
        port = parts.port  # ValueError if not a number or out of range
    except InvalidUrl:
        raise
    except ValueError as exc:  # malformed IPv6 literal, bad port, NFKC tricks
        raise InvalidUrl(url, _reason(exc)) from None
    if not raw_host:
        raise InvalidUrl(url, "it has no host name after the //")
    host = _normalize_host(url, raw_host)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and not (port == 443 or (port == 80 and scheme == "http")):
        netloc = f"{netloc}:{port}"

    path = _remove_dot_segments(_normalize_percent(parts.path, _PATH_SAFE))
    fragment = parts.fragment
    if host == "twitter.com" and path in ("", "/") and fragment.startswith("!/"):
        # Old hash-bang links: twitter.com/#!/CENTCOM/status/1 is the post itself.
        path = _remove_dot_segments(_normalize_percent(fragment[1:].split("?")[0], _PATH_SAFE))
    path = path.rstrip("/")

    if host in _OPAQUE_HOSTS:
        query = _normalize_percent(parts.query, _QUERY_SAFE)
        return _join(netloc, path, query)

    pairs = _query_pairs(parts.query)
    if host in _TWITTER_HOSTS:
        netloc, path, pairs = _twitter(path, pairs)
    elif host in _YOUTUBE_HOSTS or host == "youtu.be":
        netloc, path, pairs = _youtube(netloc, host, path, pairs)
    pairs = [pair for pair in pairs if not _is_tracking(pair[0], host)]
    query = "&".join(sorted(raw for _, raw in pairs))
    return _join(netloc, path, query)


def _reason(exc: ValueError) -> str:
    text = str(exc)
    if "port" in text.lower():
        return "its port is not a number from 0 to 65535"
    if "ipv6" in text.lower():
        return "its IPv6 address in [brackets] is malformed"
    return "its host name contains characters that are not allowed"


def _join(netloc: str, path: str, query: str) -> str:
    return f"https://{netloc}{path}" + (f"?{query}" if query else "")


def _normalize_host(url: str, raw_host: str) -> str:
    """Lower-case ASCII host: IDNA (punycode) for Unicode names, prefixes dropped.

    Punycode rather than Unicode because it is one spelling for a name that
    Unicode allows many of (width, case, compatibility forms), and it is what
    the address bar copies.
    """
    host = raw_host
    if ":" in host:  # IPv6 literal; urlsplit checked it is bracketed
        try:
            return str(ipaddress.IPv6Address(host.split("%")[0]))
        except ValueError:
            raise InvalidUrl(url, "its IPv6 address in [brackets] is malformed") from None
    if not host.isascii():
        host = _ascii_host(url, host)
    if host.endswith(".") and not host.endswith(".."):
        host = host[:-1]  # the fully qualified "example.com." is example.com
    host = host.lower()
    labels = host.split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        raise InvalidUrl(url, "its host name contains characters that are not allowed")
    changed = True
    while changed:
        changed = False
        for prefix in _HOST_PREFIXES:
            rest = host[len(prefix):]
            if host.startswith(prefix) and "." in rest:
                host, changed = rest, True
    return host


def _ascii_host(url: str, host: str) -> str:
    """A Unicode host name as a browser's address bar spells it: the UTS #46 mapping
    (full-width letters, the ideographic full stop "。" as ".", case folded), then
    punycode, non-transitional as the WHATWG URL standard does ("faß.de" is not
    "fass.de": they are two registrable names)."""
    import idna  # only for Unicode hosts: its mapping table is large

    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise InvalidUrl(url, "its host name is not a valid domain name") from None


def _normalize_percent(text: str, safe: frozenset[str]) -> str:
    """Upper-case ``%XX``, decode unreserved characters, encode everything unsafe.

    A ``%`` not followed by two hex digits is taken literally (``%25``), as
    browsers do. The result is stable under a second pass.
    """
    if "%" not in text and safe.issuperset(text):
        return text  # most paths and queries: nothing to decode or encode
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "%" and i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
            decoded = chr(int(text[i + 1 : i + 3], 16))
            out.append(decoded if decoded in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
            i += 3
            continue
        if char in safe:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: ``/a/./b/../c`` is ``/a/c``."""
    if "." not in path:
        return path
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments[1:]:
        if segment == ".":
            continue
        if segment == "..":
            if kept:
                kept.pop()
            continue
        kept.append(segment)
    if segments[-1] in (".", ".."):
        kept.append("")  # "/a/b/.." is the directory "/a/"
    return "/" + "/".join(kept) if path.startswith("/") else "/".join(kept)


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """``[(decoded lower-case name, normalized "name=value")]``, empty pieces dropped."""
    pairs: list[tuple[str, str]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        raw = _normalize_percent(piece, _QUERY_SAFE)
        name = raw.split("=", 1)[0]
        pairs.append((_decode_name(name).lower(), raw))
    return pairs


def _decode_name(name: str) -> str:
    """Percent-decode a (normalized) parameter name, for comparison only."""
    return re.sub(r"%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), name)


def _is_tracking(name: str, host: str) -> bool:
    if name.startswith("utm_") or name in _TRACKING_PARAMS:
        return True
    if host in _TWITTER_HOSTS:
        return name in _TWITTER_TRACKING
    if host in _YOUTUBE_HOSTS or host == "youtu.be":
        return name in _YOUTUBE_TRACKING
    return False


def _twitter(
    path: str, pairs: list[tuple[str, str]]
) -> tuple[str, str, list[tuple[str, str]]]:
    """twitter.com and x.com are one site; a post is ``x.com/<user>/status/<id>``.

    Handles are case-insensitive, so the user segment is lower-cased. Whatever
    follows the id (``/photo/1``, ``/video/1``, ``/analytics``) and the query
    are views of the same post and are dropped.
    """
    segments = path.split("/")[1:] if path else []
    if segments and _HANDLE.match(segments[0]):
        segments[0] = segments[0].lower()
    if (
        len(segments) >= 3
        and segments[1] in ("status", "statuses")
        and _STATUS_ID.match(segments[2])
    ):
        return "x.com", f"/{segments[0]}/status/{segments[2]}", []
    new_path = "/" + "/".join(segments) if segments else ""
    return "x.com", new_path, pairs


def _youtube(
    netloc: str, host: str, path: str, pairs: list[tuple[str, str]]
) -> tuple[str, str, list[tuple[str, str]]]:
    """Every address of one video becomes ``youtube.com/watch?v=<id>`` (only ``v`` kept)."""
    segments = path.split("/")[1:] if path else []
    video: str | None = None
    if host == "youtu.be":
        if len(segments) == 1 and _VIDEO_ID.match(segments[0]):
            video = segments[0]
    elif len(segments) == 2 and segments[0] in ("shorts", "embed", "live", "v"):
        if _VIDEO_ID.match(segments[1]):
            video = segments[1]
    elif segments == ["watch"]:
        values = [raw.split("=", 1)[1] for name, raw in pairs if name == "v" and "=" in raw]
        if values and _VIDEO_ID.match(values[0]):
            video = values[0]
    if video is not None:
        return "youtube.com", "/watch", [("v", f"v={video}")]
    return netloc, path, pairs
