"""Shape tests that tell a leak from healthy growth that merely looks like a climb.

A leak's growth per unit of work is *stationary*: the same work costs the same
memory every time. Three healthy shapes climb for a while without being that:

- a **random walk** (sessions logging in and out) has no drift at all: its
  increments have mean zero, and a rising stretch is chance;
- a **filling cache** (random access to a fixed key space) *decelerates*: new
  keys become rarer as the space is covered, so its growth per unit of work
  falls from interval to interval;
- **load-proportional state** (requests in flight) follows the work *rate* of
  the interval, not the work done so far.

Each test below is a veto on a window that already climbed, and each is a
significance test whose error rate is designed (see ``benchmarks/shape_critical.py``
for the simulation that fits the random-walk critical values). Pure functions
of sequences of numbers: no clock, no I/O.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

DRIFT_LAGS = 3
"""Bartlett lags of the long-run variance in the drift test."""

DRIFT_ALPHA = 0.001
"""Designed level of each random-walk test: a driftless random walk (Gaussian steps)
passes it in at most 0.1% of windows of any length. Windows overlap and a run tests
hundreds of them, so a run's false-alarm rate is several times this."""

DECELERATION_BETA = 0.05
"""Designed level of the deceleration test: a stationary leak (independent growth per
interval) is taken for a filling cache in at most 5% of windows. A wrong veto only
delays a leak by a sample; a missed deceleration is a false alarm, so the test leans
toward vetoing."""

MIN_SLOWDOWN = 0.1
"""A fall of the fitted growth per unit of less than this share of its mean over the
window is no deceleration, however significant: a steady C leak whose first interval
was 10% bigger (a buffer's first page) is no filling cache."""

LOAD_ALPHA = 0.005
"""Designed level of the load test: state that follows the work rate passes it (is
kept as a leak) in at most 0.5% of windows under Gaussian noise."""

# Critical values of the drift statistic at DRIFT_ALPHA for a Gaussian random walk,
# by number of levels, fitted by benchmarks/shape_critical.py (20k walks per length,
# 7 to 120 levels): c(n) = _C_INF + _C_SMALL / n ** 1.5.
_C_INF = 3.3
_C_SMALL = 142.0
# The same for the Dickey-Fuller statistic: d(n) = -(_DF_INF + _DF_SMALL / (n - 5) ** 1.33).
_DF_INF = 4.75
_DF_SMALL = 29.5


def increments(x: Sequence[float]) -> list[float]:
    """Step-to-step changes."""
    return [b - a for a, b in itertools.pairwise(x)]


def long_run_variance(d: Sequence[float], lags: int = DRIFT_LAGS) -> float:
    """Newey-West (Bartlett) long-run variance of a sequence's mean.

    For a random walk's increments (independent) it is their variance; for the
    increments of a trend plus independent level noise (which telescope) it
    shrinks toward zero as the lags grow, which is what tells the two apart.
    """
    n = len(d)
    if n < 2:
        return 0.0
    mean = sum(d) / n
    c = [v - mean for v in d]
    total = sum(v * v for v in c) / n
    for lag in range(1, min(lags, n - 1) + 1):
        gamma = sum(c[i] * c[i - lag] for i in range(lag, n)) / n
        total += 2.0 * (1.0 - lag / (lags + 1.0)) * gamma
    return max(total, 0.0)


def drift_z(x: Sequence[float]) -> float:
    """Drift of the levels in units of its standard error under "random walk".

    ``(last - first) / sqrt((n - 1) * long-run variance of the increments)``;
    infinite for a noiseless climb.
    """
    d = increments(x)
    rise = x[-1] - x[0]
    lrv = long_run_variance(d)
    if lrv <= 0:
        return math.inf if rise > 0 else 0.0
    return rise / math.sqrt(len(d) * lrv)


def drift_critical(n: int) -> float:
    """Critical value of :func:`drift_z` at ``DRIFT_ALPHA`` for ``n`` levels."""
    return _C_INF + _C_SMALL / math.pow(max(n, 4), 1.5)


def df_tau(x: Sequence[float]) -> float:
    """Dickey-Fuller statistic with a trend: the t of ``rho`` in
    ``diff(x) = a + b * t + rho * x[t-1]``. Strongly negative when the levels
    revert to a trend line (a leak under independent noise); near zero or above
    for a random walk, whose level never reverts."""
    n = len(x) - 1
    if n < 5:
        return 0.0
    t = _t_of_last(increments(x), [[float(i) for i in range(n)], list(x[:-1])])
    return 0.0 if t is None else t


def df_critical(n: int) -> float:
    """Critical value of :func:`df_tau` at ``DRIFT_ALPHA`` for ``n`` levels."""
    if n <= 6:
        return -math.inf
    return -(_DF_INF + _DF_SMALL / math.pow(n - 5, 1.33))


def is_random_walk(x: Sequence[float]) -> bool:
    """Whether the rise is within what a driftless random walk does by chance.

    "Driftless random walk" is rejected when either test rejects it at
    ``DRIFT_ALPHA``: the drift test (a walk with drift: a leak whose additions
    vary at random) or the Dickey-Fuller test (a trend plus independent noise:
    a leak under tidal garbage). The union's designed level is ``2 * DRIFT_ALPHA``.
    """
    n = len(x)
    return drift_z(x) < drift_critical(n) and df_tau(x) > df_critical(n)


