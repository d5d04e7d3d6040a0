"""Monte-Carlo check of the trend detector on synthetic series.

Prints, per series shape, how often the detector (default options) confirms a
climb within a run of N samples: the false-alarm rate for healthy shapes, the
detection rate and median samples to detection for leaking ones.

    python benchmarks/detector_sim.py [--runs 300] [--samples 60]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from collections.abc import Callable

from leakguard._config import Options
from leakguard._detect.history import History, Mark, Series
from leakguard._detect.trend import evaluate

Shape = Callable[[random.Random, int], "list[float] | tuple[list[float], list[float]]"]
"""A shape makes levels, or levels and the work counter at each level (default: 1 per sample)."""


def noise(r: random.Random, n: int) -> list[float]:
    return [1000 + r.gauss(0, 30) for _ in range(n)]


def garbage(r: random.Random, n: int) -> list[float]:
    return [1000 + r.expovariate(1 / 200) for _ in range(n)]


def random_walk(r: random.Random, n: int) -> list[float]:
    x, out = 1000.0, []
    for _ in range(n):
        x = max(0.0, x + r.choice((-1, 1)) * r.randint(0, 40))
        out.append(x)
    return out


def step(r: random.Random, n: int) -> list[float]:
    at = r.randint(5, n - 5)
    return [1000 + (500 if i >= at else 0) + r.gauss(0, 10) for i in range(n)]


def sawtooth(r: random.Random, n: int) -> list[float]:
    period = r.randint(4, 9)
    return [1000 + 40 * (i % period) + r.gauss(0, 5) for i in range(n)]


def waves(r: random.Random, n: int) -> list[float]:
    period = r.randint(10, 30)
    return [1000 + 300 * math.sin(2 * math.pi * i / period) + r.gauss(0, 20) for i in range(n)]


def warmup(r: random.Random, n: int) -> list[float]:
    full = r.randint(3, 6)
    return [1000 + 100 * min(i, full) + r.gauss(0, 5) for i in range(n)]


def reflected_walk(r: random.Random, n: int) -> list[float]:
    x, out = 0.0, []
    for _ in range(n):
        x = abs(x + r.randint(-30, 30))
        out.append(x)
    return out


def wavy_leak(r: random.Random, n: int) -> list[float]:
    x, out = 1000.0, []
    for i in range(n):
        x += 20 * (1 + math.sin(i / 3))
        out.append(x + abs(r.gauss(0, 20)))
    return out


def cache_fill(r: random.Random, n: int) -> list[float]:
    """Random access to a fixed key space, 95% covered after 20-50 samples, under noise."""
    keys = r.randint(300, 3000)
    full = r.randint(20, 50)
    per_sample = int(keys * 3.0 / full)  # 1 - exp(-3) = 95% covered at ``full``
    seen: set[int] = set()
    out = []
    for _ in range(n):
        seen.update(r.randrange(keys) for _ in range(per_sample))
        out.append(1000 + len(seen) + abs(r.gauss(0, 10)))
    return out


def ramp_load(r: random.Random, n: int) -> tuple[list[float], list[float]]:
    """Requests in flight follow a traffic ramp (10x over the run): level ~ rate, not work done."""
    levels, works, done = [], [], 0.0
    for i in range(n):
        rate = 20 * (1 + 9 * i / (n - 1)) * r.uniform(0.8, 1.2)
        done += rate
        levels.append(1000 + 2 * rate + r.gauss(0, 15))
        works.append(done)
    return levels, works


def long_sawtooth(r: random.Random, n: int) -> list[float]:
    """A buffer flushed every 10-30 samples, the first flush out of phase with the start."""
    period = r.randint(10, 30)
    phase = r.randrange(period)
    return [1000 + 25 * ((i + phase) % period) + r.gauss(0, 5) for i in range(n)]


def ramp_leak(r: random.Random, n: int) -> tuple[list[float], list[float]]:
    """A leak of 0.5 objects per request while traffic ramps up 10x."""
    levels, works, done = [], [], 0.0
    for i in range(n):
        rate = 20 * (1 + 9 * i / (n - 1)) * r.uniform(0.8, 1.2)
        done += rate
        levels.append(1000 + 0.5 * done + 2 * rate + r.gauss(0, 15))
        works.append(done)
    return levels, works


def poisson_leak(r: random.Random, n: int) -> list[float]:
    """A leak whose additions per sample vary at random (mean 15), under garbage of sd 20."""
    x, out = 1000.0, []
    for _ in range(n):
        x += sum(r.random() < 0.3 for _ in range(50))
        out.append(x + abs(r.gauss(0, 20)))
    return out


def late_leak(r: random.Random, n: int) -> list[float]:
    """Flat for 20 samples, then 20 objects per sample."""
    return [1000 + 20 * max(0, i - 20) + abs(r.gauss(0, 10)) for i in range(n)]


def fill_then_leak(r: random.Random, n: int) -> list[float]:
    """A cache that fills over 10 samples, with a leak of 15/sample under it."""
    return [1000 + 800 * (1 - math.exp(-i / 4)) + 15 * i + abs(r.gauss(0, 10)) for i in range(n)]


def leak(rate: float, sd: float) -> Shape:
    def make(r: random.Random, n: int) -> list[float]:
        return [1000 + rate * i + abs(r.gauss(0, sd)) for i in range(n)]

    return make


SHAPES: dict[str, tuple[bool, Shape]] = {
    "noise": (False, noise),
    "garbage": (False, garbage),
    "random walk": (False, random_walk),
    "step": (False, step),
    "sawtooth <= 9": (False, sawtooth),
    "waves 10-30": (False, waves),
    "warm-up 3-6": (False, warmup),
    "reflected walk from 0": (False, reflected_walk),
    "cache fill 20-50": (False, cache_fill),
    "load ramp 10x": (False, ramp_load),
    "sawtooth 10-30": (False, long_sawtooth),
    "leak, rate in waves": (True, wavy_leak),
    "leak 20/s, noise 10": (True, leak(20, 10)),
    "leak 20/s, noise 100": (True, leak(20, 100)),
    "leak 10/s, garbage 200": (True, leak(10, 200)),
    "leak 5/s, noise 20": (True, leak(5, 20)),
    "leak per request, ramp": (True, ramp_leak),
    "leak, random additions": (True, poisson_leak),
    "leak from sample 20": (True, late_leak),
    "leak under a cache fill": (True, fill_then_leak),
}


def first_detection(
    made: list[float] | tuple[list[float], list[float]], opts: Options
) -> int | None:
    """Sample index at which the detector confirms a climb, or None."""
    values, works = (
        made if isinstance(made, tuple) else (made, [float(i) for i in range(len(made))])
    )
    history = History(opts.history)
    series = Series("type", "x.T", "objects")
    for i, v in enumerate(values):
        history.marks.append(Mark(i, float(i), int(works[i]), 0, False, ()))
        series.append(i, v, history.size)
        t = evaluate(series, history, opts)
        if t is not None and t.streak >= opts.confirm:
            return i
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--samples", type=int, default=60)
    args = ap.parse_args()
    opts = Options(interval=None)
    print(f"{'shape':26} {'leak':>5} {'flagged':>8} {'median at':>9}")
    for name, (is_leak, shape) in SHAPES.items():
        r = random.Random(name)
        hits = [first_detection(shape(r, args.samples), opts) for _ in range(args.runs)]
        found = [h for h in hits if h is not None]
        med = statistics.median(found) + 1 if found else float("nan")
        print(f"{name:26} {is_leak!s:>5} {len(found) / args.runs:8.1%} {med:9.1f}")


if __name__ == "__main__":
    main()
