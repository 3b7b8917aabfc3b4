"""Capturing a web page as the desk officer's machine sees it, into a WARC file.

One GET per hop, redirects followed by hand so that each is judged before it
is followed: only ``http`` and ``https``, and only to public addresses unless
the policy says otherwise (a page must not make incidentlog read
``file:///``, the router's admin page or a cloud metadata service). The
address a host name resolves to is the one connected to, so the name cannot
resolve to something else between the check and the connection. The body is
read in chunks against a size cap and a deadline, and the work stops when
asked to; any failure stores nothing (docs/evidence.md).

The WARC (ISO 28500, read by every web archive's tools) holds a request and
a response record per hop, with the headers as sent and received and the
body as received (``Accept-Encoding: identity``: no decoding between the wire
and the record).
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import socket
import ssl
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

from incidentlog import __version__
from incidentlog.domain.errors import IncidentLogError
from incidentlog.domain.evidence import Attachment, CustodyAction, OwnerKind
from incidentlog.services import Services
from incidentlog.services.evidence import NewAttachment

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
CHUNK = 64 * 1024


class CaptureError(IncidentLogError):
    """A capture that failed; nothing was stored. The message says why."""


class CaptureCancelledError(CaptureError):
    def __init__(self) -> None:
        super().__init__("The capture was cancelled; nothing was stored.")


def public_only(address: Address) -> bool:
    """The default policy: a global unicast address (not private, loopback, link-local…)."""
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class CapturePolicy:
    """What a capture may reach and how much it may take."""

    allow_address: Callable[[Address], bool] = public_only
    #: Networks allowed besides what ``allow_address`` allows ("127.0.0.1/32"): the form
    #: of the policy the page renderer, in its own process, is given (it cannot be handed
    #: a function): public addresses and these (``exchange/page_pictures.py``).
    also_allow: tuple[str, ...] = ()
    max_bytes: int = 100 * 1024 * 1024
    #: The whole capture, every hop included, in seconds.
    time_limit_s: float = 60.0
    max_redirects: int = 10
    user_agent: str = f"incidentlog/{__version__} (evidence capture)"

    def allows(self, address: Address) -> bool:
        return self.allow_address(address) or any(
            address in ipaddress.ip_network(network, strict=False)
            for network in self.also_allow)


@dataclass
class Hop:
    url: str
    request_line: str
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]]
    body: IO[bytes] = field(repr=False)
    size: int = 0


@dataclass(frozen=True)
class Captured:
    attachment: Attachment
    final_url: str
    status: int
    #: The screenshot and the PDF print kept with the WARC (none without a renderer).
    renderings: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Rendering:
    """A picture of the captured page made by a renderer (``gui/page_render.py``)."""

    name: str
    data: bytes
    details: dict[str, Any]


@dataclass
class Fetched:
    """A page fetched, not yet stored: its hops (their bodies in temporary files)."""

    url: str
    hops: list[Hop]
    fetched_at: datetime

    @property
    def final(self) -> Hop:
        return self.hops[-1]

    @property
    def content_type(self) -> str | None:
        return {k.lower(): v for k, v in self.final.headers}.get("content-type")

    def body(self, limit: int) -> bytes | None:
        """The final page's body as received, or None when it is over ``limit`` bytes."""
        if self.final.size > limit:
            return None
        self.final.body.seek(0)
        data = self.final.body.read()
        self.final.body.seek(0)
        return data

    def stamp(self) -> str:
        return self.fetched_at.strftime("%Y%m%dT%H%M%SZ")

    def close(self) -> None:
        for hop in self.hops:
            hop.body.close()


def capture_source(services: Services, source_uid: str, *,
                   policy: CapturePolicy | None = None,
                   progress: Callable[[int], None] | None = None,
                   cancel: Callable[[], bool] | None = None,
                   render: bool = False,
                   stage: Callable[[str], None] | None = None) -> Captured:
    """Fetch the page at the source's URL and keep it with the source as a WARC; with
    ``render``, with a full-page screenshot and a PDF print of it too (all or nothing).
    ``stage`` hears "fetching", "rendering", "storing" as the capture gets there."""
    policy = policy or CapturePolicy()
    if stage is not None:
        stage("fetching")
    fetched = fetch_source(services, source_uid, policy=policy, progress=progress,
                           cancel=cancel)
    try:
        made: list[Rendering] = []
        note: str | None = None
        if render:
            if stage is not None:
                stage("rendering")
            made, note = page_pictures_for(fetched, policy, cancel=cancel)
        if cancel is not None and cancel():
            raise CaptureCancelledError()
        if stage is not None:
            stage("storing")
        return store_capture(services, source_uid, fetched, made, note)
    finally:
        fetched.close()


