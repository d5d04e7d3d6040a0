"""Real text reports, one per leaking scenario, with default options.

Runs each leaking scenario of the detection suite in its own process under a
manual ``leakguard.Guard`` at default options (evidence on), samples after
every step until the first leak is announced (plus two more samples so the
evidence window can close), and prints the report the ``on_leak`` hook got,
with the time that evidence gathering took.

    python -m benchmarks.report_gallery [--scenario 'leak_*'] [--samples 60] > gallery.txt
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import scenarios  # noqa: E402 - needs ROOT on sys.path first

# Samples taken after the announcement, so that late evidence (memory lines, which
# need a few samples of tracing) is in the report shown.
LATE_SAMPLES = 7


def one(name: str, samples: int) -> dict[str, object]:
    """Run one scenario in this process; return its first report as text."""
    import leakguard

    scenario = scenarios.load(name)
    reports: list[str] = []
    announced, took, i = None, 0.0, 0
    scenario.setup()
    try:
        with leakguard.Guard(interval=None) as guard:
            guard.on_leak(lambda report: reports.append(report.to_text()))
            for i in range(samples):
                scenario.step(i)
                guard.tick(scenario.work(i))
                began = time.perf_counter()
                guard.sample()
                if reports and announced is None:
                    announced, took = i + 1, time.perf_counter() - began
                if announced is not None and i + 1 >= announced + LATE_SAMPLES:
                    break
            final = guard.report().to_text()
    finally:
        scenario.teardown()
    if announced is None:
        return {"scenario": name, "at": None, "report": "no leak announced", "pause": 0.0}
    return {
        "scenario": name,
        "at": announced,
        "after": i + 1,
        "first": reports[0],
        "report": final,
        "pause": took,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenario", default="leak_*")
    ap.add_argument("--samples", type=int, default=60)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.samples)))
        return
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAKGUARD_")}
    env["PYTHONPATH"] = str(ROOT)
    for name in (n for n in scenarios.names() if fnmatch.fnmatch(n, args.scenario)):
        cmd = [sys.executable, "-m", "benchmarks.report_gallery", "--one", name]
        done = subprocess.run(
            [*cmd, "--samples", str(args.samples)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            print(f"### {name}\n\nfailed: {done.stderr.strip().splitlines()[-1:]}\n")
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"### {name}\n\nAnnounced at sample {result['at']} (that sample took "
            f"{float(result['pause']) * 1e3:.0f} ms, evidence included); the report "
            f"after sample {result.get('after')}:\n"
        )
        print("```text")
        print(result["report"])
        print("```\n")


if __name__ == "__main__":
    main()
