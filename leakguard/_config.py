"""Options: keyword arguments > ``LEAKGUARD_*`` environment variables > defaults.

Resolved and validated in one place. A bad value raises ``ValueError`` naming
the option and where the value came from. Every number has a range with both
ends, so that no accepted value can fail later, inside a sample (a ring buffer
of ``2**63`` slots, a census heap of a billion containers, more frames than
tracemalloc keeps, a wait that overflows).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import re
from collections.abc import Mapping
from typing import Any

from leakguard._model.options import Options, shown

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_NONE = {"none", "off", "manual"}
_BYTES = 2**63 - 1  # the largest size a process can hold

# option -> (smallest, largest, smallest excluded): both ends are checked.
RANGES: dict[str, tuple[float, float, bool]] = {
    "interval": (0, 86400, True),
    "budget": (0, 1, True),
    "max_pause": (0, 3600, True),
    "warmup": (0, 1_000_000, False),
    "window": (4, 100_000, False),
    "min_samples": (4, 100_000, False),
    "confirm": (1, 100_000, False),
    "alpha": (0, 1, True),
    "min_growth": (0, _BYTES, False),
    "min_growth_bytes": (0, _BYTES, False),
    # The census keeps a heap of this many containers per sample.
    "top_containers": (0, 10_000, False),
    "max_series": (1, 1_000_000, False),
    "history": (2, 100_000, False),
    # tracemalloc keeps at most 65535 frames; past ~100 each sample costs seconds.
    "trace_frames": (1, 100, False),
    "evidence_seconds": (0, 3600, True),
    "trace_samples": (1, 1000, False),
    "snapshot_keep": (1, 1_000_000, False),
    "snapshot_max_bytes": (1, _BYTES, False),
}
_OPEN_ABOVE = {"budget", "alpha"}  # fractions: 1 itself is refused too

_FIELDS = {f.name: f for f in dataclasses.fields(Options)}


def _whole(name: str) -> bool:
    default = _FIELDS[name].default
    return isinstance(default, int) and not isinstance(default, bool)


def out_of_range(name: str, value: float) -> str | None:
    """Why ``value`` is outside the range of option ``name``, or None when it is inside."""
    low, high, low_open = RANGES[name]
    high_open = name in _OPEN_ABOVE
    inside = (value > low if low_open else value >= low) and (
        value < high if high_open else value <= high
    )
    if inside:
        return None
    if low_open and high_open:
        return f"must be between {low:g} and {high:g} (exclusive)"
    first = f"> {low:g}" if low_open else f">= {low:g}"
    return f"must be {first} and <= {int(high) if high == int(high) else high}"


def _number(name: str, value: float) -> float:
    """A finite number in the option's type (whole numbers stay ints)."""
    if isinstance(value, float) and math.isnan(value):
        raise ValueError("expected a number, got nan")
    if _whole(name):
        if isinstance(value, float) and (math.isinf(value) or value != int(value)):
            raise ValueError(f"expected a whole number, got {value!r}")
        return int(value)
    return float(value)


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3,
          "gb": 1000**3, "t": 1000**4, "tb": 1000**4, "kib": 1024, "mib": 1024**2,
          "gib": 1024**3, "tib": 1024**4}  # fmt: skip
_SIZE = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-z]*)")
_ACTIONS = ("report", "exit")


def memory_limit(value: object) -> int | float | None:
    """``memory_limit`` as bytes (an int) or a fraction of the cgroup limit (a float).

    Accepts None, an int (bytes), a float in (0, 1] (a fraction), or a string:
    ``"1.5GiB"``, ``"800MB"``, ``"2000000000"`` (bytes) or ``"0.9"`` (a fraction);
    ``"none"``/``"off"`` turn it off.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("expected bytes (an int or a string such as '1.5GiB') or a fraction")
    if isinstance(value, str):
        return _size(value.strip().lower())
    if isinstance(value, int):
        if not 0 < value <= _BYTES:
            raise ValueError(f"bytes must be between 1 and 2**63 - 1, got {shown(value)}")
        return value
    if isinstance(value, float):
        if not 0 < value <= 1:
            raise ValueError(f"a fraction of the cgroup limit must be in (0, 1], got {value!r}")
        return value
    raise TypeError(f"expected bytes or a fraction, got {type(value).__name__}")


def _size(text: str) -> int | float | None:
    if text in _NONE:
        return None
    m = _SIZE.fullmatch(text)
    if m is None or m.group(2) not in _UNITS:
        raise ValueError(
            "expected bytes such as '1.5GiB', '800MB' or '2000000000', or a fraction such as '0.9'"
        )
    number, unit = m.groups()
    if not unit and "." in number:
        return memory_limit(float(number))  # a fraction
    size = float(number) * _UNITS[unit] if "." in number else int(number) * _UNITS[unit]
    if not 0 < size <= _BYTES:
        raise ValueError(f"bytes must be between 1 and 2**63 - 1, got {shown(text)}")
    return int(size)


def limit_action(value: object) -> str:
    """``memory_limit_action``: one of ``report`` or ``exit``."""
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    if value.strip().lower() not in _ACTIONS:
        raise ValueError(f"expected one of {', '.join(_ACTIONS)}, got {shown(value)}")
    return value.strip().lower()


_SPECIAL = {"memory_limit": memory_limit, "memory_limit_action": limit_action}


def _parse(name: str, text: str) -> Any:
    """Parse a (non-empty, stripped) environment string into the option's type."""
    if name in _SPECIAL:
        return _SPECIAL[name](text)
    if name == "ignore":
        return tuple(p.strip() for p in text.split(",") if p.strip())
    if name in ("interval", "snapshot_dir") and text.lower() in _NONE:
        return None
    if name == "snapshot_dir":
        return _path(text)
    if isinstance(_FIELDS[name].default, bool):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError("expected one of 1/0, true/false, yes/no, on/off")
    if _whole(name):
        try:
            return int(text)
        except ValueError:
            raise ValueError("expected a whole number (base 10)") from None
    try:
        return _number(name, float(text))
    except (OverflowError, ValueError):
        raise ValueError("expected a number") from None


