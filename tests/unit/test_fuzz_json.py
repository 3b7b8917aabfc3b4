"""Hostile JSON files: the reader raises ``ExchangeError`` (or ``Cancelled``), nothing else,
and a refused import leaves the database file byte-identical.

A colleague's file is input the application does not control: truncated by a
mail gateway, re-encoded by an editor, or crafted. Each property below feeds
``validate_document`` and ``import_json`` a family of such files, into a
database that already holds records:

- arbitrary bytes, with and without a plausible beginning;
- a valid export cut at any byte, and mutated byte by byte (invalid UTF-8,
  encoded surrogates, BOMs, NaN/Infinity, brackets, huge numbers);
- a valid export whose fields, any field of any record or of the document,
  get a value of the wrong type, NaN or Infinity, a huge number, a nested
  structure, or a duplicate key;
- escaped lone surrogates, BOMs and other encodings, deep nesting;
- an import cancelled at any point.

Whatever the import accepts must pass ``check_database``. The bugs these
properties found are fixed; the tests at the end keep them fixed (deep nesting,
lone surrogates with either ijson backend, record versions beyond 2**53; see
docs/reliability.md).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidentlog.domain.enums import SourceKind, TimePrecision
from incidentlog.domain.errors import Cancelled, ExchangeError
from incidentlog.domain.records import Count, Incident, Quote, Source
from incidentlog.domain.when import Moment
from incidentlog.exchange import export_json, import_json, validate_document
from incidentlog.exchange.json.reader import MAX_DEPTH
from incidentlog.services import Services
from incidentlog.store.check import check_database
from incidentlog.store.database import open_database

ROOT = Path(__file__).resolve().parents[2]

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Outcome:
    validated: bool
    imported: bool
    error: str | None


class Target:
    """A database holding records, and the file each example is written to.

    ``attempt`` runs ``validate_document`` and ``import_json`` on the bytes
    and checks the contract: only ``ExchangeError``/``Cancelled`` escape; a
    refused import changes no byte of the database file (hashed after
    closing); an accepted one leaves a database that passes its check, and
    the database is then reset for the next example.
    """

    def __init__(self, folder: Path, template: Path) -> None:
        self.folder = folder
        self.template = template
        self.expected = sha256(template)
        self.db = folder / "target.sqlite3"
        self.file = folder / "colleague.json"

    def reset(self) -> None:
        """The database as it was before any import (a copy costs less than a check)."""
        for suffix in ("-wal", "-shm"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.template, self.db)

    def attempt(self, data: bytes, cancel: Callable[[], bool] | None = None) -> Outcome:
        self.reset()
        self.file.write_bytes(data)
        try:
            validate_document(self.file)
            validated = True
        except ExchangeError:
            validated = False
        database = open_database(self.db)
        imported, error = False, None
        try:
            try:
                import_json(Services(database, actor="fuzz"), self.file, cancel=cancel)
                imported = True
            except (ExchangeError, Cancelled) as exc:
                error = str(exc)
                assert str(exc).strip(), "an error without a message"
            if imported:
                assert check_database(database) == []
        finally:
            database.close()
        if not imported:
            assert sha256(self.db) == self.expected, f"a refused import changed the file: {error}"
            wal = Path(f"{self.db}-wal")
            assert not wal.exists() or wal.stat().st_size == 0
        if imported:
            # validate_document checks what the import checks, except that a uid may
            # refer to a record of the database; none of ours is named in these files.
            assert validated, "the import took a file that validate_document refuses"
        return Outcome(validated, imported, error)


def moment(*args: int, precision: TimePrecision = TimePrecision.DAY, tz: str = "UTC") -> Moment:
    return Moment.from_local(datetime(*args), precision, tz)  # type: ignore[arg-type]


def fill_colleague(services: Services) -> None:
    """The colleague's log: every kind of record, links, quotes, Arabic text."""
    post = services.sources.create(
        Source(kind=SourceKind.SOCIAL_POST, title="CENTCOM post", handle="@CENTCOM",
               url="https://x.com/CENTCOM/status/1748862279476703473",
               published=moment(2024, 1, 20), language="en")
    ).record
    report = services.sources.create(
        Source(title="تقرير رويترز", url="https://www.reuters.com/world/a?utm_source=x",
               outlet="Reuters", excerpt="صواريخ باليستية")
    ).record
    assad = services.incidents.create(
        Incident(
            title="هجوم على قاعدة عين الأسد",
            occurred=Moment.from_local(datetime(2024, 1, 20, 18, 30), TimePrecision.MINUTE,
                                       "Asia/Baghdad", True),
            country="IQ", latitude=33.8, longitude=42.44, launched=10, intercepted=8,
            injured=Count.at_least(5), confidence=2, tags=("interception", "us forces"),
            summary="Multiple ballistic missiles and rockets were launched",
        )
    ).record
    other = services.incidents.create(
        Incident(title="Failed rocket strike", occurred=moment(2024, 2, 1), country="SY")
    ).record
    services.incidents.link_source(assad.uid or "", post.uid or "", "time and weapons")
    services.incidents.link_source(other.uid or "", report.uid or "", None)
    services.quotes.create(
        Quote(text="Multiple ballistic missiles and rockets were launched", speaker="CENTCOM",
              incident_uid=assad.uid, source_uid=post.uid, said=moment(2024, 1, 20))
    )


