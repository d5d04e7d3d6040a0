"""Throughput of a request-processing workload with and without the guard.

Holds ~1M live gc objects (a realistic mix), then serves "requests" (parse,
build a response, touch a cache) in alternating rounds: without the guard,
then with ``leakguard.start()`` at default options, and so on. Rounds are
interleaved in one run so that machine noise hits both sides alike. Prints
requests per second per side, the slowdown ratio, and the guard's own
accounting of its pauses. Target: <= 1% slower.

    python benchmarks/bench_overhead.py [--rounds 4] [--seconds 20] [--objects 1000000]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time

import leakguard


class Customer:
    def __init__(self, i: int) -> None:
        self.id = i
        self.name = f"customer-{i}"
        self.tags = ["a", "b"]


class Item:
    __slots__ = ("price", "sku")

    def __init__(self, i: int) -> None:
        self.sku = i
        self.price = i * 0.5


def build_heap(objects: int) -> list[object]:
    """About ``objects`` live gc-tracked objects: instances, slots, dicts, lists, tuples."""
    heap: list[object] = []
    for i in range(objects // 5):
        heap.append(Customer(i))  # the instance and its tags list
        heap.append(Item(i))
        heap.append({"k": i})
        heap.append((i, [i]))
    return heap


def handle(i: int, cache: dict[int, str]) -> int:
    """One request: decode, compute, encode, and a bounded cache."""
    payload = json.dumps({"order": i, "items": [{"sku": k, "qty": k % 3} for k in range(20)]})
    order = json.loads(payload)
    total = sum(item["qty"] * 1.5 for item in order["items"])
    response = json.dumps({"order": order["order"], "total": total})
    cache[i % 512] = response
    return len(response)


def run_round(seconds: float, cache: dict[int, str]) -> float:
    """Serve requests for ``seconds``; return requests per second."""
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(100):
            handle(n, cache)
            n += 1
        leakguard.tick(100)
    return n / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--objects", type=int, default=1_000_000)
    args = ap.parse_args()
    heap = build_heap(args.objects)
    gc.collect()
    print(f"live gc objects: {len(gc.get_objects()):,}")
    cache: dict[int, str] = {}
    off: list[float] = []
    on: list[float] = []
    pauses: list[dict[str, float]] = []
    for r in range(args.rounds):
        off.append(run_round(args.seconds, cache))
        guard = leakguard.start()
        on.append(run_round(args.seconds, cache))
        pauses.append(dict(guard.report().overhead))
        leakguard.stop()
        print(f"round {r + 1}: without {off[-1]:,.0f} req/s, with {on[-1]:,.0f} req/s")
    base, guarded = statistics.median(off), statistics.median(on)
    slowdown = base / guarded - 1
    print(
        f"median: without {base:,.0f} req/s, with {guarded:,.0f} req/s: "
        f"{slowdown:+.2%} slower (target <= 1%: {'met' if slowdown <= 0.01 else 'NOT met'})"
    )
    samples = sum(p["samples"] for p in pauses)
    pause = sum(p["pause_total"] for p in pauses)
    worst = max(p["pause_max"] for p in pauses)
    print(
        f"guard: {samples:.0f} samples, {pause * 1e3:.0f} ms paused in total, "
        f"longest pause {worst * 1e3:.0f} ms, share of the 'with' time "
        f"{pause / (args.rounds * args.seconds):.2%}"
    )
    del heap


if __name__ == "__main__":
    main()
