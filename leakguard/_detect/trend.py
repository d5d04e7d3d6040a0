"""The detector: a pure function of the history that tells climbing from tidal.

A series *climbs* at a sample when, over the recent window after warm-up:

1. the Mann-Kendall test rejects "no upward trend" at level ``alpha``;
2. the Theil-Sen slope is positive;
3. the low tide (minimum) of each third of the window rose by at least the
   minimum growth for the signal, a quarter of it or more in each third;
4. no single step made more than half of that rise (a one-time step is not a leak);
5. the floor never fell back by more than half of that rise (a random walk's does);
6. the second half of the window still climbs at half the overall slope or more
   (a cache that filled and levelled off does not);
7. when more than 15% of its steps fall, the detrended level does not wander
   like a random walk's (variance ratio).

A climb becomes a suspect once it held for ``confirm`` consecutive samples.
No clock, no threads, no I/O: tests drive it with tables of series.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from leakguard._detect.history import NATIVE_HEAP, History, Mark, Series
from leakguard._detect.noise import NATIVE_MIN_GROWTH, noise_floor
from leakguard._detect.shape import follows_load, is_decelerating, is_random_walk
from leakguard._detect.stats import (
    correlation,
    largest_rise_share,
    mann_kendall,
    max_drawdown,
    theil_sen,
    thirds_minima,
    variance_ratio,
)
from leakguard._model.options import Options
from leakguard._model.owner import Owner, name_owner

RESOURCE_MIN_GROWTH = 4
"""fds, threads and tasks: the smallest growth worth reporting."""

BLOCKS_MIN_GROWTH = 5000
"""Allocated blocks: the smallest growth worth reporting. Blocks move with every str,
int and frame, and interpreter caches (abc, method and type caches, interned names)
add a few thousand in a healthy process's first minutes; 5,000 small blocks are
about 0.3-1 MiB of objects that no type count sees."""

MAX_STEP_SHARE = 0.5
"""A climb whose largest single low-tide step is more than this share of the rise is a step."""

MAX_DRAWDOWN_SHARE = 0.5
"""A climb whose floor fell back by more than this share of the rise is a random walk."""

MAX_VARIANCE_RATIO = 1.2
"""A noisy climb whose detrended level wanders more than this, relative to its noise,
is a random walk."""

MIN_NOISY_SAMPLES = 16
"""A climb that ever falls back needs this many samples: a short rising stretch of a
random walk looks like a leak, and only a longer window tells them apart."""

NOISY_SHARE = 0.15
"""A climb with more than this share of falling steps must pass the variance-ratio test."""

MIN_THIRD_SHARE = 0.25
"""Each third's low tide must add at least this share of the rise: a levelled-off fill adds none."""

MIN_RECENT_SLOPE = 0.5
"""The second half of the window must climb at least this share of the whole window's slope."""

# Ranking: most specific first among equally certain suspects, since a leak of
# user objects also grows their dicts, the list holding them and the RSS:
# application types, then containers and resources, then interpreter and stdlib
# types (a leaked task also leaks its Context, a thread its locks), then memory.
_SPECIFICITY = {
    "type": 0,
    "container": 1,
    "threads": 1,
    "tasks": 1,
    "fds": 1,
    "site": 1,
    "gc": 2,
    "memory": 3,
}


@dataclass(frozen=True, slots=True)
class Trend:
    """A series that climbs at the latest sample, with what a report needs.

    Attributes:
        kind, name, unit: the series.
        count: its level now.
        growth: the level now minus the baseline (the low tide of the first samples after warm-up).
        slope: Theil-Sen growth per sample over the window.
        p: the trend test's one-sided p-value.
        streak: consecutive samples, ending now, at which it climbed (at most ``confirm``).
        verified: the latest level was read right after a full collection.
        rate_per_work: growth per unit of ``tick()`` work (None when no work was counted).
        rate_per_minute: growth per minute of wall time (None when no time passed).
        series: the post-warm-up levels, oldest first.
        nbytes: approximate shallow bytes of the growth (types only).
        attributed_to: ``(function, growth per call)`` for watched functions that explain it.
    """

    kind: str
    name: str
    unit: str
    count: float
    growth: float
    slope: float
    p: float
    streak: int
    verified: bool
    rate_per_work: float | None
    rate_per_minute: float | None
    series: tuple[float, ...]
    nbytes: float | None
    attributed_to: tuple[tuple[str, float], ...]

    @property
    def key(self) -> tuple[str, str]:
        """``(kind, name)``."""
        return (self.kind, self.name)

    @property
    def confidence(self) -> float:
        """1 - p, tempered until the climb is confirmed."""
        return (1.0 - self.p) * (1.0 if self.streak > 1 else 0.9)


