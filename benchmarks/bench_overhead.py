"""Throughput of a request-processing workload with and without the guard.

Two worker processes build the same heap of ~1M live gc objects (a realistic
mix); one starts ``leakguard.start()`` at default options and keeps it running
for the whole benchmark (the steady state a service is in), the other never
imports the guard's thread. The parent then has them serve "requests" (parse,
build a response, touch a bounded cache) in alternating rounds, in ABBA order,
so machine noise and drift hit both alike. Prints requests per second per side,
the slowdown ratio, and the guard's own accounting of its pauses. Target: <= 1%
slower.

    python benchmarks/bench_overhead.py [--rounds 8] [--seconds 10] [--objects 1000000]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time


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


def worker(guarded: bool, objects: int) -> None:
    """Build the heap, then serve one round per 'run SECONDS' line read from stdin."""
    import leakguard

    heap = build_heap(objects)
    gc.collect()
    guard = leakguard.start() if guarded else None
    print(json.dumps({"ready": len(gc.get_objects())}), flush=True)
    cache: dict[int, str] = {}
    n = 0
    for line in sys.stdin:
        seconds = float(line.split()[1])
        served, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            for _ in range(100):
                handle(n, cache)
                n += 1
            served += 100
            leakguard.tick(100)
        answer: dict[str, object] = {"rate": served / seconds}
        if guard is not None:
            answer["overhead"] = guard.overhead()
        print(json.dumps(answer), flush=True)
    leakguard.stop()
    del heap


def _spawn(guarded: bool, objects: int) -> subprocess.Popen[str]:
    cmd = [sys.executable, __file__, "--worker", "on" if guarded else "off"]
    proc = subprocess.Popen(
        [*cmd, "--objects", str(objects)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ready = json.loads(proc.stdout.readline())
    print(f"{'with' if guarded else 'without'} the guard: {ready['ready']:,} live gc objects")
    return proc


def _round(proc: subprocess.Popen[str], seconds: float) -> dict[str, object]:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(f"run {seconds}\n")
    proc.stdin.flush()
    result: dict[str, object] = json.loads(proc.stdout.readline())
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--objects", type=int, default=1_000_000)
    ap.add_argument("--worker", choices=("on", "off"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker == "on", args.objects)
        return
    on, off = _spawn(True, args.objects), _spawn(False, args.objects)
    rates: dict[bool, list[float]] = {True: [], False: []}
    last: dict[str, object] = {}
    for r in range(args.rounds):
        order = (True, False) if r % 2 == 0 else (False, True)  # ABBA: drift cancels
        for guarded in order:
            result = _round(on if guarded else off, args.seconds)
            rates[guarded].append(float(result["rate"]))  # type: ignore[arg-type]
            last = result if guarded else last
        print(
            f"round {r + 1}: without {rates[False][-1]:,.0f} req/s, "
            f"with {rates[True][-1]:,.0f} req/s"
        )
    for proc in (on, off):
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=60)
    base, guarded_rate = statistics.median(rates[False]), statistics.median(rates[True])
    slowdown = base / guarded_rate - 1
    print(
        f"median: without {base:,.0f} req/s, with {guarded_rate:,.0f} req/s: "
        f"{slowdown:+.2%} slower (target <= 1%: {'met' if slowdown <= 0.01 else 'NOT met'})"
    )
    cost = last.get("overhead", {})
    assert isinstance(cost, dict)
    print(
        f"guard over its whole run: {cost.get('samples', 0):.0f} samples, "
        f"{cost.get('pause_total', 0) * 1e3:.0f} ms paused, longest pause "
        f"{cost.get('pause_max', 0) * 1e3:.0f} ms, share of wall time {cost.get('share', 0):.2%}"
    )


if __name__ == "__main__":
    main()
