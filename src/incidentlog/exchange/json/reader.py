"""Reading a document, streaming, and refusing every kind of broken file with its place.

ijson parses the file as a stream of events (its C backend when installed), so memory
stays flat however large the file. Around it: a nesting limit (``MAX_DEPTH``), a guard
that refuses escaped lone surrogates in the raw bytes (``_SurrogateGuard``), and, once
a file has been refused, the search for the line and column of the first problem. For
a syntax error in a file up to ``_IN_MEMORY_LOCATE_LIMIT`` that search is one
``orjson.loads`` (exact place and message); orjson cannot stream, so a larger file is
searched by ijson's pure-Python parser. orjson's own depth limit (1024) is far above
``MAX_DEPTH`` and it reports a byte that is not UTF-8 at offset 0, so the depth and
the UTF-8 checks locate their problems themselves, streaming.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import ijson
import orjson

from incidentlog.domain.errors import ExchangeError
from incidentlog.exchange.json.schema import SECTIONS

__all__ = ["MAX_DEPTH", "CountingReader", "opened", "read_document"]

_UTF8_BOM = codecs.BOM_UTF8
#: Below this size a syntax error is located by parsing the file in memory with
#: orjson (exact line, column and message); above it by a slower streaming parse.
_IN_MEMORY_LOCATE_LIMIT = 64 * 1024 * 1024
_READ_CHUNK = 256 * 1024
#: The deepest nesting of objects and lists a file may have. An export is at most 5
#: deep (document, section, record, its citations, a citation); a limit far above that
#: still keeps jsonschema, ``repr`` and the object builder well inside Python's
#: recursion limit, and refuses a crafted file of 100,000 ``[`` before it costs memory.
MAX_DEPTH = 64
#: A UTF-16 surrogate in a parsed str: what an escaped lone surrogate (``"\ud800"``)
#: becomes in the pure-Python backend; not a character, so no UTF-8 writer accepts it.
_SURROGATE = re.compile("[\ud800-\udfff]")
#: In the raw file: the start of an escaped surrogate, ``\uD800``–``\uDFFF``.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


class CountingReader:
    """A binary file that counts what ijson has read (progress, in bytes)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.consumed += len(data)
        return data


