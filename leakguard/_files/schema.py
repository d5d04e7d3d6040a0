"""The JSON codec of leakguard files: frozen dataclasses to plain data and back, checked.

Decoding walks the dataclasses' type hints, so the file format follows the
value types exactly and every field is checked against its type on the way in.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from leakguard._model.options import shown

T = TypeVar("T")
_INT64 = (-(2**63), 2**63 - 1)


class _Bad(Exception):
    """A value that does not fit its field; ``path`` names the field."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem


def encode(value: Any) -> Any:
    """Turn frozen values (dataclasses, tuples, mappings) into JSON-ready dicts and lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [encode(v) for v in value]
    return value


def decode(cls: type[T], data: object, source: str) -> T:
    """Build dataclass ``cls`` from JSON data, checking each field against its type hint.

    Fields with a default may be absent; unknown keys are ignored (a newer writer
    of the same schema version may add fields).

    Args:
        cls: the dataclass to build.
        data: parsed JSON.
        source: where the data came from, for messages.

    Raises:
        ValueError: ``"<source>: <field>: <what is wrong>"``.
    """
    try:
        return typing.cast(T, _decode(cls, data, ""))
    except _Bad as bad:
        where = f"{source}: {bad.path}" if bad.path else source
        raise ValueError(f"{where}: {bad.problem}") from None


def _decode(tp: Any, value: object, path: str) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return _decode_dataclass(tp, value, path)
    if origin is tuple:
        return _decode_tuple(args, value, path)
    if origin is Mapping or origin is dict:
        return _decode_mapping(args[1], value, path)
    if origin in (typing.Union, types.UnionType):
        return _decode_optional(args, value, path)
    if origin is typing.Literal:
        return _decode_literal(args, value, path)
    return _decode_scalar(tp, value, path)


def _decode_dataclass(cls: Any, value: object, path: str) -> Any:
    if not isinstance(value, dict):
        raise _Bad(path, f"expected an object, got {_json_type(value)}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        where = f"{path}.{f.name}" if path else f.name
        if f.name in value:
            kwargs[f.name] = _decode(hints[f.name], value[f.name], where)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise _Bad(path, f"missing field {f.name!r}")
    return cls(**kwargs)


def _decode_tuple(args: tuple[Any, ...], value: object, path: str) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise _Bad(path, f"expected a list, got {_json_type(value)}")
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_decode(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
    if len(value) != len(args):
        raise _Bad(path, f"expected a list of {len(args)}, got {len(value)} items")
    pairs = zip(args, value, strict=True)
    return tuple(_decode(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(pairs))


def _decode_mapping(tp: Any, value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Bad(path, f"expected an object, got {_json_type(value)}")
    return {k: _decode(tp, v, f"{path}[{k!r}]") for k, v in value.items()}


def _decode_optional(args: tuple[Any, ...], value: object, path: str) -> Any:
    if value is None and type(None) in args:
        return None
    (inner,) = [a for a in args if a is not type(None)]
    return _decode(inner, value, path)


def _decode_literal(args: tuple[Any, ...], value: object, path: str) -> Any:
    if value not in args:
        allowed = ", ".join(map(repr, args))
        raise _Bad(path, f"expected one of {allowed}, got {shown(value)}")
    return value


def _decode_scalar(tp: Any, value: object, path: str) -> Any:
    # bool is an int in Python but never a count in a leakguard file.
    if isinstance(value, int) and not isinstance(value, bool) and tp in (int, float):
        # Counts land in 64-bit arrays and C sizes: a bigger one would fail later, unnamed.
        if not _INT64[0] <= value <= _INT64[1]:
            raise _Bad(path, "integer out of range (must fit in 64 bits)")
        return float(value) if tp is float else value
    if tp is float and isinstance(value, float):
        return value
    if tp in (str, bool) and isinstance(value, tp):
        return value
    if tp is Any:
        return value
    expected = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    raise _Bad(path, f"expected {expected.get(tp, tp)}, got {_json_type(value)}")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    names.update({list: "a list", dict: "an object"})
    return names.get(type(value), type(value).__name__)
