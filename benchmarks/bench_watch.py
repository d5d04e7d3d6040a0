"""Cost of @leakguard.watch per call, against the same function undecorated, in one run.

    python benchmarks/bench_watch.py [--calls N] [--repeat R]

Prints, for a sync function and a method, the best-of-R time per call with and
without @watch, their ratio and the absolute difference in nanoseconds. The
target is <= 1 µs (1000 ns) added per call.
"""

from __future__ import annotations

import argparse
import timeit

import leakguard


def plain(a, b=1):
    return a + b


@leakguard.watch
def watched(a, b=1):
    return a + b


class Shop:
    def plain(self, a):
        return a

    @leakguard.watch
    def watched(self, a):
        return a


def per_call(stmt: str, env: dict, calls: int, repeat: int) -> float:
    """Best time per call in ns (the minimum is the least disturbed by a shared machine)."""
    timer = timeit.Timer(stmt, globals=env)
    return min(timer.repeat(repeat=repeat, number=calls)) / calls * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    shop = Shop()
    env = {"plain": plain, "watched": watched, "shop": shop}
    cases = [
        ("function", "plain(1, b=2)", "watched(1, b=2)"),
        ("method", "shop.plain(1)", "shop.watched(1)"),
    ]
    print(f"{'case':<10} {'plain ns':>9} {'watched ns':>11} {'ratio':>6} {'added ns':>9}")
    for name, base_stmt, watched_stmt in cases:
        bases, watches = [], []
        for _ in range(args.repeat):
            # Interleaved, so drift on a shared machine hits both sides alike.
            bases.append(per_call(base_stmt, env, args.calls, 1))
            watches.append(per_call(watched_stmt, env, args.calls, 1))
        base, with_watch = min(bases), min(watches)
        ratio = with_watch / base
        print(f"{name:<10} {base:9.1f} {with_watch:11.1f} {ratio:6.2f} {with_watch - base:9.1f}")
    print("target: added ns <= 1000 per call")


if __name__ == "__main__":
    main()
