"""Options: keyword arguments > ``LEAKGUARD_*`` environment variables > defaults.

Resolved and validated in one place. A bad value raises ``ValueError`` naming
the option and where the value came from.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from leakguard._model.options import Options

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _positive(value: float) -> str | None:
    return None if value > 0 else "must be > 0"


def _non_negative(value: float) -> str | None:
    return None if value >= 0 else "must be >= 0"


def _fraction(value: float) -> str | None:
    return None if 0 < value < 1 else "must be between 0 and 1 (exclusive)"


def _at_least_two(value: float) -> str | None:
    return None if value >= 2 else "must be >= 2"


_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "interval": lambda v: None if v is None else _positive(v),
    "budget": _fraction,
    "max_pause": _positive,
    "warmup": _non_negative,
    "window": lambda v: None if v >= 4 else "must be >= 4",
    "min_samples": lambda v: None if v >= 4 else "must be >= 4",
    "confirm": _positive,
    "alpha": _fraction,
    "min_growth": _non_negative,
    "min_growth_bytes": _non_negative,
    "top_containers": _non_negative,
    "max_series": _positive,
    "history": _at_least_two,
    "trace_frames": _positive,
    "evidence_seconds": _positive,
    "trace_samples": _positive,
    "snapshot_keep": _positive,
    "snapshot_max_bytes": _positive,
}

_FIELDS = {f.name: f for f in dataclasses.fields(Options)}


def _parse(name: str, raw: str) -> Any:
    """Parse an environment string into the option's type."""
    default = _FIELDS[name].default
    text = raw.strip()
    if name == "ignore":
        return tuple(p.strip() for p in text.split(",") if p.strip())
    if name in ("interval", "snapshot_dir") and text.lower() in ("", "none", "off", "manual"):
        return None
    if name == "snapshot_dir":
        return text
    if isinstance(default, bool):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError("expected one of 1/0, true/false, yes/no, on/off")
    if isinstance(default, int):
        return int(text)
    return float(text)


def _coerce(name: str, value: Any) -> Any:
    """Check a keyword argument's type, accepting ints where floats are expected."""
    default = _FIELDS[name].default
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
        return os.fspath(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise TypeError("expected True or False")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if isinstance(default, int) and name != "interval":
        if value != int(value):
            raise TypeError("expected a whole number")
        return int(value)
    return float(value)


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
        raise ValueError(f"leakguard: unknown option {unknown[0]!r} (known options: {known})")
    _warn_unknown_env(env)
    values: dict[str, Any] = {}
    for name in _FIELDS:
        var = "LEAKGUARD_" + name.upper()
        if name in kwargs:
            source = "keyword argument"
        elif var in env:
            source = f"environment variable {var}={env[var]!r}"
        else:
            continue
        try:
            value = _coerce(name, kwargs[name]) if name in kwargs else _parse(name, env[var])
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"leakguard: bad value for option {name!r} from {source}: {exc}"
            ) from None
        if name == "ignore":
            from leakguard._evidence.rules import check_rules

            check_rules(value, f"option 'ignore' from {source}")
        check = _CHECKS.get(name)
        problem = check(value) if check else None
        if problem:
            raise ValueError(f"leakguard: option {name!r} from {source} {problem} (got {value!r})")
        values[name] = value
    return Options(**values)