@dataclass(frozen=True)
class Files:
    valid: bytes
    template: Path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    folder = tmp_path_factory.mktemp("fuzz-json")
    with open_database(folder / "colleague.sqlite3") as database:
        fill_colleague(Services(database, actor="colleague"))
        export_json(Services(database), folder / "export.json")
    template = folder / "ours.sqlite3"
    with open_database(template) as database:
        services = Services(database, actor="us")
        services.incidents.create(
            Incident(title="Our own incident", occurred=moment(2023, 10, 17), country="IQ")
        )
        services.sources.create(Source(title="Our source", url="https://example.org/a"))
    return Files((folder / "export.json").read_bytes(), template)


@pytest.fixture(scope="module")
def target(files: Files, tmp_path_factory: pytest.TempPathFactory) -> Target:
    return Target(tmp_path_factory.mktemp("fuzz-target"), files.template)


def test_the_valid_export_imports(target: Target, files: Files) -> None:
    """The seed of every mutation is itself accepted (else the mutations prove little)."""
    assert target.attempt(files.valid).imported


# --- bytes ----------------------------------------------------------------------------------

PREFIXES = st.sampled_from([
    b"", b"\xef\xbb\xbf", b"{", b'{"format": "incidentlog", "version": 1, ',
    b'{"format": "incidentlog", "version": 1, "exported_at": "2024-08-12T08:00:00Z", '
    b'"incidents": [',
])


@FUZZ
@given(prefix=PREFIXES, body=st.binary(max_size=300))
def test_arbitrary_bytes_are_refused_cleanly(target: Target, prefix: bytes, body: bytes) -> None:
    target.attempt(prefix + body)


@FUZZ
@given(data=st.data())
def test_a_truncated_export_is_refused_cleanly(
    target: Target, files: Files, data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(files.valid) - 1))
    bom = data.draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    outcome = target.attempt(bom + files.valid[:cut])
    # Only the final "}\n" can go and leave a whole document.
    assert outcome.imported == (cut >= len(files.valid.rstrip()))


#: Byte sequences that break JSON or UTF-8 in telling ways.
PAYLOADS = [
    b"\xff", b"\xfe", b"\x80", b"\xc0\x80", b"\xed\xa0\x80", b"\xed\xb0\x80", b"\xf4\x90\x80\x80",
    b"\xef\xbb\xbf", b"\x00", b'"', b"\\", b"\\u", b"\\ud800", b"\\udc00", b"\\u0000",
    b"{", b"}", b"[", b"]", b",", b":", b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-0",
    b"9" * 30, b"null", b"true", b"\n", b"\r", b"\t", b"\xe2\x80\xae", b"\xd8\xa7",
]


@FUZZ
@given(
    mutations=st.lists(
        st.tuples(
            st.sampled_from(["replace", "insert", "delete", "duplicate"]),
            st.floats(0, 1, exclude_max=True),
            st.sampled_from(PAYLOADS) | st.binary(min_size=1, max_size=4),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_mutated_export_is_refused_or_imported_cleanly(
    target: Target, files: Files, mutations: list[tuple[str, float, bytes]]
) -> None:
    data = bytearray(files.valid)
    for kind, where, payload in mutations:
        at = int(where * len(data))
        if kind == "replace":
            data[at : at + len(payload)] = payload
        elif kind == "insert":
            data[at:at] = payload
        elif kind == "delete":
            del data[at : at + len(payload)]
        else:
            data[at:at] = data[at : at + 40]
    target.attempt(bytes(data))


# --- structure ------------------------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.sampled_from([0, -1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), 2**63, 2**64])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from([
        "", " ", "\x00", "\u202e", "IQ", "2024-01-20T15:30:00Z", "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z", "2024-02-30T00:00:00Z", "2024-01-20", "minute", "year",
        "https://x.com/a", "javascript:alert(1)", "http://[::1", "Asia/Baghdad", "../../etc",
        "00000000-0000-0000-0000-000000000000", "x" * 100_001,
    ])
)
#: JSON values of the wrong kind, nested a little; deep nesting has its own tests.
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=3),
    max_leaves=6,
)


