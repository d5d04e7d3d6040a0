"""What importing leakguard costs a process: RSS and wall time, in fresh interpreters.

    python benchmarks/bench_import.py [--rounds 5]

Each row is the median over the rounds of a fresh ``python -c``, measured from inside
the child around the statement; the first row (``import json``, a stdlib module of
similar reach) is the same-run baseline the others are compared with.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

ROWS = (
    ("import json (baseline)", "import json"),
    ("import leakguard", "import leakguard"),
    ("+ leakguard.Guard (service mode)", "import leakguard; leakguard.Guard"),
    ("+ leakguard.check (repetition engine)", "import leakguard; leakguard.check"),
    ("+ every public name", "import leakguard; [getattr(leakguard, n) for n in leakguard.__all__]"),
)
CHILD = """
import psutil, time
p = psutil.Process(); rss = p.memory_info().rss; t = time.perf_counter()
{stmt}
print((p.memory_info().rss - rss) / 2**20, (time.perf_counter() - t) * 1000)
"""


def measure(stmt: str) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(stmt=stmt)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    results: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in ROWS}
    for _ in range(rounds):  # interleaved: a noisy moment hits every row alike
        for label, stmt in ROWS:
            results[label].append(measure(stmt))
    base_ms = statistics.median(ms for _, ms in results[ROWS[0][0]])
    for label, _ in ROWS:
        mib = statistics.median(m for m, _ in results[label])
        ms = statistics.median(t for _, t in results[label])
        print(
            f"{label:40} {mib:5.1f} MiB RSS  {ms:6.1f} ms  (x{ms / base_ms:.1f} the baseline's time)"
        )


if __name__ == "__main__":
    main()