@contextlib.contextmanager
def opened(path: Path) -> Iterator[CountingReader]:
    """The file, past a UTF-8 byte order mark if an editor added one."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ExchangeError(
            f"cannot be read: {exc.strerror or exc}. Nothing was imported.", file=str(path)
        ) from exc
    with handle:
        if handle.read(len(_UTF8_BOM)) != _UTF8_BOM:
            handle.seek(0)
        reader = CountingReader(handle)
        try:
            yield reader
        except OSError as exc:
            raise ExchangeError(
                f"cannot be read: {exc.strerror or exc}. Nothing was imported.", file=str(path)
            ) from exc


def read_document(
    reader: CountingReader, path: Path, sections: Sequence[str] = SECTIONS
) -> Iterator[tuple[str, int, Any]]:
    """Stream a document: ``("", -1, (key, value))`` for each top-level field that is not
    a list of records, ``(section, index, record)`` for each record of ``sections``.

    JSON syntax errors, nesting deeper than ``MAX_DEPTH`` and lone surrogates become
    ``ExchangeError`` with the line and column.
    """
    stream = _EventStream(reader)
    try:
        yield from _walk(stream, path, sections)
        stream.drain()  # trailing content after the document is an error too
    except (ijson.JSONError, UnicodeDecodeError) as exc:  # yajl: "\udc00" escapes
        if stream.guard.found is not None:  # the parser stopped where the guard cut the file
            raise _surrogate_error(path, stream.guard.found) from None
        raise _syntax_error(path, exc) from None
    except _TooDeep:
        raise _depth_error(path) from None
    except _LoneSurrogate as exc:
        raise _surrogate_error(path, exc) from None


class _TooDeep(Exception):  # noqa: N818 - a signal from the event stream, turned into an error
    pass


class _LoneSurrogate(Exception):  # noqa: N818 - likewise
    def __init__(self, offset: int | None, escape: str) -> None:
        super().__init__(escape)
        self.offset = offset  # in bytes, past a byte order mark; None when not known
        self.escape = escape


class _SurrogateGuard:
    """Reads through to a reader and refuses an escaped lone surrogate in the raw bytes.

    ``"\\ud800"`` is valid JSON syntax but not a character, and each ijson backend
    does something else with it: the pure-Python one passes it on as a str that
    SQLite cannot store, the C one refuses a lone low surrogate but turns a lone
    high one into ``?`` and ``"\\ud800\\ud800"`` into U+10000, silently. Looking
    at the bytes before any backend does makes every backend refuse the same
    files, and says where. Cheap: a search for ``\\uD8``–``\\uDF``, which an
    export (UTF-8 written as is) does not contain.

    On finding one it keeps it in ``found`` and reads as the end of the file: the
    parser stops with its own "incomplete" error, which ``_events`` replaces. (An
    exception raised from ``read`` would leave the pure-Python backend's pipeline
    of generators to complain when they are collected.)
    """

    #: Bytes kept before an escape that is not decided yet (its run of backslashes).
    _CONTEXT = 64
    #: An escape and the one after it: what deciding about a high surrogate needs.
    _SPAN = 12

    def __init__(self, reader: CountingReader) -> None:
        self._reader = reader
        self._window = b""
        self._window_at = 0  # file offset (past a BOM) of self._window[0]
        self._next = 0  # escapes from this file offset on are not decided yet
        self._paired = -1  # file offset of a low surrogate that completes a pair
        self.found: _LoneSurrogate | None = None

    def read(self, size: int = -1) -> bytes:
        if self.found is not None:
            return b""
        data = self._reader.read(size)
        if size == 0:
            return data
        window, at = self._window + data, self._window_at
        # Near the end, an escape is decided once the bytes after it have come.
        limit = len(window) if not data else len(window) - (self._SPAN - 1)
        for hit in _SURROGATE_ESCAPE.finditer(window, max(0, self._next - at)):
            if hit.start() >= limit:
                break
            self.found = self._lone(window, at, hit.start())
            if self.found is not None:
                return b""
        self._next = max(self._next, at + max(limit, 0))
        keep = max(0, self._next - at - self._CONTEXT)
        self._window, self._window_at = window[keep:], at + keep
        return data

    def _lone(self, window: bytes, at: int, i: int) -> _LoneSurrogate | None:
        """The escape at ``window[i]`` if it is a lone surrogate."""
        backslashes = 0
        while i - backslashes > 0 and window[i - backslashes - 1] == 0x5C:
            backslashes += 1
        digits = window[i + 2 : i + 6]
        if backslashes % 2 or len(digits) < 4 or not _HEX_DIGITS.issuperset(digits):
            return None  # an escaped backslash, then text; or broken syntax, the parser's
        if int(digits, 16) >= 0xDC00:  # a low surrogate: fine only as the second of a pair
            if at + i == self._paired:
                return None
            return _LoneSurrogate(at + i, window[i : i + 6].decode("ascii"))
        after = window[i + 6 : i + 12]
        if (
            after[:2] == b"\\u"
            and len(after) == 6
            and _HEX_DIGITS.issuperset(after[2:])
            and 0xDC00 <= int(after[2:], 16) <= 0xDFFF
        ):
            self._paired = at + i + 6
            return None
        return _LoneSurrogate(at + i, window[i : i + 6].decode("ascii"))


_CONTAINER_STARTS = frozenset(("start_map", "start_array"))


class _EventStream:
    """ijson's events, stopped at ``MAX_DEPTH`` and at a lone surrogate, and the records
    built from them.

    ``basic_parse``, not ``parse``: ``parse`` builds a path prefix for every event,
    and with it memory that grows with the square of the depth (a 200 kB file of
    100,000 ``[`` needs gigabytes before any check can run). Counting depth here
    stops such a file after ``MAX_DEPTH`` events, whichever backend is in use.
    Lone surrogates are refused in the raw bytes (``_SurrogateGuard``); the check of
    each parsed str is a second line, should a backend ever produce one otherwise.

    A record is built by ``build`` in one loop over the parser's events, with the
    checks inline: an export has some 200 events per incident, and a generator and
    an object builder between the parser and the record cost more than the parse.
    """

    def __init__(self, reader: CountingReader) -> None:
        self.guard = _SurrogateGuard(reader)
        # Looked up at each call, not imported: the tests swap in the pure-Python backend.
        self._events = iter(ijson.basic_parse(self.guard, use_float=True))
        self.depth = 0

    def next(self) -> tuple[str, Any]:
        """The next event; ``StopIteration`` at the end of the file."""
        event, value = next(self._events)
        if event == "start_map" or event == "start_array":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _TooDeep
        elif event == "end_map" or event == "end_array":
            self.depth -= 1
        elif event == "string" or event == "map_key":
            _refuse_surrogate(value)
        return event, value

    def drain(self) -> None:
        for _ in self._events:
            pass
        if self.guard.found is not None:  # it was in what follows the document
            raise self.guard.found

    def skip(self, event: str) -> None:
        """Consume the events of one value whose first event was ``event``."""
        if event not in _CONTAINER_STARTS:
            return
        stop = self.depth - 1  # ``next`` counted the value's first event
        while self.depth > stop:
            self.next()

    def build(self, event: str, value: Any) -> Any:
        """The Python value whose first event ``(event, value)`` came from ``next``."""
        if event == "start_map":
            root: Any = {}
        elif event == "start_array":
            root = []
        else:
            return value  # ``next`` checked it
        depth = self.depth  # ``next`` counted the value's first event
        stack: list[Any] = [root]
        top = root
        key: str = ""
        for event, value in self._events:
            if event == "map_key":
                if not value.isascii():
                    _refuse_surrogate(value)
                key = value
                continue
            if event == "end_map" or event == "end_array":
                stack.pop()
                if not stack:
                    self.depth = depth - 1
                    return root
                top = stack[-1]
                depth -= 1
                continue
            if event == "start_map" or event == "start_array":
                value = {} if event == "start_map" else []
                depth += 1
                if depth > MAX_DEPTH:
                    raise _TooDeep
            elif event == "string" and not value.isascii():
                _refuse_surrogate(value)
            if top.__class__ is dict:
                top[key] = value
            else:
                top.append(value)
            if event == "start_map" or event == "start_array":
                stack.append(value)
                top = value
        raise ijson.IncompleteJSONError("the file ends inside a value")


def _refuse_surrogate(text: str) -> None:
    # isascii() is O(1) in CPython: most strings skip the search.
    if not text.isascii():
        surrogate = _SURROGATE.search(text)
        if surrogate is not None:
            raise _LoneSurrogate(None, f"\\u{ord(surrogate.group()):04x}")


def _depth_error(path: Path) -> ExchangeError:
    line, column = _first_too_deep(path)
    where = f"column {column}: " if column is not None else ""
    return ExchangeError(
        f"{where}a value is nested deeper than {MAX_DEPTH} levels of lists and objects; "
        "an incidentlog export is at most 5 deep (nothing was imported)",
        file=str(path),
        line=line,
    )


def _surrogate_error(path: Path, exc: _LoneSurrogate) -> ExchangeError:
    line = column = None
    if exc.offset is not None:
        with contextlib.suppress(OSError):
            line, column = _line_column_at_byte(path, _bom_length(path), exc.offset)
    where = f"column {column}: " if column is not None else ""
    return ExchangeError(
        f"{where}a text holds {exc.escape}, half of a UTF-16 surrogate pair on its own, "
        "which is not a character (the file was damaged or made by a faulty tool; "
        "nothing was imported)",
        file=str(path),
        line=line,
    )


def _bom_length(path: Path) -> int:
    with path.open("rb") as handle:
        return len(_UTF8_BOM) if handle.read(len(_UTF8_BOM)) == _UTF8_BOM else 0


#: Outside a string, the bytes that matter to the nesting; inside one, its end or an escape.
_STRUCTURE = re.compile(rb'[][{}"]')
_IN_STRING = re.compile(rb'["\\]')


def _first_too_deep(path: Path) -> tuple[int | None, int | None]:
    """Line and column of the first ``[`` or ``{`` that opens level ``MAX_DEPTH + 1``.

    A scan of the raw bytes (strings skipped), run only once the event stream has
    refused the file: ijson does not say where it is.
    """
    depth, in_string, escaped, base = 0, False, False, 0
    try:
        with path.open("rb") as handle:
            skip = len(_UTF8_BOM) if handle.read(len(_UTF8_BOM)) == _UTF8_BOM else 0
            handle.seek(skip)
            while chunk := handle.read(_READ_CHUNK):
                at = 0
                if escaped:  # the byte after a backslash that ended the previous chunk
                    at, escaped = 1, False
                while True:
                    if in_string:
                        found = _IN_STRING.search(chunk, at)
                        if found is None:
                            break
                        if found.group() == b"\\":
                            at = found.end() + 1
                            if at > len(chunk):
                                escaped = True
                                break
                            continue
                        in_string, at = False, found.end()
                        continue
                    found = _STRUCTURE.search(chunk, at)
                    if found is None:
                        break
                    mark, at = found.group(), found.end()
                    if mark == b'"':
                        in_string = True
                    elif mark in (b"[", b"{"):
                        depth += 1
                        if depth > MAX_DEPTH:
                            return _line_column_at_byte(path, skip, base + found.start())
                    else:
                        depth -= 1
                base += len(chunk)
    except OSError:
        pass
    return None, None


def _line_column_at_byte(path: Path, skip: int, offset: int) -> tuple[int, int]:
    """Line and column (in characters) of the byte at ``offset`` past the first ``skip``."""
    line, column = 1, 1
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    with path.open("rb") as handle:
        handle.seek(skip)
        left = offset
        while left > 0:
            chunk = handle.read(min(_READ_CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            line, column = _advance(line, column, decoder.decode(chunk))
    return line, column


def _walk(
    stream: _EventStream, path: Path, sections: Sequence[str]
) -> Iterator[tuple[str, int, Any]]:
    try:
        yield from _walk_object(stream, path, sections)
    except StopIteration:  # caught here: PEP 479 would turn it into a RuntimeError
        raise _syntax_error(path, None) from None


def _walk_object(
    stream: _EventStream, path: Path, sections: Sequence[str]
) -> Iterator[tuple[str, int, Any]]:
    try:
        event, _ = stream.next()
    except StopIteration:
        raise _syntax_error(path, None) from None
    if event != "start_map":
        raise ExchangeError(
            "is not an incidentlog export: it holds a JSON "
            f"{_json_kind(event)}, not an object with format, version and records.",
            file=str(path),
        )
    seen: set[str] = set()
    while True:
        event, key = stream.next()
        if event == "end_map":
            return
        if key in seen:
            raise ExchangeError(
                f'"{key}" appears twice at the top of the document.', file=str(path), field=key
            )
        seen.add(key)
        event, value = stream.next()
        if key not in SECTIONS:
            yield "", -1, (key, stream.build(event, value))
            continue
        if event != "start_array":
            raise ExchangeError(
                f'"{key}" must be a list of records, not a {_json_kind(event)}.',
                file=str(path),
                field=key,
            )
        yield "", -1, (key, [])
        index = 0
        while True:
            event, value = stream.next()
            if event == "end_array":
                break
            if key in sections:
                yield key, index, stream.build(event, value)
            else:
                stream.skip(event)
            index += 1


def _json_kind(event: str) -> str:
    return {
        "start_map": "object",
        "start_array": "list",
        "string": "text",
        "number": "number",
        "integer": "number",
        "double": "number",
        "boolean": "true/false value",
        "null": "null",
    }.get(event, event)


def _syntax_error(path: Path, exc: Exception | None) -> ExchangeError:
    """Where the JSON is broken: line, column and what was expected there."""
    line, column, message = _locate_syntax_error(path)
    if message is None:
        detail = str(exc).strip().splitlines()[0] if exc is not None else "the file is incomplete"
        message = detail
    where = f"column {column}: " if column is not None else ""
    return ExchangeError(
        f"{where}{message} (the file is not valid JSON; nothing was imported)",
        file=str(path),
        line=line,
    )


def _locate_syntax_error(path: Path) -> tuple[int | None, int | None, str | None]:
    """Find the first syntax error of a file ijson refused: ``(line, column, message)``."""
    try:
        bad_utf8 = _first_bad_utf8(path)
        if bad_utf8 is not None:
            return bad_utf8
        size = path.stat().st_size
        if size <= _IN_MEMORY_LOCATE_LIMIT:
            data = path.read_bytes()
            if data.startswith(_UTF8_BOM):
                data = data[len(_UTF8_BOM) :]
            try:
                orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                message = exc.msg
                return exc.lineno, exc.colno, message
            return None, None, None
        return _locate_streaming(path)
    except OSError:
        return None, None, None


def _first_bad_utf8(path: Path) -> tuple[int, int, str] | None:
    """Line and column of the first byte that is not UTF-8, streaming."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, column = 1, 1
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_READ_CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                good = exc.object[: exc.start]
                line, column = _advance(line, column, good.decode("utf-8", "replace"))
                byte = exc.object[exc.start : exc.start + 1].hex()
                return line, column, f"byte 0x{byte} is not UTF-8 text (save the file as UTF-8)"
            line, column = _advance(line, column, text)
            if not chunk:
                return None


def _advance(line: int, column: int, text: str) -> tuple[int, int]:
    breaks = text.count("\n")
    if breaks:
        return line + breaks, len(text) - text.rfind("\n")
    return line, column + len(text)


def _locate_streaming(path: Path) -> tuple[int | None, int | None, str | None]:
    """For a file too large to parse in memory: the pure-Python ijson parser knows the
    character offset of an unexpected symbol; count lines up to it."""
    python_backend = ijson.get_backend("python")
    with opened(path) as reader:
        try:
            for _ in python_backend.parse(reader):
                pass
        except ijson.JSONError as exc:
            text = str(exc)
            offset = text.rsplit(" at ", 1)[-1]
            if not offset.isdigit():
                return None, None, text
            return (*_line_column_of(path, int(offset)), text.rsplit(" at ", 1)[0])
    return None, None, None


def _line_column_of(path: Path, offset: int) -> tuple[int, int]:
    line, column, seen = 1, 1, 0
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
        while seen < offset:
            text = handle.read(min(_READ_CHUNK, offset - seen))
            if not text:
                break
            seen += len(text)
            line, column = _advance(line, column, text)
    return line, column