def dumps_with_duplicates(value: Any, duplicates: dict[int, tuple[str, Any, bool]]) -> str:
    """JSON text of ``value``; the object whose ``id`` is in ``duplicates`` gets a key twice.

    ``json`` cannot write a duplicate key, so objects are written by hand;
    ``allow_nan`` writes NaN and Infinity as the bare literals some tools emit.
    """
    if isinstance(value, dict):
        pairs = list(value.items())
        if id(value) in duplicates:
            key, extra, first = duplicates[id(value)]
            pairs.insert(0 if first else len(pairs), (key, extra))
        inner = ", ".join(
            f"{json.dumps(k)}: {dumps_with_duplicates(v, duplicates)}" for k, v in pairs
        )
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dumps_with_duplicates(v, duplicates) for v in value) + "]"
    return json.dumps(value, allow_nan=True)


@FUZZ
@given(data=st.data())
def test_any_field_with_a_hostile_value_is_refused_or_imported_cleanly(
    target: Target, files: Files, data: st.DataObject
) -> None:
    document = json.loads(files.valid)
    holders: list[dict[str, Any]] = [document]
    for section in ("incidents", "sources", "quotes"):
        for record in document[section]:
            holders.append(record)
            for value in record.values():  # counts, citations
                if isinstance(value, dict):
                    holders.append(value)
                elif isinstance(value, list):
                    holders.extend(item for item in value if isinstance(item, dict))
    duplicates: dict[int, tuple[str, Any, bool]] = {}
    for _ in range(data.draw(st.integers(1, 3))):
        holder = data.draw(st.sampled_from(holders))
        key = data.draw(st.sampled_from([*holder, "unexpected_field"]))
        action = data.draw(st.sampled_from(["set", "set", "delete", "duplicate"]))
        if action == "delete":
            holder.pop(key, None)
        elif action == "duplicate":
            duplicates[id(holder)] = (key, data.draw(VALUES), data.draw(st.booleans()))
        else:
            holder[key] = data.draw(VALUES)
    text = dumps_with_duplicates(document, duplicates)
    encoded = text.encode("utf-8", "surrogatepass")
    target.attempt(data.draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + encoded)


@pytest.mark.parametrize(
    "literal",
    ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" + "0" * 5000, "-0", "1.0",
     "9223372036854775808", "-9223372036854775809", "0.1e-400", "1E+2"],
)
@pytest.mark.parametrize("field", ["version", "latitude", "launched", "confidence", "title"])
def test_number_literals_in_any_numeric_place(
    target: Target, files: Files, literal: str, field: str
) -> None:
    document = json.loads(files.valid)
    holder = document if field == "version" else document["incidents"][0]
    holder[field] = "@@"
    if field == "latitude":
        holder["longitude"] = 1.0
    text = json.dumps(document).replace('"@@"', literal, 1)
    target.attempt(text.encode())


@pytest.mark.parametrize(
    "escaped",
    [r"\ud800", r"\udbff", r"\udc00", r"\udfff", r"a\ud800b", r"\udc00\ud800", r"\ud800\ud800",
     r"\ud83d\ude80", r"\u0000", r"\u202e", r"\ufeff"],
)
@pytest.mark.parametrize("field", ["title", "tz", "ref", "summary"])
def test_escaped_lone_surrogates_and_controls(
    target: Target, files: Files, escaped: str, field: str
) -> None:
    """``"\\ud800"`` is valid JSON syntax but not a character: refused or imported, no crash."""
    document = json.loads(files.valid)
    document["incidents"][0][field] = "@@"
    text = json.dumps(document).replace('"@@"', f'"{escaped}"', 1)
    target.attempt(text.encode())


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: b"\xef\xbb\xbf\xef\xbb\xbf" + text.encode(),
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("utf-16-le"),
        lambda text: text.encode("utf-32"),
        lambda text: text.encode("cp1256", "replace"),  # an Arabic Windows code page
        lambda text: text.encode("latin-1", "replace"),
        lambda text: text.replace("\n", "\r\n").encode(),
        lambda text: text.encode() + b"\x00",
        lambda text: text.encode() + b"\n{}",
        lambda text: b"\n\t \r\n" + text.encode() + b"\n\n",
    ],
    ids=["two-boms", "utf-16", "utf-16-le", "utf-32", "cp1256", "latin-1", "crlf", "nul-after",
         "second-document", "white-space"],
)
def test_other_encodings_are_refused_or_imported_cleanly(
    target: Target, files: Files, encode: Callable[[str], bytes]
) -> None:
    target.attempt(encode(files.valid.decode()))


