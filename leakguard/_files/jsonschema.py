"""JSON Schemas (draft 2020-12) of leakguard's JSON output, derived from the value types.

The schema is read off the same dataclass type hints that :mod:`leakguard._files.schema`
encodes and decodes with, so the published schema cannot drift from what is written.
Every field is required (the writers always write all of them); unknown fields are
allowed, as a newer writer of the same schema version may add some.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any

from leakguard._files.schema import encode
from leakguard._model.report import SCHEMA_VERSION

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_SCALARS = {int: "integer", float: "number", str: "string", bool: "boolean"}


def document(kind: str, value: object) -> dict[str, Any]:
    """The JSON document of ``kind`` holding ``value``'s fields, as ``--format json`` prints."""
    return {"schema": SCHEMA_VERSION, "kind": kind, **encode(value)}


def schema_of(cls: type, kind: str, title: str) -> dict[str, Any]:
    """The schema of ``{"schema": SCHEMA_VERSION, "kind": kind, **fields of cls}``.

    Args:
        cls: the dataclass whose encoded form is the document.
        kind: the document's ``kind`` field.
        title: a one-line title.
    """
    defs: dict[str, Any] = {}
    root = _dataclass(cls, defs)
    root["properties"] = {
        "schema": {"const": SCHEMA_VERSION},
        "kind": {"const": kind},
        **root["properties"],
    }
    root["required"] = ["schema", "kind", *root["required"]]
    out: dict[str, Any] = {"$schema": DIALECT, "title": title, **root}
    if defs:
        out["$defs"] = dict(sorted(defs.items()))
    return out


def _dataclass(cls: Any, defs: dict[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    doc = (cls.__doc__ or "").strip().splitlines()
    node: dict[str, Any] = {"type": "object"}
    if doc:
        node["description"] = doc[0]
    node["properties"] = {n: _of(hints[n], defs) for n in names}
    node["required"] = names
    return node


def _of(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # a placeholder first: a type may refer to itself
            defs[name] = _dataclass(tp, defs)
        return {"$ref": f"#/$defs/{name}"}
    if origin in (tuple, list):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            items = [_of(a, defs) for a in args]
            return {"type": "array", "prefixItems": items, "minItems": len(items), "items": False}
        return {"type": "array", "items": _of(args[0], defs) if args else {}}
    if origin in (Mapping, dict):
        return {"type": "object", "additionalProperties": _of(args[1], defs)}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_of(a, defs) for a in args]}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if tp is type(None):
        return {"type": "null"}
    if tp is Any:
        return {}
    return {"type": _SCALARS[tp]}