def page_pictures_for(fetched: Fetched, policy: CapturePolicy, *,
                      cancel: Callable[[], bool] | None = None
                      ) -> tuple[list[Rendering], str | None]:
    """The screenshot and PDF of a fetched page, or none and why (no renderer here)."""
    from incidentlog.exchange import page_pictures

    note = page_pictures.renderer_missing()
    if note is not None:
        return [], note
    try:
        return page_pictures.render_page(fetched, policy, cancel=cancel), None
    except page_pictures.RendererUnavailableError as exc:
        return [], exc.message


def fetch_source(services: Services, source_uid: str, *, policy: CapturePolicy | None = None,
                 progress: Callable[[int], None] | None = None,
                 cancel: Callable[[], bool] | None = None) -> Fetched:
    """The page at the source's URL, fetched; the caller closes it."""
    source = services.sources.get(source_uid)
    if not source.url:
        raise CaptureError("This source has no URL to capture.")
    fetched_at = datetime.now(UTC).replace(microsecond=0)
    hops = fetch(source.url, policy or CapturePolicy(), progress=progress, cancel=cancel)
    return Fetched(source.url, hops, fetched_at)


def store_capture(services: Services, source_uid: str, fetched: Fetched,
                  renderings: Sequence[Rendering] = (),
                  rendering_note: str | None = None) -> Captured:
    """Keep the WARC of ``fetched`` and its renderings with the source, in one
    transaction (all of them or nothing). ``rendering_note``: why there are none."""
    final = fetched.final
    with tempfile.TemporaryFile() as warc:
        record_ids = write_warc(warc, fetched.hops, fetched.fetched_at)
        warc.seek(0)
        details: dict[str, Any] = {
            "url": fetched.url, "final_url": final.url, "status": final.status,
            "fetched_at": fetched.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "content_type": fetched.content_type,
            "body_size": final.size, "body_sha256": _sha256_of(final.body),
            "redirects": [hop.url for hop in fetched.hops[:-1]], "warc_records": record_ids,
        }
        if rendering_note:
            details["rendering"] = rendering_note
        host = urlsplit(final.url).hostname or "page"
        items = [NewAttachment(warc, f"capture-{host}-{fetched.stamp()}.warc", "capture",
                               details, CustodyAction.CAPTURE)]
        items += [NewAttachment(io.BytesIO(r.data), r.name, "capture",
                                {"final_url": final.url, **r.details}, CustodyAction.CAPTURE)
                  for r in renderings]
        kept = services.evidence.attach_together(items, OwnerKind.SOURCE, source_uid)
    return Captured(kept[0], final.url, final.status, tuple(kept[1:]))


def fetch(url: str, policy: CapturePolicy, *, progress: Callable[[int], None] | None = None,
          cancel: Callable[[], bool] | None = None) -> list[Hop]:
    """Every hop from ``url`` to the final page (status 2xx); ``CaptureError`` otherwise."""
    deadline = time.monotonic() + policy.time_limit_s
    hops: list[Hop] = []
    try:
        while True:
            hop = _get(url, policy, deadline, progress, cancel)
            hops.append(hop)
            location = {k.lower(): v for k, v in hop.headers}.get("location")
            if 300 <= hop.status < 400 and location:
                if len(hops) > policy.max_redirects:
                    raise CaptureError(f"{url} redirects more than {policy.max_redirects} times.")
                url = urljoin(url, location.strip())
                continue
            if not 200 <= hop.status < 300:
                raise CaptureError(
                    f"The server answered {hop.status} {hop.reason} for {hop.url}; nothing "
                    "was stored.")
            return hops
    except BaseException:
        for hop in hops:
            hop.body.close()
        raise


