"""The pytest plugin's cost on a suite of small tests, and its verdicts against pytest-memray.

    python benchmarks/bench_plugin.py [--tests 300] [--rounds 3] [--skip-memray]

Part 1 generates a suite of small, clean tests and runs it with and without
``--leakguard``, interleaved, in subprocesses. It prints the wall times, the
per-test overhead, and the overhead *beyond* the repeated calls (the extra calls'
cost is measured by timing the test bodies in this process).

Part 2 runs the leak corpus (tests/leak_corpus: leaks and clean tests) under
``pytest --leakguard`` and under pytest-memray's ``limit_leaks`` marker at a
few limits (the marker applied to every test by a conftest hook), and prints
caught / missed / false alarms and wall time for each.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "leak_corpus"
EXTRA_CALLS = 4  # warm-up 2 (the real run is one of them) + 3 measured = 4 calls beyond the first

BODIES = [
    "assert sum(range(200)) == 19900",
    "d = {str(i): i for i in range(100)}\n    assert d['7'] == 7",
    "s = ', '.join(f'{i:04d}' for i in range(50))\n    assert s.startswith('0000')",
    "p = Point(1, 2)\n    assert p.x + p.y == 3",
    "xs = sorted([5, 3, 9, 1] * 20)\n    assert xs[0] == 1",
    "import json\n    assert json.loads(json.dumps({'a': [1, 2]})) == {'a': [1, 2]}",
    "import re\n    assert re.match(r'(\\w+)@(\\w+)', 'me@host').group(2) == 'host'",
    "t = tuple(Point(i, i) for i in range(20))\n    assert len(t) == 20",
    "b = bytes(range(256)) * 4\n    assert len(b) == 1024",
    "s = {i % 7 for i in range(300)}\n    assert len(s) == 7",
]

HEADER = """
class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

"""


def make_suite(directory: Path, count: int) -> Path:
    """Write ``count`` small clean tests over 10 files; return the directory."""
    per_file = count // 10
    for f in range(10):
        lines = [HEADER]
        for i in range(per_file):
            body = BODIES[(f + i) % len(BODIES)]
            lines.append(f"def test_{f}_{i}():\n    {body}\n\n")
        (directory / f"test_suite_{f}.py").write_text("".join(lines))
    return directory


def body_seconds(directory: Path, calls: int = 20) -> float:
    """Mean time of one test body, timed in this process after warm-up."""
    total, n = 0.0, 0
    for path in sorted(directory.glob("test_suite_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name in dir(module):
            if name.startswith("test_"):
                fn = getattr(module, name)
                fn()
                start = time.perf_counter()
                for _ in range(calls):
                    fn()
                total += (time.perf_counter() - start) / calls
                n += 1
    return total / n


def pytest_run(directory: Path, *args: str) -> tuple[float, str]:
    """Run pytest in a subprocess; return wall seconds and its output."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=directory, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc.stdout + proc.stderr


def summary(output: str) -> str:
    return output.strip().splitlines()[-1]


def bench_suite(tests: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        suite = make_suite(Path(tmp), tests)
        plain, guarded = [], []
        for _ in range(rounds):
            # Interleaved, so drift on a shared machine hits both modes alike.
            t, out = pytest_run(suite, "-p", "no:memray")
            plain.append(t)
            t, out_lg = pytest_run(suite, "--leakguard", "-p", "no:memray")
            guarded.append(t)
        body = body_seconds(suite)
    t_plain, t_lg = statistics.median(plain), statistics.median(guarded)
    per_test = (t_lg - t_plain) / tests
    repeats = EXTRA_CALLS * body
    print(f"suite of {tests} small tests, median of {rounds} interleaved rounds")
    print(f"  without --leakguard: {t_plain:6.2f} s   ({summary(out)})")
    print(f"  with    --leakguard: {t_lg:6.2f} s   ({summary(out_lg)})")
    print(f"  ratio: {t_lg / t_plain:.2f}x; per test: +{per_test * 1e3:.2f} ms")
    print(
        f"  mean test body: {body * 1e6:.1f} us; {EXTRA_CALLS} extra calls: {repeats * 1e3:.3f} ms"
    )
    print(f"  overhead beyond the repeated calls: {(per_test - repeats) * 1e3:.2f} ms per test")


_OUTCOME = re.compile(r"^(PASSED|FAILED|ERROR|MEMORY PROBLEMS) (\S+?\.py::\S+)")

MEMRAY_CONFTEST = """

import os

def pytest_collection_modifyitems(items):
    limit = os.environ["BENCH_LIMIT"]
    for item in items:
        item.add_marker(pytest.mark.limit_leaks(limit))
"""


def verdicts(output: str) -> tuple[int, int, int, int]:
    """(caught, missed, false alarms, judged) from -rA lines and the corpus naming rule."""
    caught = missed = false = judged = 0
    for line in output.splitlines():
        match = _OUTCOME.match(line)
        if not match:
            continue
        judged += 1
        failed = match.group(1) != "PASSED"
        leak = match.group(2).split("::")[1].startswith("test_leak_")
        caught += leak and failed
        missed += leak and not failed
        false += failed and not leak
    return caught, missed, false, judged


def bench_corpus(limits: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        shutil.copy(CORPUS / "corpus_leaks.py", d / "test_leaks.py")
        shutil.copy(CORPUS / "corpus_clean.py", d / "test_clean.py")
        conftest = (CORPUS / "corpus_conftest.py").read_text()
        (d / "conftest.py").write_text(conftest)
        runs = [("pytest (no checks)", [], None), ("pytest --leakguard", ["--leakguard"], None)]
        runs += [(f"pytest-memray limit_leaks('{lim}')", ["--memray"], lim) for lim in limits]
        print("\nleak corpus (16 leaking tests, 30 clean), one run each")
        print(f"  {'tool':<36} {'caught':>6} {'missed':>6} {'false alarms':>12} {'wall s':>7}")
        for name, args, limit in runs:
            (d / "conftest.py").write_text(conftest + (MEMRAY_CONFTEST if limit else ""))
            env_args = ["-p", "no:leakguard"] if limit or not args else ["-p", "no:memray"]
            os.environ["BENCH_LIMIT"] = limit or ""
            wall, out = pytest_run(d, *args, *env_args)
            caught, missed, false, judged = verdicts(out)
            print(
                f"  {name:<36} {caught:>6} {missed:>6} {false:>12} {wall:7.2f}   ({judged} judged)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-memray", action="store_true")
    parser.add_argument("--limits", default="1B,100B,1KB")
    args = parser.parse_args()
    bench_suite(args.tests, args.rounds)
    if not args.skip_memray:
        bench_corpus(args.limits.split(","))


if __name__ == "__main__":
    main()
