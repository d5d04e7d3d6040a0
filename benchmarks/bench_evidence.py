"""What evidence costs: enrich() on a 100k-object leak in a 1M-object heap, and the trace window.

Run: python benchmarks/bench_evidence.py [--objects 1000000] [--leak 100000] [--runs 3]

Prints, for one round of evidence on a leaked type, its container and a memory
signal: the time (median of runs) and the peak of leakguard's own Python
allocations (tracemalloc, in a separate run), next to the floor any gc-based
tool pays (``len(gc.get_objects())``). Then the retention path alone against
objgraph's ``find_backref_chain``, and the slowdown of an allocation-heavy
workload while a trace window is open, as a ratio to the same workload with
the window closed, measured in the same run.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
import types
from collections.abc import Callable

from leakguard._config import Options
from leakguard._evidence.gather import Evidence
from leakguard._heap.deepsize import deep_size, measure
from leakguard._heap.paths import retention_path
from leakguard._model.suspect import Suspect


class OrderDTO:
    def __init__(self, n: int) -> None:
        self.n = n
        self.lines = [n, n + 1]


class Filler:
    __slots__ = ("a", "b")

    def __init__(self, a: object, b: object) -> None:
        self.a, self.b = a, b


_recent: list[OrderDTO] = []


def build_heap(objects: int, leak: int) -> list[object]:
    """About `objects` gc-tracked objects, `leak` of them OrderDTO (each with a list)."""
    _recent.extend(OrderDTO(i) for i in range(leak))
    filler: list[object] = []
    for i in range((objects - 2 * leak) // 3):
        filler.append(Filler({"k": [i]}, None))  # a Filler, a dict and a list
    gc.collect()
    return filler


def suspect(kind: str, name: str, count: float) -> Suspect:
    return Suspect(kind=kind, name=name, count=count, growth=count, rate_per_work=None,
                   rate_per_minute=None, confidence=0.99, first_seen=5)  # fmt: skip


def one_round(grow: int) -> tuple[float, list[Suspect]]:
    """Open a window, grow the leak while it is open, then time enrich()."""
    evidence = Evidence(Options())
    name = f"{__name__}.OrderDTO"
    container = f"builtins.list#{id(_recent):x}"
    evidence.watch([suspect("type", name, 0), suspect("container", container, 0),
                    suspect("memory", "blocks", 0)])  # fmt: skip
    _recent.extend(OrderDTO(i) for i in range(grow))
    start = time.perf_counter()
    found = evidence.enrich([suspect("type", name, len(_recent)),
                             suspect("container", container, len(_recent)),
                             suspect("memory", "blocks", 2 * grow)])  # fmt: skip
    seconds = time.perf_counter() - start
    evidence.close()
    return seconds, found


def peak_bytes(grow: int) -> int:
    """Peak Python allocations during enrich(), traced from just before it."""
    evidence = Evidence(Options())
    name = f"{__name__}.OrderDTO"
    evidence.watch([suspect("type", name, 0)])
    _recent.extend(OrderDTO(i) for i in range(grow))
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    evidence.enrich([suspect("type", name, len(_recent)),
                     suspect("container", f"builtins.list#{id(_recent):x}", len(_recent))])  # fmt: skip
    peak = tracemalloc.get_traced_memory()[1] - base
    evidence.close()
    return peak


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def objgraph_path(obj: object) -> int:
    import objgraph

    # A predicate that reads only types and ids (objgraph's is_proper_module calls
    # isinstance(), which reads __class__); the search itself also runs gc.collect().
    modules = {id(vars(m)) for m in list(sys.modules.values()) if type(m) is types.ModuleType}
    chain = objgraph.find_backref_chain(obj, lambda o: type(o) is dict and id(o) in modules)
    return len(chain)


def deep_size_costs(runs: int) -> None:
    """A sample of 16, as enrich() takes: measure() (pre-walk, then pympler when safe),
    the own walk alone and pympler.asizeof alone, on slotted objects and on OrderDTOs."""
    import pympler.asizeof

    slotted = [Filler({"k": [i, str(i)]}, (b"x" * 64, i)) for i in range(16)]
    for label, sample in (("16 slotted", slotted), ("16 OrderDTO", _recent[-16:])):
        result, t_measure = timed(lambda: measure(sample), runs)
        size, how = result  # type: ignore[misc]
        own, t_own = timed(lambda: deep_size(sample), runs)
        theirs, t_pympler = timed(lambda: pympler.asizeof.asizeof(*sample), runs)
        print(f"deep size, {label}: measure() {size} B in {t_measure * 1e6:.0f} us [{how}]; "
              f"own walk {own} B in {t_own * 1e6:.0f} us; pympler.asizeof {theirs} B in "
              f"{t_pympler * 1e6:.0f} us (x{t_pympler / t_own:.1f} own walk)")  # fmt: skip


def graph_cost(leaked: object) -> None:
    """leakguard.graph(): our chain search plus objgraph's drawing (with its gc.collect())."""
    import os
    import tempfile

    from leakguard import graph

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        graph(leaked, os.path.join(tmp, "g.dot"))
        took = time.perf_counter() - t0
    print(f"leakguard.graph() of one leaked instance: {took * 1e3:.0f} ms (user-requested only)")


