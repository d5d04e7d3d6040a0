"""The shape tests as tables: random walks, fills, load-proportional state and leaks."""

from __future__ import annotations

import itertools
import random

from leakguard._detect.shape import (
    drift_critical,
    follows_load,
    is_decelerating,
    is_random_walk,
    long_run_variance,
)


def _walk(seed: int, n: int = 30) -> list[float]:
    r = random.Random(seed)
    x, out = 1000.0, []
    for _ in range(n):
        x += r.gauss(0, 20)
        out.append(x)
    return out


def test_driftless_walks_are_random_walks() -> None:
    """At most a few of 200 Gaussian random walks are taken for a drift (designed 0.2%)."""
    passed = sum(not is_random_walk(_walk(seed)) for seed in range(200))
    assert passed <= 4


def test_a_leak_under_noise_is_not_a_random_walk() -> None:
    """A climb of 20 per sample under noise of sd 30 over 30 samples has a drift."""
    r = random.Random(5)
    assert not is_random_walk([1000 + 20 * i + r.gauss(0, 30) for i in range(30)])


def test_a_leak_whose_additions_vary_has_a_drift() -> None:
    """A walk with drift (random additions of mean 15, sd 4) is not a driftless walk."""
    r = random.Random(6)
    x, levels = 0.0, []
    for _ in range(20):
        x += r.gauss(15, 4)
        levels.append(x)
    assert not is_random_walk(levels)


def test_critical_values_shrink_with_length() -> None:
    """Short windows need a larger drift statistic than long ones."""
    assert drift_critical(7) > drift_critical(30) > drift_critical(120) > 3.0


def test_long_run_variance_of_telescoping_increments_is_small() -> None:
    """Increments of independent level noise have a long-run variance well below their variance."""
    r = random.Random(2)
    levels = [r.gauss(0, 1) for _ in range(200)]
    d = [b - a for a, b in itertools.pairwise(levels)]
    assert long_run_variance(d) < 0.4 * long_run_variance(d, lags=0)


def test_a_random_access_fill_decelerates() -> None:
    """A cache covering 1,000 keys at 100 accesses per sample slows down sample by sample."""
    r = random.Random(3)
    seen: set[int] = set()
    levels = []
    for _ in range(15):
        seen.update(r.randrange(1000) for _ in range(100))
        levels.append(float(len(seen)))
    assert is_decelerating(levels)


def test_a_steady_leak_does_not_decelerate() -> None:
    """A leak of 20 per sample with independent additions is not a fill."""
    r = random.Random(4)
    x, levels = 0.0, []
    for _ in range(15):
        x += r.gauss(20, 3)
        levels.append(x)
    assert not is_decelerating(levels)


def test_deceleration_is_per_unit_of_work() -> None:
    """A leak per request is stationary per request even while requests per sample fall."""
    work, levels, done = [], [], 0.0
    for i in range(15):
        done += 100 - 5 * i
        work.append(done)
        levels.append(0.5 * done)
    assert is_decelerating(levels)
    assert not is_decelerating(levels, work)


def _ramp(leak_per_request: float) -> tuple[list[float], list[float], list[float]]:
    r = random.Random(8)
    levels, work, time, done = [], [], [], 0.0
    for i in range(30):
        rate = 20 * (1 + 9 * i / 29) * r.uniform(0.8, 1.2)
        done += rate
        levels.append(1000 + leak_per_request * done + 2 * rate + r.gauss(0, 15))
        work.append(done)
        time.append(60.0 * i)
    return levels, work, time


def test_state_in_flight_follows_the_load() -> None:
    """Requests in flight during a 10x ramp follow the work rate, not the work done."""
    levels, work, time = _ramp(0.0)
    assert follows_load(levels, work, time)


def test_a_leak_per_request_during_a_ramp_does_not_follow_the_load() -> None:
    """0.5 objects kept per request during the same ramp is growth with the work done."""
    levels, work, time = _ramp(0.5)
    assert not follows_load(levels, work, time)


def test_a_steady_rate_explains_nothing() -> None:
    """With the same work every interval, the load test makes no claim."""
    levels = [1000 + 20.0 * i for i in range(20)]
    work = [100.0 * i for i in range(20)]
    assert not follows_load(levels, work, [float(i) for i in range(20)])


def test_an_exactly_linear_leak_does_not_decelerate() -> None:
    """Equal increments (an exact fit with no slope) are not a fall."""
    assert not is_decelerating([1000 + 20.0 * i for i in range(12)])