def per_unit(x: Sequence[float], units: Sequence[float] | None) -> list[float]:
    """Growth per unit (of work, or time) of each interval; intervals with no unit are skipped."""
    d = increments(x)
    if units is None:
        return d
    du = increments(units)
    return [g / u for g, u in zip(d, du) if u > 0]


def is_decelerating(x: Sequence[float], units: Sequence[float] | None = None) -> bool:
    """Whether growth per unit falls from interval to interval (a cache covering its keys).

    The least-squares slope of the growth per unit against the interval's
    position, one-sided t test for a fall at level ``DECELERATION_BETA``. Its
    level holds for a leak whose additions per interval are independent and
    Gaussian; the increments of a level under independent noise are negatively
    correlated, which makes it conservative.
    """
    rates = per_unit(x, units)
    if len(rates) < 5:
        return False
    if _fitted_fall(rates) < MIN_SLOWDOWN * abs(sum(rates) / len(rates)):
        return False
    t = _t_of_last(rates, [[float(i) for i in range(len(rates))]])
    return t is not None and t < -_t_critical(len(rates) - 2, DECELERATION_BETA)


def _fitted_fall(rates: Sequence[float]) -> float:
    """How much the least-squares line through ``rates`` falls from the first to the last."""
    n = len(rates)
    mid = (n - 1) / 2.0
    mean = sum(rates) / n
    spread = sum((i - mid) ** 2 for i in range(n))
    slope = sum((i - mid) * (r - mean) for i, r in enumerate(rates)) / spread
    return -slope * (n - 1)


def follows_load(x: Sequence[float], work: Sequence[float], time: Sequence[float]) -> bool:
    """Whether the level is explained by the work rate, with no growth left for work done.

    Fits ``level = a + b * rate + c * work_done`` over the intervals, where
    ``rate`` is the interval's work per unit of time; the level is
    load-proportional when ``c`` is not significantly positive (one-sided t
    test at ``LOAD_ALPHA``). False when the rate never varies or the fit is
    ill conditioned.
    """
    n = len(x) - 1
    if n < 6 or len(work) != len(x) or len(time) != len(x):
        return False
    dt = increments(time)
    if min(dt) <= 0:
        dt = [1.0] * n
    rate = [w / t for w, t in zip(increments(work), dt)]
    if max(rate) <= min(rate):
        return False  # a constant rate explains nothing
    t = _t_of_last(list(x[1:]), [rate, list(work[1:])])
    return t is not None and t < _t_critical(n - 3, LOAD_ALPHA)


def _t_of_last(y: list[float], regressors: list[list[float]]) -> float | None:
    """t statistic of the last regressor's coefficient in ``y ~ 1 + regressors`` (least squares)."""
    cols = [[1.0] * len(y), *regressors]
    k = len(cols)
    xtx = [[sum(a * b for a, b in zip(ci, cj)) for cj in cols] for ci in cols]
    xty = [sum(a * b for a, b in zip(ci, y)) for ci in cols]
    inv = _inverse(xtx)
    if inv is None:
        return None
    beta = [sum(inv[i][j] * xty[j] for j in range(k)) for i in range(k)]
    fitted = [sum(beta[j] * cols[j][i] for j in range(k)) for i in range(len(y))]
    dof = len(y) - k
    sse = sum((a - b) ** 2 for a, b in zip(y, fitted))
    var = sse / dof * inv[-1][-1] if dof > 0 else 0.0
    if var <= 0:  # an exact fit: the sign of the coefficient is the whole answer
        tiny = 1e-9 * max(1.0, *(abs(v) for v in y))
        return 0.0 if abs(beta[-1]) <= tiny else math.copysign(math.inf, beta[-1])
    return beta[-1] / math.sqrt(var)


def _inverse(m: list[list[float]]) -> list[list[float]] | None:
    """Gauss-Jordan inverse of a small matrix; None when (nearly) singular."""
    k = len(m)
    a = [[*row, *(1.0 if i == j else 0.0 for j in range(k))] for i, row in enumerate(m)]
    scale = max(abs(v) for row in m for v in row) or 1.0
    for col in range(k):
        pivot = max(range(col, k), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) < 1e-10 * scale:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        p = a[col][col]
        a[col] = [v / p for v in a[col]]
        for r in range(k):
            if r != col and a[r][col]:
                f = a[r][col]
                a[r] = [v - f * w for v, w in zip(a[r], a[col])]
    return [row[k:] for row in a]


def _t_critical(dof: int, alpha: float) -> float:
    """One-sided Student t critical value (Cornish-Fisher expansion of the normal quantile)."""
    z = _normal_quantile(1.0 - alpha)
    if dof <= 0:
        return math.inf
    g1 = (z**3 + z) / 4.0
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96.0
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384.0
    return z + g1 / dof + g2 / dof**2 + g3 / dof**3


def _normal_quantile(p: float) -> float:
    """Inverse of the standard normal CDF by bisection (exact enough for critical values)."""
    lo, hi = -10.0, 10.0
    for _ in range(80):
        mid = (lo + hi) / 2.0
        if 0.5 * math.erfc(-mid / math.sqrt(2.0)) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0
