"""What one census costs, as ratios to the floor ``len(gc.get_objects())``.

For each heap (about 1M and 5M gc-tracked objects, a mix of ``__dict__``
classes, ``__slots__`` classes, dicts, lists and tuples; plus a variant
fragmented by churn) this prints the median of several runs of:

* the floor, ``len(gc.get_objects())``, which any gc-based census pays;
* ``take_census()`` with the C engine and with the pure-Python engine;
* ``objgraph.typestats()``;

each as a ratio to the floor measured in the same run, and the longest stall
seen by a thread that sleeps 1 ms in a loop while each runs, as a ratio to the
floor's stall. Runs are interleaved so drift on a shared machine hits all
methods alike. The automatic gc is paused while timing (and restored) so a
collection triggered by a method's own allocations does not land in its time.

Usage::

    python benchmarks/bench_census.py            # 1M and 5M, plus 1M fragmented
    python benchmarks/bench_census.py --quick    # ~200k objects, for CI smoke runs
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable

import objgraph  # type: ignore[import-untyped]  # objgraph ships no type hints

import leakguard
from leakguard._census import census as _census


class Order:
    """A plain ``__dict__`` class, like most application objects."""

    def __init__(self, i: int, lines: list[object]) -> None:
        self.id = i
        self.lines = lines
        self.status = "new"


class Line:
    """A ``__slots__`` class."""

    __slots__ = ("order", "qty", "sku")

    def __init__(self, order: object, sku: str, qty: int) -> None:
        self.order = order
        self.sku = sku
        self.qty = qty


def _unit(i: int) -> list[object]:
    """Objects one "request" leaves behind: 8 gc-tracked objects (9 on 3.10)."""
    lines: list[object] = []
    order = Order(i, lines)
    lines.append(Line(order, "sku", 1))
    meta = {"order": order, "tags": ["a", "b"]}
    return [order, (order, meta), Line(None, "x", i)]


def build_heap(target: int, fragmented: bool) -> list[object]:
    """Allocate until about ``target`` gc-tracked objects are alive.

    A fragmented heap is built twice over and half of it, chosen at random, is
    freed, so the gc's list order no longer follows memory order (as in a
    long-running service).
    """
    keep: list[object] = []
    base = len(gc.get_objects())
    per_unit = 9 if sys.version_info < (3, 11) else 8  # 3.10 gives each Order a dict
    units = max(0, (target - base) // per_unit)
    if fragmented:
        extra = [_unit(i) for i in range(units)]
        keep = [_unit(i) for i in range(units)]
        random.Random(1).shuffle(keep)
        del keep[units // 2 :]
        del extra
        keep += [_unit(i) for i in range(units - len(keep))]
    else:
        keep = [_unit(i) for i in range(units)]
    gc.collect()
    return keep


def _floor() -> object:
    return len(gc.get_objects())


def _census_c() -> object:
    return _census._take(64, 64, native=True)


def _census_py() -> object:
    return _census._take(64, 64, native=False)


def _typestats() -> object:
    return objgraph.typestats()


class Sleeper:
    """A thread that sleeps 1 ms in a loop and records its longest stall."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now

    def __enter__(self) -> Sleeper:
        self._thread.start()
        time.sleep(0.02)
        self.longest = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(methods: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Time each method ``repeats`` times, interleaved; also their stalls."""
    times: dict[str, list[float]] = {name: [] for name in methods}
    stalls: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(repeats):
        for name, fn in methods.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    for _ in range(repeats):
        for name, fn in methods.items():
            with Sleeper() as sleeper:
                fn()
                time.sleep(0.01)
            stalls[name].append(sleeper.longest)
    return {**{f"t:{k}": v for k, v in times.items()}, **{f"s:{k}": v for k, v in stalls.items()}}


def report(label: str, objects: int, results: dict[str, list[float]]) -> None:
    """Print one table and a one-line summary for a heap."""
    floor_t = statistics.median(results["t:floor"])
    floor_s = statistics.median(results["s:floor"])
    print(f"\n== {label}: {objects:,} gc objects ==")
    print(f"{'method':<22}{'median ms':>11}{'x floor':>9}{'stall ms':>10}{'x floor':>9}")
    for name in (k[2:] for k in results if k.startswith("t:")):
        t = statistics.median(results[f"t:{name}"])
        s = statistics.median(results[f"s:{name}"])
        print(f"{name:<22}{t * 1e3:>11.1f}{t / floor_t:>9.2f}{s * 1e3:>10.1f}{s / floor_s:>9.2f}")
    c_t = statistics.median(results["t:census_c"]) / floor_t if "t:census_c" in results else None
    c_s = statistics.median(results["s:census_c"]) / floor_s if "s:census_c" in results else None
    py_t = statistics.median(results["t:census_py"]) / floor_t
    og_t = statistics.median(results["t:objgraph.typestats"]) / floor_t
    c_part = f"C {c_t:.2f}x floor, stall {c_s:.2f}x" if c_t is not None else "C n/a"
    g_t = statistics.median(results["t:Guard.sample"]) / floor_t
    g_s = statistics.median(results["s:Guard.sample"]) / floor_s
    print(
        f"SUMMARY {label} ({objects:,} objects): Guard.sample {g_t:.2f}x floor, stall {g_s:.2f}x; "
        f"census {c_part}; pure {py_t:.2f}x; objgraph {og_t:.2f}x "
        "(targets: Guard.sample <= 1.5x, stall <= 1.15x)"
    )


def run(label: str, target: int, fragmented: bool, repeats: int) -> None:
    """Build one heap, measure every method on it, print, and free it."""
    heap = build_heap(target, fragmented)
    objects = len(gc.get_objects())
    methods: dict[str, Callable[[], object]] = {"floor": _floor}
    if _census.native_available():
        methods["census_c"] = _census_c
    guard = leakguard.Guard(interval=None, evidence=False)
    methods["Guard.sample"] = guard.sample
    methods["census_py"] = _census_py
    methods["objgraph.typestats"] = _typestats
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        results = measure(methods, repeats)
    finally:
        if was_enabled:
            gc.enable()
    report(label, objects, results)
    del heap
    gc.collect()


def main() -> None:
    """Parse arguments and run the heaps asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small heap (~200k objects)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per method (median)")
    parser.add_argument("--no-fragmented", action="store_true", help="skip the churned heap")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}; C engine: {_census.native_available()}")
    if args.quick:
        run("quick", 200_000, False, min(args.repeats, 3))
        return
    run("1M", 1_000_000, False, args.repeats)
    run("5M", 5_000_000, False, args.repeats)
    if not args.no_fragmented:
        run("1M fragmented", 1_000_000, True, args.repeats)


if __name__ == "__main__":
    main()