def min_growth(series: Series, opts: Options) -> float:
    """The smallest low-tide rise worth reporting for this series."""
    if series.name == NATIVE_HEAP:
        return noise_floor(series.values, NATIVE_MIN_GROWTH)
    if series.unit == "bytes":
        return float(opts.min_growth_bytes)
    if series.unit == "blocks":
        return float(BLOCKS_MIN_GROWTH)
    if series.kind in ("fds", "threads", "tasks"):
        return float(RESOURCE_MIN_GROWTH)
    if series.kind == "gc":
        return 1.0
    return float(opts.min_growth)


def climbs(
    window: Sequence[float],
    floor: float,
    alpha: float,
    work: Sequence[float] | None = None,
    time: Sequence[float] | None = None,
) -> float | None:
    """Test one window; return the p-value when it climbs, else None.

    Args:
        window: levels, oldest first, already past warm-up.
        floor: the smallest low-tide rise that counts.
        alpha: the trend test's level.
        work: the work counter at each level (None when no work is counted).
        time: the clock at each level (None when unknown).
    """
    n = len(window)
    if n < 4 or window[-1] - min(window) < floor:
        return None  # cheap pre-filter: most series never get past here
    first, middle, last = thirds_minima(window)
    rise = last - first
    if rise < floor or min(middle - first, last - middle) < MIN_THIRD_SHARE * rise:
        return None
    if (
        largest_rise_share(window) > MAX_STEP_SHARE
        or max_drawdown(window) > MAX_DRAWDOWN_SHARE * rise
    ):
        return None
    _, p = mann_kendall(window)
    slope = theil_sen(window)
    if p >= alpha or slope <= 0:
        return None
    if theil_sen(window[n // 2 :]) < MIN_RECENT_SLOPE * slope:
        return None
    falls = sum(b < a for a, b in itertools.pairwise(window))
    if falls and n < MIN_NOISY_SAMPLES:
        return None
    if falls > NOISY_SHARE * (n - 1) and variance_ratio(window, slope) > MAX_VARIANCE_RATIO:
        return None
    if not is_leak_shape(window, work, time):
        return None
    return p


def is_leak_shape(
    window: Sequence[float], work: Sequence[float] | None, time: Sequence[float] | None
) -> bool:
    """The window's shape tests: drift (not a random walk) and not load-proportional."""
    if is_random_walk(window):
        return False
    counted = work is not None and work[-1] > work[0]
    timed = time is not None and time[-1] > time[0]
    return not (counted and timed and follows_load(window, work or (), time or ()))


def _filling(values: Sequence[float], work: Sequence[float], time: Sequence[float]) -> bool:
    """Whether the recent history (up to ``window`` levels) decelerates like a filling cache:
    growth per unit of work (of time when no work is counted) falls interval by interval."""
    counted = work[-1] > work[0]
    timed = time[-1] > time[0]
    return is_decelerating(values, work if counted else time if timed else None)


def window_sizes(opts: Options) -> list[int]:
    """The window lengths tried, shortest first: a leak that starts late in a
    long flat history is seen by the short ones, a slow one by the long ones."""
    sizes = {opts.window}
    size = opts.min_samples
    while size < opts.window:
        sizes.add(size)
        size *= 2
    return sorted(sizes)


def _best_window(
    values: Sequence[float],
    floor: float,
    opts: Options,
    work: Sequence[float] | None = None,
    time: Sequence[float] | None = None,
) -> float | None:
    """The smallest p-value among the window lengths that climb, or None."""
    best = None
    for size in window_sizes(opts):
        if size > len(values) and best is not None:
            break
        cut = max(0, len(values) - size)
        window = values[cut:]
        if len(window) < opts.min_samples:
            return None
        p = climbs(
            window,
            floor,
            opts.alpha,
            None if work is None else work[cut : len(values)],
            None if time is None else time[cut : len(values)],
        )
        before = values[: len(values) - len(window)]
        if p is not None and before and min(window[-len(window) // 3 :]) <= max(before):
            # A short window sees any rising tide; a climb must also leave the
            # whole earlier history below its floor (waves and teeth do not).
            p = None
        if p is not None and (best is None or p < best):
            best = p
        if size >= len(values):
            break
    return best


def _post_warmup(series: Series, history: History, opts: Options) -> int:
    """Offset of the first level of ``series`` that is past warm-up."""
    return bisect.bisect_left(series.indexes, history.start + opts.warmup)


def evaluate(series: Series, history: History, opts: Options) -> Trend | None:
    """Return the series' trend at the latest sample, or None when it does not climb."""
    if not series.indexes or not history.marks or series.indexes[-1] != history.marks[-1].index:
        return None
    floor = min_growth(series, opts)
    recent = series.values[-opts.window :]
    if recent[-1] - min(recent) < floor:
        return None  # the cheap test that nearly every series stops at
    values = series.values[_post_warmup(series, history, opts) :]
    if len(values) < opts.min_samples:
        return None
    marks = _marks_at(history, series.indexes[len(series.indexes) - len(values) :])
    work = [float(m.work) for m in marks]
    # Manual mode counts in samples, never in seconds (a test's loop is not paced).
    time = [float(m.index) if opts.interval is None else m.time for m in marks]
    streak, p_now = 0, 1.0
    for back in range(opts.confirm):
        end = len(values) - back
        start = max(0, end - opts.window)
        if _filling(values[start:end], work[start:end], time[start:end]):
            break
        p = _best_window(values[:end], floor, opts, work[:end], time[:end])
        if p is None:
            break
        if back == 0:
            p_now = p
        streak += 1
    if streak == 0:
        return None
    return _trend(series, history, opts, values, p_now, streak)


def _trend(
    series: Series,
    history: History,
    opts: Options,
    values: Sequence[float],
    p: float,
    streak: int,
) -> Trend:
    window = list(values[-opts.window :])
    indexes = list(series.indexes[-len(window) :])
    marks = _marks_at(history, indexes)
    growth = values[-1] - min(values[:3])  # the level now above the low tide after warm-up
    per_object = history.type_bytes.get(series.name) if series.kind == "type" else None
    works = [float(m.work) for m in marks]
    times = [m.time for m in marks]
    return Trend(
        kind=series.kind,
        name=series.name,
        unit=series.unit,
        count=values[-1],
        growth=growth,
        slope=theil_sen(window),
        p=p,
        streak=streak,
        verified=history.marks[-1].verified,
        rate_per_work=theil_sen(window, works) if works[-1] > works[0] else None,
        rate_per_minute=theil_sen(window, times) * 60.0 if times[-1] > times[0] else None,
        series=tuple(values),
        nbytes=growth * per_object if per_object else None,
        attributed_to=attribute(window, marks),
    )


def _marks_at(history: History, indexes: Sequence[int]) -> list[Mark]:
    by_index = {m.index: m for m in history.marks}
    last = history.marks[-1]
    return [by_index.get(i, last) for i in indexes]


def attribute(window: Sequence[float], marks: Sequence[Mark]) -> tuple[tuple[str, float], ...]:
    """Watched functions whose calls explain the growth, with growth per call.

    A function explains it when it was called during the window and its calls
    per sample move with the growth per sample (correlation >= 0.6), or when
    both are steady.
    """
    if len(marks) < 3:
        return ()
    found = []
    first, last = dict(marks[0].watched), dict(marks[-1].watched)
    growth = [b - a for a, b in itertools.pairwise(window)]
    for fn, calls_now in last.items():
        calls = [float(dict(m.watched).get(fn, 0)) for m in marks]
        if calls_now - first.get(fn, 0) <= 0:
            continue
        made = [b - a for a, b in itertools.pairwise(calls)]
        steady = max(made) == min(made) and max(growth) - min(growth) <= 0.25 * max(growth)
        if steady or correlation(growth, made) >= 0.6:
            found.append((fn, theil_sen(window, calls)))
    found.sort(key=lambda item: -abs(item[1]))
    return tuple(found[:3])


def detect(history: History, opts: Options) -> list[Trend]:
    """Every series that climbs at the latest sample, most certain and specific first."""
    trends = [t for s in list(history) if (t := evaluate(s, history, opts)) is not None]
    return rank(trends)


class Rankable(Protocol):
    """What ranking reads: a Trend or a Suspect."""

    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def growth(self) -> float: ...
    @property
    def nbytes(self) -> float | None: ...
    @property
    def confidence(self) -> float: ...


def rank_key(x: Rankable) -> tuple[int, int, float]:
    """Certainty tier, then specificity, then the growth's size (bytes when known)."""
    tier = 0 if x.confidence >= 0.99 else 1 if x.confidence >= 0.95 else 2
    size = x.nbytes if x.nbytes is not None else x.growth
    return (tier, specificity(x.kind, x.name), -size)


def rank(trends: Sequence[Trend]) -> list[Trend]:
    """Order by certainty tier, then specificity, then the growth's size."""
    return sorted(trends, key=rank_key)


def specificity(kind: str, name: str) -> int:
    """0 for application types, 1 for containers and resources, 2 for stdlib types, 3 memory."""
    if kind == "type" and is_stdlib_type(name):
        return 2  # builtins and stdlib parts (dicts, cells, locks, contexts) grow with their owner
    return _SPECIFICITY.get(kind, 3)


def is_stdlib_type(name: str) -> bool:
    """Whether a ``module.QualName`` type comes from the interpreter or its standard library."""
    return name_owner(name) in _STDLIB


_STDLIB = frozenset({Owner.STDLIB, Owner.MACHINERY})  # importlib's types are stdlib's too
