"""Per-call cost of each per-sample probe, against ``os.getpid()`` measured in the same run.

Run: ``python benchmarks/bench_probes.py [--repeat 9] [--tasks 1000]``

Every call is timed once per round, round after round, so the machine's drift
hits all of them alike; the table gives the median microseconds per call and
the median of the per-round ratio to ``os.getpid()``. Then: what the gc
callback adds to each young collection, and the cost of counting asyncio tasks.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable

from leakguard._census.gcwatch import GcWatcher
from leakguard._census.procmem import ProcessProbe
from leakguard._census.resources import count_fds, count_tasks, count_threads, read_resources

Call = tuple[str, Callable[[], object]]


def per_call_us(fn: Callable[[], object], budget: float = 0.02) -> float:
    """Microseconds per call of ``fn``, over a batch lasting about ``budget`` seconds."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed > budget:
            return elapsed / n * 1e6
        n *= 2


def interleaved(calls: list[Call], repeat: int) -> list[tuple[str, float, float]]:
    """Time each call once per round; return (name, median us, median ratio to the first call)."""
    rounds = [[per_call_us(fn) for _, fn in calls] for _ in range(repeat)]
    return [
        (
            name,
            statistics.median(r[i] for r in rounds),
            statistics.median(r[i] / r[0] for r in rounds),
        )
        for i, (name, _) in enumerate(calls)
    ]


def gc_callback_cost(repeat: int) -> tuple[float, float]:
    """Median us of ``gc.collect(0)`` without and with the watcher installed, interleaved."""
    watcher = GcWatcher()
    without, with_cb = [], []
    try:
        for _ in range(repeat):
            without.append(per_call_us(lambda: gc.collect(0)))
            watcher.install()
            with_cb.append(per_call_us(lambda: gc.collect(0)))
            watcher.uninstall()
    finally:
        watcher.uninstall()
    return statistics.median(without), statistics.median(with_cb)


def task_count_cost(n: int, repeat: int) -> tuple[int, int, float]:
    """Cost of count_tasks() with n pending tasks of a loop in another thread and n done kept."""
    ready, release = threading.Event(), threading.Event()
    kept: list[asyncio.Task[None]] = []

    async def noop() -> None:
        return None

    async def serve() -> None:
        gate = asyncio.Event()
        waiters = [asyncio.create_task(gate.wait()) for _ in range(n)]
        kept.extend(asyncio.create_task(noop()) for _ in range(n))
        await asyncio.sleep(0)
        ready.set()
        await asyncio.get_running_loop().run_in_executor(None, release.wait)
        gate.set()
        await asyncio.gather(*waiters)

    worker = threading.Thread(target=asyncio.run, args=(serve(),))
    worker.start()
    ready.wait()
    try:
        pending, done = count_tasks()
        cost = statistics.median(per_call_us(count_tasks) for _ in range(repeat))
    finally:
        release.set()
        worker.join()
    return pending, done, cost


def main() -> None:
    """Measure and print each probe's cost."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--tasks", type=int, default=1000)
    args = parser.parse_args()
    probe, watcher = ProcessProbe(), GcWatcher()
    probe.read()
    watcher.install()
    calls: list[Call] = [
        ("os.getpid() [baseline]", os.getpid),
        ("ProcessProbe.read()", probe.read),
        ("  sys.getallocatedblocks()", sys.getallocatedblocks),
        ("  statm pread -> rss", probe._read_rss),
        ("  cgroup usage+limit preads", probe._read_cgroup),
        ("GcWatcher.read()", watcher.read),
        ("read_resources(None), no tasks", read_resources),
        ("  count_fds()", count_fds),
        ("  count_fds('/proc/self/fd') by listing", lambda: count_fds("/proc/self/fd")),
        ("  count_threads()", count_threads),
        ("  threading.active_count()", threading.active_count),
    ]
    try:
        rows = interleaved(calls, args.repeat)
    finally:
        probe.close()
        watcher.uninstall()
    print(f"python {sys.version.split()[0]}, {sys.getallocatedblocks()} allocated blocks")
    print(f"{'call':42} {'us/call':>9} {'x getpid':>9}")
    for name, us, ratio in rows:
        print(f"{name:42} {us:9.2f} {ratio:9.1f}")
    base = rows[0][1]
    without, with_cb = gc_callback_cost(args.repeat)
    added = with_cb - without
    print(f"gc.collect(0): {without:.2f} us bare, {with_cb:.2f} us with the watcher's callback")
    print(f"  callback adds {added:.2f} us per collection ({added / base:.1f} x getpid)")
    pending, done, cost = task_count_cost(args.tasks, args.repeat)
    per_task = cost / max(pending + done, 1)
    print(f"count_tasks() seeing {pending} pending + {done} done tasks (loop in another thread):")
    print(f"  {cost:.1f} us/call, {per_task:.3f} us per task ({cost / base:.0f} x getpid)")


if __name__ == "__main__":
    main()
