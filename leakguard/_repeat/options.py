"""Validate the settings of a repeated check, wherever they come from.

``leakguard.check`` passes keyword arguments; the pytest plugin merges its
marker, command line and ini file first and passes each value with the place
it came from, so one bad value gets one line naming it and its source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

from leakguard._evidence.rules import check_rules
from leakguard._repeat.engine import RepeatOptions

# option -> smallest allowed value
MINIMUM: dict[str, float] = {
    "warmup": 1,
    "iterations": 2,
    "min_growth": 1,
    "min_blocks": 1,
    "traced_runs": 0,
    "trace_frames": 0,
    "survivors": 1,
    "path_seconds": 0,
}
NAMES = tuple(f.name for f in fields(RepeatOptions))


def parse(name: str, value: Any) -> Any:
    """Turn one value (a Python value or text from a command line or ini file) into its type.

    Raises:
        ValueError: a value of the wrong type or out of range.
    """
    if name == "ignore":
        if isinstance(value, str):
            value = [p for p in value.replace(",", "\n").splitlines() if p.strip()]
        if not isinstance(value, Sequence) or not all(isinstance(p, str) for p in value):
            raise ValueError("expected a list of type-name patterns")
        rules = tuple(p.strip() for p in value)
        check_rules(rules)
        return rules
    want = float if name == "path_seconds" else int
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        number = want(value.strip()) if isinstance(value, str) else value
    except ValueError:
        raise ValueError(f"expected {'a number' if want is float else 'a whole number'}") from None
    if not isinstance(number, (int, float)) or (want is int and number != int(number)):
        raise ValueError(f"expected a whole number, got {value!r}")
    if number < MINIMUM[name]:
        raise ValueError(f"must be >= {MINIMUM[name]:g} (got {value!r})")
    return want(number)


def build(values: Mapping[str, Any], sources: Mapping[str, str]) -> RepeatOptions:
    """Validated :class:`RepeatOptions` from values and where each came from.

    Args:
        values: option name -> raw value; options not given keep their defaults.
        sources: option name -> where its value came from, for messages.

    Raises:
        ValueError: ``leakguard: bad value for 'iterations' from <source>: <why>``.
    """
    parsed: dict[str, Any] = {}
    for name, value in values.items():
        source = sources.get(name, "keyword argument")
        if name not in NAMES:
            known = ", ".join(NAMES)
            raise ValueError(f"leakguard: unknown option {name!r} from {source} (known: {known})")
        try:
            parsed[name] = parse(name, value)
        except ValueError as exc:
            why = str(exc).removeprefix("leakguard: ")
            raise ValueError(f"leakguard: bad value for {name!r} from {source}: {why}") from None
    return RepeatOptions(**parsed)