def timed(fn: Callable[[], object], runs: int) -> tuple[object, float]:
    """The result of fn and its median time over runs (at least 5) calls."""
    result = fn()
    return result, median_seconds(fn, max(runs, 5))


def workload() -> None:
    """Allocation-heavy: many small dicts, lists and instances, mostly short-lived."""
    keep = []
    for i in range(200_000):
        item = {"id": i, "tags": [i, i + 1]}
        if i % 100 == 0:
            keep.append(Filler(item, None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--leak", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    filler = build_heap(args.objects, args.leak)
    print(f"heap: {len(gc.get_objects()):,} gc-tracked objects; leak: {len(_recent):,} OrderDTO")
    floor = median_seconds(lambda: len(gc.get_objects()), args.runs)
    print(f"floor len(gc.get_objects()): {floor * 1e3:.0f} ms")

    rounds = [one_round(1000) for _ in range(args.runs)]
    took = statistics.median(t for t, _ in rounds)
    print(f"enrich() type+container+memory: {took * 1e3:.0f} ms = x{took / floor:.1f} floor")
    for s in rounds[-1][1]:
        where = s.sites[0] if s.sites else "-"
        print(
            f"  {s.kind} {s.name[:40]}: path={' -> '.join(s.path) or '-'}; site={where}; notes={s.notes}"
        )

    tracemalloc.start(1)
    try:
        peak = peak_bytes(1000)
    finally:
        tracemalloc.stop()
    print(f"enrich() type+container peak own allocations: {peak / 2**20:.1f} MiB "
          f"(the gc.get_objects() list alone: {len(gc.get_objects()) * 8 / 2**20:.1f} MiB)")  # fmt: skip

    leaked = _recent[-1]
    ours = median_seconds(lambda: retention_path(leaked), args.runs)
    theirs = median_seconds(lambda: objgraph_path(leaked), 1)
    print(f"retention_path: {ours * 1e3:.0f} ms; objgraph.find_backref_chain: "
          f"{theirs * 1e3:.0f} ms (x{theirs / ours:.1f} ours)")  # fmt: skip

    deep_size_costs(args.runs)
    graph_cost(leaked)

    closed = median_seconds(workload, args.runs)
    for nframes in (1, 5):
        window = Evidence(Options(trace_frames=nframes)).window
        window.open()
        try:
            opened = median_seconds(workload, args.runs)
        finally:
            window.close()
        print(f"workload with window open (nframes={nframes}): x{opened / closed:.2f} "
              f"({opened * 1e3:.0f} ms vs {closed * 1e3:.0f} ms closed)")  # fmt: skip
    del filler


if __name__ == "__main__":
    main()
