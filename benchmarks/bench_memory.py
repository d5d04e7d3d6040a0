"""The guard's own memory: bounded after many samples of a heap with many types.

Builds a heap with 2,000 distinct classes (several live instances each), takes
N manual samples with default options, and prints the guard's deep size
(pympler asizeof of the Guard) and the process RSS growth over the run.
Target: under 10 MB after 10,000 samples.

    python benchmarks/bench_memory.py [--samples 10000] [--types 2000]
"""

from __future__ import annotations

import argparse
import os
import time

from pympler import asizeof

import leakguard


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def build_heap(types: int) -> list[object]:
    """2,000 classes with a few live instances each, in a few dozen modules' worth of names."""
    keep: list[object] = []
    for i in range(types):
        cls = type(f"Kind{i}", (), {"__module__": f"app.mod{i % 40}"})
        keep.extend(cls() for _ in range(3))
        keep.append(cls)
    return keep


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--types", type=int, default=2_000)
    args = ap.parse_args()
    heap = build_heap(args.types)
    guard = leakguard.Guard(interval=None)
    guard.sample()
    rss0 = _rss()
    size0 = asizeof.asizeof(guard)
    started = time.perf_counter()
    for _ in range(args.samples - 1):
        guard.sample()
    elapsed = time.perf_counter() - started
    size = asizeof.asizeof(guard)
    rss = _rss() - rss0
    guard.stop()
    print(
        f"heap: {len(heap):,} objects, {args.types:,} types; {args.samples:,} samples "
        f"in {elapsed:.1f} s ({elapsed / args.samples * 1e3:.2f} ms each)"
    )
    print(f"guard deep size after 1 sample:  {size0 / 2**20:6.2f} MiB")
    print(
        f"guard deep size after {args.samples:,}: {size / 2**20:6.2f} MiB "
        f"(target < 10 MiB: {'met' if size < 10 * 2**20 else 'NOT met'})"
    )
    print(f"process RSS growth over the run:  {rss / 2**20:6.2f} MiB")
    print(f"series kept: {len(guard._pipe.history):,}; suspects: {len(guard.suspects())}")


if __name__ == "__main__":
    main()