def _path(value: str) -> str:
    if not value or "\0" in value:
        raise ValueError("expected a path (non-empty, without NUL)")
    return value


def _coerce(name: str, value: Any) -> Any:
    """Check a keyword argument's type, accepting ints where floats are expected."""
    default = _FIELDS[name].default
    if name in _SPECIAL:
        return _SPECIAL[name](value)
    if name == "ignore":
        if isinstance(value, str):
            value = (value,)
        if not all(isinstance(p, str) for p in value):
            raise TypeError("expected a sequence of strings")
        return tuple(value)
    if value is None and name in ("interval", "snapshot_dir"):
        return None
    if name == "snapshot_dir":
        if not isinstance(value, (str, os.PathLike)):
            raise TypeError("expected a path")
        path = os.fspath(value)
        return _path(path if isinstance(path, str) else os.fsdecode(path))
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise TypeError("expected True or False")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if isinstance(value, int) and not _whole(name):
        try:
            value = float(value)
        except OverflowError:
            raise ValueError("too large a number") from None
    return _number(name, value)


def _warn_unknown_env(env: Mapping[str, str]) -> None:
    """A misspelled LEAKGUARD_* variable would silently do nothing: say so once."""
    known = {"LEAKGUARD_" + name.upper() for name in _FIELDS}
    for var in sorted(env):
        if var.startswith("LEAKGUARD_") and var not in known and var not in _warned:
            _warned.add(var)
            logging.getLogger("leakguard").warning(
                "leakguard: unknown environment variable %s is ignored", var
            )


_warned: set[str] = set()


def source(name: str, kwargs: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> str:
    """Where option ``name`` comes from: ``keyword argument``, its variable, or ``default``.

    An environment variable set to an empty (or blank) string counts as unset, as
    Python's own ``PYTHON*`` variables do: a template that leaves a value out
    gets the default, not a different mode.
    """
    env = os.environ if environ is None else environ
    var = "LEAKGUARD_" + name.upper()
    if name in kwargs:
        return "keyword argument"
    if env.get(var, "").strip():
        return f"environment variable {var}={shown(env[var])}"
    return "default"


def resolve(kwargs: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Options:
    """Build validated options from keyword arguments, the environment and defaults.

    Args:
        kwargs: options given in code; they win.
        environ: the environment to read ``LEAKGUARD_*`` from (default ``os.environ``).

    Raises:
        ValueError: an unknown option or a bad value, naming the option and its source.
    """
    env = os.environ if environ is None else environ
    unknown = sorted(set(kwargs) - set(_FIELDS))
    if unknown:
        known = ", ".join(sorted(_FIELDS))
        raise ValueError(f"leakguard: unknown option {shown(unknown[0])} (known options: {known})")
    _warn_unknown_env(env)
    values: dict[str, Any] = {}
    for name in _FIELDS:
        where = source(name, kwargs, env)
        if where == "default":
            continue
        values[name] = _checked(name, kwargs, env, where)
    return Options(**values)


def _checked(name: str, kwargs: Mapping[str, Any], env: Mapping[str, str], where: str) -> Any:
    """One option's value, parsed and checked against its range."""
    try:
        if name in kwargs:
            value = _coerce(name, kwargs[name])
        else:
            value = _parse(name, env["LEAKGUARD_" + name.upper()].strip())
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"leakguard: bad value for option {name!r} from {where}: {exc}") from None
    if name == "ignore":
        from leakguard._evidence.rules import check_rules

        check_rules(value, f"option 'ignore' from {where}")
    problem = out_of_range(name, value) if name in RANGES and value is not None else None
    if problem:
        raise ValueError(f"leakguard: option {name!r} from {where} {problem} (got {shown(value)})")
    return value