def _target(url: str, policy: CapturePolicy) -> tuple[str, str, int, Address, str]:
    """(scheme, host, port, address to connect to, path) of an allowed URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise CaptureError(f"{url!r}: only http and https pages are captured; nothing was "
                           "stored.")
    host = parts.hostname
    if not host:
        raise CaptureError(f"{url!r} names no host; nothing was stored.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise CaptureError(f"{host} cannot be found ({exc.strerror}); nothing was stored.") \
            from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    refused = [a for a in addresses if not policy.allows(a)]
    if refused or not addresses:
        raise CaptureError(
            f"{url} leads to {refused[0] if refused else 'no address'}, a private or local "
            "address: refused, so that a page cannot make incidentlog reach into this "
            "machine or its network. Nothing was stored.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, host, port, addresses[0], path


def _get(url: str, policy: CapturePolicy, deadline: float,
         progress: Callable[[int], None] | None, cancel: Callable[[], bool] | None) -> Hop:
    scheme, host, port, address, path = _target(url, policy)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _too_slow(url, policy)
    connection = _connection(scheme, host, port, address, remaining)
    default_port = port == (443 if scheme == "https" else 80)
    request_headers = [
        ("Host", host if default_port else f"{host}:{port}"),
        ("User-Agent", policy.user_agent),
        ("Accept", "text/html,application/xhtml+xml,*/*;q=0.8"),
        ("Accept-Encoding", "identity"),
        ("Connection", "close"),
    ]
    # Closed by the caller once written into the WARC (or below, on failure).
    body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for name, value in request_headers:
            connection.putheader(name, value)
        connection.endheaders()
        sock = connection.sock  # (the connection lets go of it once the response is read)
        response = connection.getresponse()
        size = _read_body(response, sock, body, url, policy, deadline,
                          (progress, cancel))
        body.seek(0)
        return Hop(url, f"GET {path} HTTP/1.1", request_headers, response.status,
                   response.reason, "HTTP/1.1" if response.version == 11 else "HTTP/1.0",
                   list(response.getheaders()), body, size)
    except TimeoutError as exc:
        body.close()
        raise _too_slow(url, policy) from exc
    except (OSError, http.client.HTTPException) as exc:
        body.close()
        raise CaptureError(f"{url} could not be fetched ({exc}); nothing was stored.") from exc
    except BaseException:
        body.close()
        raise
    finally:
        connection.close()


def _read_body(response: http.client.HTTPResponse, sock: socket.socket, body: IO[bytes],
               url: str, policy: CapturePolicy, deadline: float,
               hooks: tuple[Callable[[int], None] | None, Callable[[], bool] | None]) -> int:
    progress, cancel = hooks
    size = 0
    while True:
        if cancel is not None and cancel():
            raise CaptureCancelledError()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _too_slow(url, policy)
        # A server that sends nothing is noticed within a second; one that trickles, by
        # the deadline checked above at every chunk.
        sock.settimeout(min(remaining, 1.0))
        chunk = response.read1(CHUNK)
        if not chunk:
            return size
        size += len(chunk)
        if size > policy.max_bytes:
            raise CaptureError(
                f"{url} is larger than {policy.max_bytes:,} bytes, the capture's limit; "
                "nothing was stored.")
        body.write(chunk)
        if progress is not None:
            progress(size)


def _too_slow(url: str, policy: CapturePolicy) -> CaptureError:
    return CaptureError(f"{url} took longer than {policy.time_limit_s:g} s, the capture's "
                        "limit; nothing was stored.")


def _connection(scheme: str, host: str, port: int, address: Address,
                timeout: float) -> http.client.HTTPConnection:
    """A connection to ``address`` (already judged), speaking to ``host`` (TLS: its name
    is checked against the certificate)."""
    sock = socket.create_connection((str(address), port), timeout=min(timeout, 10.0))
    if scheme == "https":
        context = ssl.create_default_context()
        try:
            sock = context.wrap_socket(sock, server_hostname=host)
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            raise CaptureError(f"The TLS connection to {host} failed ({exc}); nothing was "
                               "stored.") from exc
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(host, port)
    else:
        connection = http.client.HTTPConnection(host, port)
    connection.sock = sock
    return connection


def write_warc(warc: IO[bytes], hops: list[Hop], fetched_at: datetime) -> list[str]:
    """A request and a response record per hop; the ids of the records written."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(warc, gzip=False)
    date = fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    ids: list[str] = []
    for hop in hops:
        response_headers = StatusAndHeaders(f"{hop.status} {hop.reason}", hop.headers,
                                            protocol=hop.version)
        hop.body.seek(0)
        response = writer.create_warc_record(
            hop.url, "response", payload=hop.body, length=hop.size,
            http_headers=response_headers, warc_headers_dict={"WARC-Date": date})
        request = writer.create_warc_record(
            hop.url, "request", payload=_empty(), length=0,
            http_headers=StatusAndHeaders(hop.request_line, hop.request_headers,
                                          is_http_request=True),
            warc_headers_dict={"WARC-Date": date})
        request_id = response.rec_headers.get_header("WARC-Record-ID")
        request.rec_headers.add_header("WARC-Concurrent-To", request_id)
        writer.write_record(response)
        writer.write_record(request)
        ids.append(str(request_id))
        hop.body.seek(0)
    return ids


def _empty() -> Any:
    return io.BytesIO(b"")


def _sha256_of(reading: IO[bytes]) -> str:
    import hashlib

    reading.seek(0)
    hasher = hashlib.sha256()
    while chunk := reading.read(CHUNK):
        hasher.update(chunk)
    return hasher.hexdigest()
