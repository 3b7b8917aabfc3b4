"""Asking the Internet Archive to save a source's page ("Save Page Now"), with consent.

A third party then fetches the page and publishes its copy: a second,
independent witness of what the page said, that anyone can consult. It also
tells the Internet Archive (and whoever watches its public list) which page
this desk is interested in, so incidentlog never does it on its own: only
when the officer confirms it for this source (the source form's "Ask the
Internet Archive…", a confirmation each time). The archive URL it answers
with goes into the source's ``archive_url``, and the audit log keeps who
asked and when (docs/evidence.md).

The request is ``GET <endpoint><url>`` (the endpoint is
``https://web.archive.org/save/`` unless ``INCIDENTLOG_ARCHIVE_ENDPOINT`` names
another, such as a desk's own archive with the same interface); the snapshot's
address comes back in ``Content-Location`` or as a redirect's ``Location``.
"""

from __future__ import annotations

import http.client
import os
import urllib.error
import urllib.request
from dataclasses import replace
from urllib.parse import urljoin, urlsplit

from incidentlog import __version__
from incidentlog.domain.errors import IncidentLogError
from incidentlog.domain.records import Source
from incidentlog.services import Services

DEFAULT_ENDPOINT = "https://web.archive.org/save/"
ENDPOINT_VARIABLE = "INCIDENTLOG_ARCHIVE_ENDPOINT"
#: Save Page Now takes its time: it fetches and renders the page before it answers.
TIMEOUT_S = 120.0


class ArchiveError(IncidentLogError):
    """The archive did not save the page; the message says why. Nothing was changed."""


def endpoint() -> str:
    return os.environ.get(ENDPOINT_VARIABLE) or DEFAULT_ENDPOINT


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None  # the redirect's Location is the answer: read it, do not follow it


def save_page_now(url: str, *, archive: str | None = None,
                  timeout: float = TIMEOUT_S) -> str:
    """Ask the archive at ``archive`` (default: ``endpoint()``) to save ``url``; the
    address of its snapshot."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ArchiveError(f"{url!r}: only http and https pages can be archived.")
    base = archive or endpoint()
    request = urllib.request.Request(base + url, headers={
        "User-Agent": f"incidentlog/{__version__} (evidence capture)"})
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            status, headers = response.status, response.headers
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:  # the redirect to the snapshot, not followed
            status, headers = exc.code, exc.headers
        else:
            raise ArchiveError(_refusal(base, exc.code, exc.reason)) from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise ArchiveError(f"The archive at {base} could not be reached ({reason}); the "
                           "source was not changed.") from exc
    where = str(headers.get("Content-Location") or headers.get("Location") or "")
    if not where.strip():
        raise ArchiveError(f"The archive at {base} answered {status} without the address "
                           "of a snapshot; the source was not changed.")
    return urljoin(base, where.strip())


def _refusal(base: str, code: int, reason: object) -> str:
    why = {429: "too many requests: try again in a few minutes",
           403: "it refuses to archive this page (the site may forbid it)",
           523: "it could not reach the page", 520: "it could not reach the page"}.get(
        code, str(reason))
    return f"The archive at {base} answered {code} ({why}); the source was not changed."


def archive_source(services: Services, source_uid: str, *,
                   archive: str | None = None) -> Source:
    """Save the source's page in the archive (the officer has agreed) and keep the
    snapshot's address in its ``archive_url``; the source as saved."""
    source = services.sources.get(source_uid)
    if not source.url:
        raise ArchiveError("This source has no URL to archive.")
    snapshot = save_page_now(source.url, archive=archive)
    current = services.sources.get(source_uid)
    return services.sources.update(replace(current, archive_url=snapshot)).record