@pytest.mark.parametrize("depth", [10, 100, 400])
@pytest.mark.parametrize("place", ["record", "field", "top", "format", "unclosed"])
def test_moderately_deep_nesting_is_refused_cleanly(
    target: Target, files: Files, depth: int, place: str
) -> None:
    assert not target.attempt(nested(files.valid, place, depth)).imported


def nested(valid: bytes, place: str, depth: int) -> bytes:
    """The valid export with ``depth`` nested lists put in ``place``."""
    deep = "[" * depth + "]" * depth
    document = json.loads(valid)
    if place == "record":
        document["quotes"].append("@@")
    elif place == "field":
        document["incidents"][0]["title"] = "@@"
    elif place == "top":
        document["unexpected"] = "@@"
    elif place == "format":
        document["format"] = "@@"
    else:
        document["quotes"].append("@@")
        deep = "[" * depth
    return json.dumps(document).replace('"@@"', deep, 1).encode()


@FUZZ
@given(stop_after=st.integers(0, 40))
def test_an_import_cancelled_at_any_point_writes_nothing(
    target: Target, files: Files, stop_after: int
) -> None:
    asked = 0

    def cancel() -> bool:
        nonlocal asked
        asked += 1
        return asked > stop_after

    outcome = target.attempt(files.valid, cancel=cancel)
    assert outcome.imported or outcome.error == "Cancelled: nothing was written."


# --- found by these properties and fixed: regression tests ----------------------------------


def deep_column(data: bytes, depth: int) -> int:
    """The column (1-based, one-line file) of the ``[`` that opens level ``MAX_DEPTH + 1``."""
    text = data.decode()
    run = text.index("[" * depth)
    before = text[:run]  # its texts hold no brackets
    opened = before.count("{") + before.count("[") - before.count("}") - before.count("]")
    return run + (MAX_DEPTH - opened) + 1  # the run opens level opened + 1 at index run


@pytest.mark.parametrize("depth", [2_000, 65])
@pytest.mark.parametrize("place", ["record", "field", "top", "format", "unclosed"])
def test_deeply_nested_values_are_refused_cleanly(
    target: Target, files: Files, place: str, depth: int
) -> None:
    """Was: ~1,000 deep made jsonschema (or the repr in ``_check_head``) recurse past
    Python's limit, and RecursionError escaped. Now the reader stops at ``MAX_DEPTH``
    and says where."""
    data = nested(files.valid, place, depth)
    outcome = target.attempt(data)
    assert not outcome.validated and not outcome.imported
    assert outcome.error is not None
    assert f"nested deeper than {MAX_DEPTH} levels" in outcome.error, outcome.error
    assert f", line 1: column {deep_column(data, depth)}: " in outcome.error, outcome.error


