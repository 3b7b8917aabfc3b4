"""The format's constants and its JSON Schema: checking a record or the document's head.

Validation is in two steps. fastjsonschema, compiled once per record kind, says yes
or no about twenty times faster than ``jsonschema``, and nearly every record is
valid. Only what it refuses goes to ``jsonschema``, whose errors say best what is
wrong and which has the last word. ``jsonschema`` (with ``attrs``, ``referencing`` and
``rpds``) costs a noticeable share of a second to import, so it is imported here and
only when a problem is to be worded: an export, and the import of a valid file,
never load it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import orjson

from incidentlog.domain.when import utc_now

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError as SchemaError

FORMAT = "incidentlog"
VERSION = 1
SCHEMA_FILE = "incidentlog-export-1.schema.json"
SECTIONS = ("incidents", "sources", "quotes", "periods", "saved_views", "comments", "verdicts")
#: Optional lists that are not records: read whole with the document's head.
EXTRAS = ("actors", "merged")
KIND_OF_SECTION = {
    "incidents": "incident",
    "sources": "source",
    "quotes": "quote",
    "periods": "period",
    "saved_views": "saved_view",
    "comments": "comment",
    "verdicts": "verdict",
}
_KINDS = ("incident", "source", "quote", "period", "saved_view", "comment", "verdict")


def now_text() -> str:
    """Now, as the format writes a time (``exported_at``, an import's stamps)."""
    return utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=1)
def export_schema() -> dict[str, Any]:
    """The published JSON Schema of the format, from the installed resources."""
    data = resources.files("incidentlog.resources").joinpath("schema", SCHEMA_FILE).read_bytes()
    schema: dict[str, Any] = orjson.loads(data)
    return schema


def _schema_of(kind: str) -> dict[str, Any]:
    """The schema of one record kind (records are checked one at a time), or the document's."""
    schema = export_schema()
    if kind == "document":
        return schema
    return {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{kind}"}


@lru_cache(maxsize=1)
def _fast_validators() -> dict[str, Callable[[Any], Any]]:
    """The schema of each record kind and of the document compiled to Python code.

    ``format`` is not checked, as ``jsonschema`` does not check it either.
    """
    import fastjsonschema

    return {
        kind: fastjsonschema.compile(_schema_of(kind), use_formats=False)
        for kind in (*_KINDS, "document")
    }


@lru_cache(maxsize=1)
def _validators() -> dict[str, Draft202012Validator]:
    """``jsonschema``'s validator of each record kind and of the document."""
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(export_schema())
    return {kind: Draft202012Validator(_schema_of(kind)) for kind in (*_KINDS, "document")}


def schema_problem(kind: str, value: Any) -> tuple[str | None, str] | None:
    """What is wrong with ``value`` by the schema of ``kind`` (a record kind, or
    ``"document"``): the field and a sentence about it; None when it is valid."""
    try:
        _fast_validators()[kind](value)
    except Exception:  # JsonSchemaException, or anything else: let jsonschema judge
        from jsonschema.exceptions import best_match

        error = best_match(_validators()[kind].iter_errors(value))
        return None if error is None else _worded(error)
    return None


def _worded(error: SchemaError) -> tuple[str | None, str]:
    """The field a schema error is about, and a sentence about it."""
    path = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
    ).lstrip(".")
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else None
        name = f"{path}.{missing}" if path and missing else missing or path
        return name or None, "is required but missing"
    if error.validator == "additionalProperties":
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        given = error.instance if isinstance(error.instance, Mapping) else {}
        extra = sorted(set(given) - set(schema.get("properties", {})))
        name = f"{path}.{extra[0]}" if path and extra else (extra[0] if extra else path)
        return name or None, "is not a field of this format (check the spelling)"
    if error.validator == "enum":
        values = error.validator_value if isinstance(error.validator_value, list) else []
        allowed = ", ".join("null" if v is None else str(v) for v in values)
        return path or None, f"{error.instance!r} is not one of: {allowed}"
    if error.validator == "pattern" and path.endswith(("uid", "source", "incident")):
        return path or None, f"{error.instance!r} is not a uid (a UUID in lower case)"
    if error.validator == "pattern" and path.endswith("_at"):
        return path or None, f"{error.instance!r} is not a UTC time like 2024-01-20T15:30:00Z"
    return path or None, error.message

