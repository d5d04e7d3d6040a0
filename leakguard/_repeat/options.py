"""How a repeated check repeats and judges, and the validation of those settings.

``leakguard.check`` passes keyword arguments; the pytest plugin merges its
marker, command line and ini file first and passes each value with the place
it came from, so one bad value gets one line naming it and its source.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from leakguard._evidence.rules import check_rules
from leakguard._model.options import shown

__all__ = ["MAXIMUM", "MINIMUM", "NAMES", "RepeatOptions", "build", "parse"]


@dataclass(frozen=True, slots=True)
class RepeatOptions:
    """How one check repeats and judges.

    Attributes:
        warmup: runs before measuring, the real (first) run included.
        iterations: measured runs at most; a leak grows on every one of them, and
            the check stops after the first measured run in which nothing grew.
        min_growth: objects of one type a run must add to count as growth.
        min_blocks: allocated blocks a run must add to count as memory growth.
        traced_runs: extra runs under tracemalloc when something grew (0: none).
        trace_frames: frames tracemalloc keeps during the traced runs.
        survivors: single-run checks fail when this many objects of one of the
            user's own types outlive the run.
        ignore: rules never reported: type-name patterns (fnmatch on the full or
            short name), ``module:NAME``, ``sig:HEX`` or ``held:PATTERN``.
        path_seconds: time budget for finding who holds a leaked object.
    """

    warmup: int = 2
    iterations: int = 3
    min_growth: int = 1
    min_blocks: int = 1
    traced_runs: int = 3
    trace_frames: int = 1
    survivors: int = 10
    ignore: tuple[str, ...] = ()
    path_seconds: float = 1.0


# option -> smallest allowed value
MINIMUM: dict[str, float] = {
    "warmup": 1,
    "iterations": 2,
    "min_growth": 1,
    "min_blocks": 1,
    "traced_runs": 0,
    "trace_frames": 1,
    "survivors": 1,
    "path_seconds": 0,
}
# option -> largest allowed value: a check must end, and tracemalloc keeps at most 65535 frames.
MAXIMUM: dict[str, float] = {
    "warmup": 1000,
    "iterations": 1000,
    "min_growth": 10**9,
    "min_blocks": 10**9,
    "traced_runs": 100,
    "trace_frames": 100,
    "survivors": 10**9,
    "path_seconds": 3600,
}
NAMES = tuple(f.name for f in fields(RepeatOptions))


def parse(name: str, value: Any) -> Any:
    """Turn one value (a Python value or text from a command line or ini file) into its type.

    Raises:
        ValueError: a value of the wrong type or out of range.
    """
    if name == "ignore":
        return _rules(value)
    want = float if name == "path_seconds" else int
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {shown(value)}")
    try:
        number = want(value.strip()) if isinstance(value, str) else value
    except ValueError:
        raise ValueError(f"expected {'a number' if want is float else 'a whole number'}") from None
    if not isinstance(number, (int, float)):
        raise ValueError(f"expected a number, got {type(value).__name__}")
    if isinstance(number, float) and math.isnan(number):
        raise ValueError(f"expected a number, got {shown(value)}")
    finite = not isinstance(number, float) or math.isfinite(number)
    if want is int and not (finite and number == int(number)):
        raise ValueError(f"expected a whole number, got {shown(value)}")
    if number < MINIMUM[name]:
        raise ValueError(f"must be >= {MINIMUM[name]:g} (got {shown(value)})")
    if number > MAXIMUM[name]:
        raise ValueError(f"must be <= {MAXIMUM[name]:g} (got {shown(value)})")
    return want(number)


def _rules(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [p for p in value.replace(",", "\n").splitlines() if p.strip()]
    if not isinstance(value, Sequence) or not all(isinstance(p, str) for p in value):
        raise ValueError("expected a list of type-name patterns")
    rules = tuple(p.strip() for p in value)
    check_rules(rules)
    return rules


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