def test_the_depth_limit_is_exactly_max_depth(target: Target, files: Files) -> None:
    """A title nested to level ``MAX_DEPTH`` (document, section, record, then lists) is
    refused by the schema, as any list in place of a text; one level more by the reader."""
    at_limit = target.attempt(nested(files.valid, "field", MAX_DEPTH - 3))
    assert at_limit.error is not None and "nested deeper" not in at_limit.error
    assert "field title" in at_limit.error
    beyond = target.attempt(nested(files.valid, "field", MAX_DEPTH - 2))
    assert beyond.error is not None and "nested deeper" in beyond.error


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is what bounds the memory")
def test_a_small_deeply_nested_file_is_refused_within_bounded_memory(
    files: Files, tmp_path: Path
) -> None:
    """Was: ``ijson.parse`` keeps a path prefix per level, so memory grew with the
    square of the depth: 200 kB of 100,000 ``[`` took more than 20 GB (MemoryError under
    this 1 GiB limit; unlimited, the OOM killer ended the application)."""
    path = tmp_path / "deep.json"
    path.write_bytes(nested(files.valid, "record", 100_000))
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from pathlib import Path
        from incidentlog.domain.errors import ExchangeError
        from incidentlog.exchange import validate_document
        try:
            validate_document(Path({str(path)!r}))
        except ExchangeError as exc:
            print("refused:", exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.stdout.startswith("refused:"), result.stderr[-500:]
    assert f"nested deeper than {MAX_DEPTH} levels" in result.stdout


def test_the_pure_python_ijson_backend_is_not_what_runs_here() -> None:
    """The properties above run with the C backend (yajl2_c) that ijson's wheels carry;
    the pure-Python fallback (where no wheel exists) is checked by the tests below. This
    test says so if the fallback is ever what runs here."""
    import ijson

    assert ijson.backend in {"yajl2_c", "yajl2_cffi", "yajl2"}, ijson.backend


@pytest.fixture(params=["default", "python"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ijson backend the reader uses: the one installed, or the pure-Python fallback."""
    import ijson

    from incidentlog.exchange.json import reader

    if request.param == "python":
        python = ijson.get_backend("python")
        monkeypatch.setattr(reader.ijson, "basic_parse", python.basic_parse)
        monkeypatch.setattr(reader.ijson, "parse", python.parse)
    return str(request.param)


def with_title(files: Files, literal: str, field: str = "title") -> bytes:
    """The valid export on one line, the first incident's ``field`` written as ``literal``."""
    document = json.loads(files.valid)
    document["incidents"][0][field] = "@@"
    return json.dumps(document).replace('"@@"', literal, 1).encode()


@pytest.mark.parametrize(
    "escaped",
    [r"\ud800", r"\udbff", r"\udc00", r"a\ud800b", r"\ud800\ud800", r"\udc00\ud800",
     r"\ude80\ud83d", r"\ud83d\ude80\udfff"],
)
@pytest.mark.parametrize("field", ["title", "summary"])
def test_a_lone_surrogate_is_refused_with_its_place_by_every_backend(
    backend: str, target: Target, files: Files, escaped: str, field: str
) -> None:
    """Was: the pure-Python backend passed ``"\\ud800"`` on and SQLite raised
    UnicodeEncodeError; the C backend wrote a lone high surrogate as ``?`` and
    ``"\\ud800\\ud800"`` as U+10000, silently."""
    data = with_title(files, f'"{escaped}"', field)
    outcome = target.attempt(data)
    assert not outcome.validated and not outcome.imported
    assert outcome.error is not None and "surrogate" in outcome.error, outcome.error
    text = data.decode()
    lone = text.index(escaped) + escaped.index("\\u" + outcome.error.split("holds \\u")[1][:4])
    assert f", line 1: column {lone + 1}: " in outcome.error, outcome.error


@pytest.mark.parametrize(
    ("escaped", "stored"),
    [(r"\ud83d\ude80", "\U0001f680"), (r"\\ud800", "\\ud800"), (r"\\\ud83d\ude80", "\\\U0001f680"),
     (r"\uD83D\uDE80", "\U0001f680")],
)
def test_a_surrogate_pair_or_an_escaped_backslash_is_text(
    backend: str, files: Files, tmp_path: Path, escaped: str, stored: str
) -> None:
    """What is not a lone surrogate is imported as the text it is, by every backend."""
    path = tmp_path / "pair.json"
    path.write_bytes(with_title(files, f'"Rocket {escaped}"'))
    shutil.copyfile(files.template, tmp_path / "db.sqlite3")
    uid = json.loads(files.valid)["incidents"][0]["uid"]
    with open_database(tmp_path / "db.sqlite3") as database:
        services = Services(database, actor="fuzz")
        import_json(services, path)
        assert services.incidents.get(uid).title == f"Rocket {stored}"


@pytest.mark.parametrize("field", ["launched", "latitude", "version"])
def test_with_the_pure_python_backend_a_65_bit_integer_is_refused(
    backend: str, target: Target, files: Files, field: str
) -> None:
    """The pure-Python parser reads any integer (the C one stops at 64 bits). A version
    of 2**64 used to pass validation and fail in SQLite with OverflowError."""
    outcome = target.attempt(with_title(files, str(2**64), field))
    assert not outcome.imported


def test_nan_is_not_a_number_we_store() -> None:
    """Sanity for the properties above: Python's json writes NaN as a bare literal."""
    assert json.dumps(math.nan, allow_nan=True) == "NaN"


@pytest.mark.parametrize("version", ["1e308", str(2**63 - 1), str(2**53 + 1), "1e16"])
def test_a_version_beyond_2_to_the_53_is_refused(
    target: Target, files: Files, version: str
) -> None:
    """Was: 1e308 (an integral number is an "integer" to JSON Schema) or 2**63-1 was
    imported; the next edit left 1e308 unchanged or overflowed into a REAL, so
    optimistic locking could no longer tell two edits apart."""
    outcome = target.attempt(with_title(files, version, "version"))
    assert not outcome.validated and not outcome.imported
    assert outcome.error is not None and "incidents[0]" in outcome.error
    assert "field version: " in outcome.error and "maximum" in outcome.error, outcome.error


@pytest.mark.parametrize("version", [1e308, 2**63 - 1, 2**53 + 1, 0, 2.5, True, "3"])
def test_the_importer_checks_a_version_without_the_schema(
    files: Files, version: object
) -> None:
    """The conversion to a domain record checks the version itself: the schema is one
    line of defence, not the only one."""
    from incidentlog.exchange.json.records import MAX_VERSION, incident_from_json

    record = json.loads(files.valid)["incidents"][0] | {"version": version}
    with pytest.raises(ValueError, match=f"not a whole number from 1 to {MAX_VERSION:,}"):
        incident_from_json(record)


@pytest.mark.parametrize("version", [str(2**53), "7.0", "7"])
def test_an_imported_version_keeps_conflict_detection_working(
    files: Files, tmp_path: Path, version: str
) -> None:
    """The largest version allowed still counts, as an int; ``7.0`` is stored as 7."""
    from dataclasses import replace

    document = json.loads(files.valid)
    record = document["incidents"][0]
    path = tmp_path / "versions.json"
    path.write_bytes(with_title(files, version, "version"))
    shutil.copyfile(files.template, tmp_path / "db.sqlite3")
    with open_database(tmp_path / "db.sqlite3") as database:
        services = Services(database, actor="fuzz")
        import_json(services, path)
        before = services.incidents.get(record["uid"])
        services.incidents.update(replace(before, title="edited"))
        after = services.incidents.get(record["uid"])
    assert isinstance(before.meta.version, int) and before.meta.version == int(float(version))
    assert isinstance(after.meta.version, int)
    assert after.meta.version == before.meta.version + 1


class Chunks:
    """A binary file that hands out ``sizes`` bytes at a time, cycling."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes, self.at, self.turn = data, sizes, 0, 0

    def read(self, size: int = -1) -> bytes:
        step = self.sizes[self.turn % len(self.sizes)]
        self.turn += 1
        piece = self.data[self.at : self.at + min(step, size if size >= 0 else step)]
        self.at += len(piece)
        return piece


_SURROGATE_CHARACTER = re.compile("[\ud800-\udfff]")


@FUZZ
@given(
    text=st.text(
        st.characters(codec=None, categories=["Cs", "Lu", "Ll", "Nd", "Po", "So"])
        | st.sampled_from(["\\", '"', "\ud83d", "\ude80", "\U0001f680", "\ud800", "\udfff"]),
        max_size=40,
    ),
    sizes=st.lists(st.integers(1, 20), min_size=1, max_size=5),
)
def test_the_surrogate_guard_finds_exactly_the_lone_ones_at_any_read_boundary(
    text: str, sizes: list[int]
) -> None:
    """The raw-bytes check against Python's own reading of the JSON text, the file handed
    out in chunks of any size, so that escapes and backslash runs straddle reads."""
    from incidentlog.exchange.json import reader

    encoded = json.dumps([text, "end"]).encode()  # ensure_ascii: every non-ASCII escaped
    decoded = json.loads(encoded)[0]
    lone = _SURROGATE_CHARACTER.search(decoded)
    guard = reader._SurrogateGuard(Chunks(encoded, sizes))  # type: ignore[arg-type]
    while guard.read(7):
        pass
    assert (guard.found is not None) == (lone is not None), (encoded, guard.found)
    if guard.found is not None:
        assert encoded[guard.found.offset : guard.found.offset + 6].decode() == guard.found.escape
        first = json.loads(encoded[: guard.found.offset] + b'"]', strict=False)[0]
        assert _SURROGATE_CHARACTER.search(first) is None, "an earlier lone one was missed"


@pytest.mark.parametrize("key", ["\\ud800", "x\\udfff"])
def test_a_lone_surrogate_in_a_key_is_refused(
    backend: str, target: Target, files: Files, key: str
) -> None:
    outcome = target.attempt(with_title(files, f'"x", "{key}": 1', "summary"))
    assert not outcome.imported
    assert outcome.error is not None and "surrogate" in outcome.error, outcome.error
