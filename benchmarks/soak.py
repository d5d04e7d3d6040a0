"""Soak: a healthy and a leaking service under the guard for N minutes.

    python benchmarks/soak.py [--minutes 10] [--interval SECONDS] [--threads 4]

Four processes run side by side for the same time: a healthy service (threads of
bounded churn, a cache that warms up to its bound, a ``deque(maxlen=...)`` filling,
state that follows a load that ramps up and down) with and without the guard, and a
leaking service (the same plus a slow ``OrderDTO`` leak) with and without it. At
the end it prints, per process: the alarms (time and what was named), the guard's
samples and pauses, RSS against the same service without the guard, and how long
``leakguard.stop()`` took. Not part of CI: it runs for minutes.

Targets (issue 8): no alarm on the healthy service, the leak named, the guard's own
RSS within 10 MiB of the unguarded twin, ``stop()`` within 1 s.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import math
import os
import subprocess
import sys
import threading
import time


class OrderDTO:
    def __init__(self, n: int) -> None:
        self.n = n
        self.lines = [n] * 4


@functools.lru_cache(maxsize=2000)
def price(sku: int) -> list[int]:
    return [sku] * 8


def _service(leak: bool, seconds: float, threads: int) -> None:
    """The workload: bounded churn per thread, a warming cache, a filling deque, a ramp."""
    stop = time.monotonic() + seconds
    recent: collections.deque[dict[str, object]] = collections.deque(maxlen=5000)
    leaked: list[OrderDTO] = []

    def worker(seed: int) -> None:
        buf: list[dict[str, object]] = []
        i = 0
        while time.monotonic() < stop:
            i += 1
            buf.append({"seed": seed, "payload": [i] * 20})
            if len(buf) > 5000:
                buf.clear()
            price((i * 7919 + seed) % 10_000)  # fills to its bound over minutes
            if i % 50 == 0:
                recent.append({"i": i})
                # in flight: proportional to a load that ramps up and down each minute
                load = int(200 * (1 + math.sin(time.monotonic() / 60 * 2 * math.pi)))
                inflight = [OrderDTO(j) for j in range(load)]
                del inflight
            if leak and i % 400 == 0:
                leaked.append(OrderDTO(i))
            time.sleep(0.0005)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


def child(kind: str, guard: bool, seconds: float, threads: int, interval: float | None) -> None:
    alarms: list[tuple[float, list[str]]] = []
    started = time.monotonic()
    g = None
    if guard:
        import leakguard

        options = {} if interval is None else {"interval": interval}
        g = leakguard.start(**options)

        @leakguard.on_leak
        def record(report: leakguard.Report) -> None:
            alarms.append((time.monotonic() - started, [s.name for s in report.suspects[:3]]))

    _service(kind == "leaking", seconds, threads)
    result: dict[str, object] = {"alarms": alarms, "rss": _rss()}
    if g is not None:
        result["overhead"] = g.overhead()
        t = time.monotonic()
        import leakguard

        leakguard.stop()
        result["stop_seconds"] = time.monotonic() - t
    print(json.dumps(result))


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument(
        "--interval", type=float, default=None, help="guard interval (default: its own)"
    )
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--child", choices=["healthy", "leaking"], help=argparse.SUPPRESS)
    ap.add_argument("--guard", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    seconds = args.minutes * 60
    if args.child:
        child(args.child, args.guard, seconds, args.threads, args.interval)
        return
    runs = {}
    for kind in ("healthy", "leaking"):
        for guard in (True, False):
            cmd = [sys.executable, __file__, "--child", kind, "--minutes", str(args.minutes)]
            cmd += ["--threads", str(args.threads)] + (["--guard"] if guard else [])
            if args.interval is not None:
                cmd += ["--interval", str(args.interval)]
            runs[(kind, guard)] = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = {key: json.loads(p.communicate()[0]) for key, p in runs.items()}
    print(
        f"soak: {args.minutes:g} min, {args.threads} threads, interval {args.interval or 'default'}"
    )
    for kind in ("healthy", "leaking"):
        on, off = out[(kind, True)], out[(kind, False)]
        extra = (on["rss"] - off["rss"]) / 2**20
        o = on["overhead"]
        print(
            f"{kind:8} alarms {len(on['alarms'])}  samples {o['samples']:.0f}  "
            f"paused {o['share'] * 100:.2f}% (longest {o['pause_max'] * 1000:.0f} ms)  "
            f"rss {on['rss'] / 2**20:.0f} MiB vs {off['rss'] / 2**20:.0f} MiB unguarded "
            f"({extra:+.1f} MiB)  stop {on['stop_seconds'] * 1000:.0f} ms"
        )
        for when, names in on["alarms"][:5]:
            print(f"          at {when:6.0f} s: {', '.join(names)}")


if __name__ == "__main__":
    main()
