"""Builders shared by the tests."""

from __future__ import annotations

import random
import types
from collections.abc import Callable, Sequence

from leakguard._config import Options
from leakguard._detect.history import History, Mark, Series
from leakguard._detect.trend import Trend, evaluate
from leakguard._model.suspect import Suspect

MANUAL = Options(interval=None)


def history_of(
    values: Sequence[float],
    kind: str = "type",
    name: str = "shop.OrderDTO",
    unit: str = "objects",
    works: Sequence[int] | None = None,
    watched: Sequence[dict[str, int]] | None = None,
) -> tuple[History, Series]:
    """A history holding one series with the given levels, one sample per level."""
    history = History(MANUAL.history)
    series = Series(kind, name, unit)
    history._series[series.key] = series
    for i, v in enumerate(values):
        work = works[i] if works is not None else 0
        calls = tuple(sorted(watched[i].items())) if watched is not None else ()
        history.marks.append(Mark(i, 60.0 * i, work, 0, False, calls))
        series.append(i, v, history.size)
    return history, series


def trend_of(values: Sequence[float], opts: Options = MANUAL, **kwargs: object) -> Trend | None:
    """The detector's verdict at the last level of ``values``."""
    history, series = history_of(values, **kwargs)  # type: ignore[arg-type]
    return evaluate(series, history, opts)


def noisy(values: Sequence[float], spread: float, seed: int = 1) -> list[float]:
    """``values`` plus deterministic non-negative noise (garbage alive at sample time)."""
    r = random.Random(seed)
    return [v + r.uniform(0, spread) for v in values]


def first_confirmation(values: Sequence[float], opts: Options = MANUAL) -> int | None:
    """The first sample index at which a guard sampling each level confirms a climb."""
    for end in range(1, len(values) + 1):
        trend = trend_of(values[:end], opts)
        if trend is not None and trend.streak >= opts.confirm:
            return end - 1
    return None


LoadModule = Callable[[str], types.ModuleType]
"""The ``load_module`` fixture: write source to a fresh module on disk and import it."""


def suspect(kind: str, name: str, count: float = 0.0, unit: str = "objects") -> Suspect:
    """A confirmed suspect as the detector would hand it over."""
    return Suspect(kind=kind, name=name, count=count, growth=count, rate_per_work=None,
                   rate_per_minute=None, confidence=0.99, first_seen=5, unit=unit)  # type: ignore[arg-type]  # fmt: skip
