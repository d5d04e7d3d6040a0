"""Small, dependency-free robust statistics for short series."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence


def mann_kendall(x: Sequence[float]) -> tuple[int, float]:
    """Mann-Kendall trend test, one-sided for an increasing trend.

    Args:
        x: the series, oldest first.

    Returns:
        ``(S, p)``: the statistic (concordant minus discordant pairs) and the
        one-sided p-value of "no trend" against "increasing", from the normal
        approximation with the tie correction and a continuity correction.
    """
    n = len(x)
    s = 0
    for i in range(n - 1):
        xi = x[i]
        for xj in x[i + 1 :]:
            s += (xj > xi) - (xj < xi)
    ties: dict[float, int] = {}
    for v in x:
        ties[v] = ties.get(v, 0) + 1
    tied = sum(t * (t - 1) * (2 * t + 5) for t in ties.values() if t > 1)
    var = (n * (n - 1) * (2 * n + 5) - tied) / 18.0
    if s <= 0 or var <= 0:
        return s, 1.0
    z = (s - 1) / math.sqrt(var)
    return s, normal_sf(z)


def normal_sf(z: float) -> float:
    """Upper tail of the standard normal distribution."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def theil_sen(y: Sequence[float], x: Sequence[float] | None = None) -> float:
    """Median of pairwise slopes of ``y`` against ``x`` (default: 0, 1, 2, ...).

    Pairs with equal ``x`` are skipped; returns 0.0 when no pair remains.
    """
    xs = range(len(y)) if x is None else x
    slopes = []
    for i in range(len(y) - 1):
        for j in range(i + 1, len(y)):
            dx = xs[j] - xs[i]
            if dx:
                slopes.append((y[j] - y[i]) / dx)
    return median(slopes) if slopes else 0.0


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2.0


def thirds_minima(x: Sequence[float]) -> tuple[float, float, float]:
    """Low tide of each third of the series: the minimum of each consecutive third."""
    n = len(x)
    a, b = n // 3, n - n // 3
    return min(x[:a]), min(x[a:b]), min(x[b:])


def largest_rise_share(x: Sequence[float]) -> float:
    """Share of the low-tide rise that happened in its single largest step.

    The low tide at ``i`` is ``min(x[i:])``: what the series never again goes
    below. A leak raises it in many small steps; a one-time step change in one.
    Returns 1.0 when the low tide did not rise.
    """
    floor = math.inf
    tide = []
    for v in reversed(x):
        floor = min(floor, v)
        tide.append(floor)
    tide.reverse()
    rise = tide[-1] - tide[0]
    if rise <= 0:
        return 1.0
    biggest = max(b - a for a, b in itertools.pairwise(tide))
    return biggest / rise


def correlation(a: Sequence[float], b: Sequence[float]) -> float:
    """Pearson correlation; 0.0 when either side is constant."""
    n = len(a)
    if n < 2:
        return 0.0
    ma, mb = sum(a) / n, sum(b) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    va = sum((x - ma) ** 2 for x in a)
    vb = sum((y - mb) ** 2 for y in b)
    if va <= 0 or vb <= 0:
        return 0.0
    return cov / math.sqrt(va * vb)


def max_drawdown(x: Sequence[float]) -> float:
    """Largest fall of the two-sample low tide below its running peak.

    Taking the minimum of each pair of neighbours first ignores one-sample
    spikes (garbage not yet freed); what remains is how far the floor fell
    back, which a leak's floor never does and a random walk's often does.
    """
    peak, worst = -math.inf, 0.0
    for a, b in itertools.pairwise(x):
        tide = min(a, b)
        peak = max(peak, tide)
        worst = max(worst, peak - tide)
    return worst


def variance_ratio(x: Sequence[float], slope: float) -> float:
    """How much the detrended series wanders, relative to its step-to-step noise.

    About 1 for a trend plus independent noise (a leak under tidal garbage);
    grows with the window for a random walk, whose deviations persist.
    Returns 0.0 for a series without noise.
    """
    res = [v - slope * i for i, v in enumerate(x)]
    steps = [b - a for a, b in itertools.pairwise(res)]
    noise = _variance(steps) / 2.0
    spread = _variance(res)
    if noise <= 0:
        return 0.0 if spread <= 0 else math.inf
    return spread / noise


def _variance(x: Sequence[float]) -> float:
    n = len(x)
    if n < 2:
        return 0.0
    mean = sum(x) / n
    return sum((v - mean) ** 2 for v in x) / (n - 1)
