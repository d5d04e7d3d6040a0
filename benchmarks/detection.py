"""Detection benchmark: every scenario x every tool, each run in a fresh subprocess.

Usage (from the repository root)::

    python -m benchmarks.detection                      # all scenarios, all tools
    python -m benchmarks.detection --tool objgraph --scenario 'leak_*' --jobs 2
    python -m benchmarks.detection --json results.json

A run does the scenario's ``setup()``, then ``samples`` times: one ``step(i)``
of service work, then one sample of the tool. It records the first sample
(1-based) at which the tool flags anything and its top suspects then, as
``"kind:name"``. The parent prints a table, recall, top-1 accuracy, false
alarms and median samples to detection per tool, and whether leakguard meets
its targets. The exit status is always 0: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import fnmatch
import json
import os
import statistics
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import scenarios  # noqa: E402 - needs ROOT on sys.path first

TOOLS = ("leakguard", "objgraph", "pympler")
RUNS = 5  # the baselines' rule: a type grew in each of the last RUNS samples
TOP = 3
TIMEOUT = 900.0
TARGETS = {"recall": 1.0, "top1": 0.9, "false_alarms": 0, "median": 10.0}


class Tool(Protocol):
    """A leak detector driven one sample at a time."""

    def start(self) -> None:
        """Set the baseline (called once, after the scenario's setup)."""

    def sample(self, work: int) -> list[str]:
        """Sample after ``work`` units of work; return flagged ``kind:name``, surest first."""
        ...

    def stop(self) -> None:
        """Release what the tool holds."""


class LeakguardTool:
    """leakguard's manual-mode Guard at default options."""

    def start(self) -> None:
        """Create the guard (interval=None: no thread, sampled by hand)."""
        import leakguard

        self.guard: Any = leakguard.Guard(interval=None)

    def sample(self, work: int) -> list[str]:
        """Count the step's work, sample, and list the suspects."""
        self.guard.tick(work)
        self.guard.sample()
        return [f"{s.kind}:{s.name}" for s in self.guard.suspects()]

    def stop(self) -> None:
        """Stop the guard if it has anything to stop."""
        stop = getattr(self.guard, "stop", None)
        if stop is not None:
            stop()


class GrowthRule:
    """Flag a type that grew in each of the last ``runs`` samples; rank by total growth."""

    def __init__(self, runs: int = RUNS) -> None:
        # Filled from the start so the rule's own dicts never count as growth.
        empty: list[dict[str, int]] = [{} for _ in range(runs)]
        self.history = deque(empty, maxlen=runs)
        self.seen = 0

    def update(self, grew: dict[str, int]) -> list[str]:
        """Add one sample's growth per type name and return the flagged types."""
        self.history.append(grew)
        self.seen += 1
        if self.seen < len(self.history):
            return []
        common = set.intersection(*(set(h) for h in self.history))
        total = {name: sum(h[name] for h in self.history) for name in common}
        return [f"type:{name}" for name in sorted(common, key=lambda n: (-total[n], n))]


class ObjgraphTool:
    """objgraph ``growth(limit=10)`` each sample (it runs ``gc.collect()`` itself)."""

    def start(self) -> None:
        """Take the first peak counts."""
        import objgraph  # type: ignore[import-untyped]

        self.growth = objgraph.growth
        self.peaks: dict[str, int] = {}
        self.rule = GrowthRule()
        self.growth(limit=10, peak_stats=self.peaks)

    def sample(self, work: int) -> list[str]:
        """Types over their previous peak, through the growth rule."""
        rows = self.growth(limit=10, peak_stats=self.peaks)
        return self.rule.update({name: delta for name, _, delta in rows})

    def stop(self) -> None:
        """Nothing held."""


class PymplerTool:
    """pympler ``SummaryTracker().diff()`` each sample."""

    def start(self) -> None:
        """Take the first summary."""
        from pympler import tracker

        # pympler is untyped; its tracker is used through Any.
        summary_tracker: Any = tracker.SummaryTracker
        self.tracker = summary_tracker()
        self.rule = GrowthRule()

    def sample(self, work: int) -> list[str]:
        """Types whose count rose since the last summary, through the growth rule."""
        rows = self.tracker.diff()
        return self.rule.update({str(row[0]): int(row[1]) for row in rows if row[1] > 0})

    def stop(self) -> None:
        """Drop the tracker's summaries."""
        del self.tracker


def make_tool(name: str) -> Tool:
    """Build a tool by name.

    Raises:
        ValueError: not one of ``TOOLS``.
    """
    tools: dict[str, type[Tool]] = {
        "leakguard": LeakguardTool,
        "objgraph": ObjgraphTool,
        "pympler": PymplerTool,
    }
    if name not in tools:
        raise ValueError(f"--tool: unknown tool {name!r} (known: {', '.join(TOOLS)})")
    return tools[name]()


def run_one(name: str, tool_name: str, samples: int) -> dict[str, Any]:
    """Run one scenario under one tool in this process and return the result record."""
    scenario = scenarios.load(name)
    tool = make_tool(tool_name)
    detected: int | None = None
    first_correct: int | None = None
    top: list[str] = []
    flagged: list[str] = []
    spent = 0.0
    scenario.setup()
    try:
        tool.start()
        for i in range(samples):
            scenario.step(i)
            begin = time.perf_counter()
            flagged = tool.sample(scenario.work(i))
            spent += time.perf_counter() - begin
            if flagged and detected is None:
                detected, top = i + 1, flagged[:TOP]
            hit = any(scenarios.matches(s, scenario.culprits) for s in flagged[:TOP])
            if scenario.leak and hit and first_correct is None:
                first_correct = i + 1
        tool.stop()
    finally:
        scenario.teardown()
    return {
        "scenario": name,
        "tool": tool_name,
        "leak": scenario.leak,
        "culprits": list(scenario.culprits),
        "samples": samples,
        "detected_at": detected,
        "top": top,
        "final": flagged[:TOP],
        "first_correct": first_correct,
        "seconds_per_sample": spent / max(samples, 1),
        "error": None,
    }


def _child_env() -> dict[str, str]:
    # Defaults are what is judged: no LEAKGUARD_* setting may leak in from the caller.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAKGUARD_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONHASHSEED"] = "0"
    return env


def spawn(name: str, tool: str, samples: int) -> dict[str, Any]:
    """Run one scenario x tool in a fresh interpreter and parse its JSON line."""
    cmd = [sys.executable, "-m", "benchmarks.detection", "--one", name, "--tool", tool]
    cmd += ["--samples", str(samples)]
    failed = {"scenario": name, "tool": tool, "leak": scenarios.load(name).leak, "samples": samples}
    try:
        proc = subprocess.run(
            cmd,
            check=False,
            cwd=ROOT,
            env=_child_env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return {**failed, "error": f"timed out after {TIMEOUT:.0f} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {**failed, "error": f"exit {proc.returncode}: {tail}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def verdict(result: dict[str, Any]) -> str:
    """Classify a result: top-1 / top-3 / wrong / missed for leaks, quiet / FALSE ALARM else."""
    if result.get("error"):
        return "ERROR"
    if not result["leak"]:
        return "quiet" if result["detected_at"] is None else "FALSE ALARM"
    if result["detected_at"] is None:
        return "missed"
    top = result["top"]
    if scenarios.matches(top[0], result["culprits"]):
        return "top-1"
    if any(scenarios.matches(s, result["culprits"]) for s in top):
        return "top-3"
    return "wrong"


def _rate(part: int, whole: int) -> str:
    return f"{part}/{whole} {100 * part / whole:.0f}%" if whole else "-"


def summarize(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per tool: recall (top-3), top-1, false alarms, median samples to detection, cost."""
    summary: dict[str, dict[str, Any]] = {}
    for tool in dict.fromkeys(r["tool"] for r in results):
        mine = [r for r in results if r["tool"] == tool]
        leaks = [r for r in mine if r["leak"]]
        healthy = [r for r in mine if not r["leak"]]
        caught = [r for r in leaks if r["verdict"] in ("top-1", "top-3")]
        costs = [r["seconds_per_sample"] for r in mine if not r.get("error")]
        summary[tool] = {
            "leaks": len(leaks),
            "caught": len(caught),
            "top1": sum(r["verdict"] == "top-1" for r in leaks),
            "healthy": len(healthy),
            "false_alarms": sum(r["verdict"] == "FALSE ALARM" for r in healthy),
            "errors": sum(r["verdict"] == "ERROR" for r in mine),
            "median_samples": statistics.median(r["detected_at"] for r in caught)
            if caught
            else None,
            "seconds_per_sample": statistics.mean(costs) if costs else None,
        }
    return summary


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else "..." + text[-(width - 3) :]


def print_table(results: list[dict[str, Any]], file: Any) -> None:
    """Print one row per scenario x tool."""
    head = f"{'scenario':<24} {'leak':<5} {'tool':<10} {'flagged':>7}  {'top suspect':<58} verdict"
    print(head, file=file)
    print("-" * len(head), file=file)
    for r in results:
        at = "-" if r.get("detected_at") is None else f"@{r['detected_at']}"
        top = r.get("error") or (r["top"][0] if r.get("top") else "")
        leak = "yes" if r["leak"] else "no"
        row = f"{r['scenario']:<24} {leak:<5} {r['tool']:<10} {at:>7}  {_short(top, 58):<58} {r['verdict']}"
        print(row, file=file)


def print_summary(summary: dict[str, dict[str, Any]], file: Any) -> None:
    """Print the per-tool figures and leakguard's targets."""
    base = (summary.get("objgraph") or {}).get("seconds_per_sample")
    print(
        f"\n{'tool':<10} {'recall (top-3)':>15} {'top-1':>12} {'false alarms':>13} "
        f"{'median @':>9} {'ms/sample':>10} {'x objgraph':>10}",
        file=file,
    )
    for tool, s in summary.items():
        median = "-" if s["median_samples"] is None else f"{s['median_samples']:g}"
        cost = s["seconds_per_sample"]
        ms = "-" if cost is None else f"{cost * 1000:.1f}"
        ratio = "-" if cost is None or not base else f"{cost / base:.2f}"
        print(
            f"{tool:<10} {_rate(s['caught'], s['leaks']):>15} {_rate(s['top1'], s['leaks']):>12} "
            f"{_rate(s['false_alarms'], s['healthy']):>13} {median:>9} {ms:>10} {ratio:>10}",
            file=file,
        )
        if s["errors"]:
            print(f"{'':<10} {s['errors']} run(s) failed (see the table)", file=file)
    lg = summary.get("leakguard")
    if lg is None:
        print("\nleakguard targets: not measured (the leakguard tool did not run)", file=file)
        return
    print("\nleakguard targets: " + "; ".join(_targets(lg)), file=file)


def _targets(s: dict[str, Any]) -> list[str]:
    def mark(ok: bool) -> str:
        return "met" if ok else "NOT met"

    recall = s["caught"] / s["leaks"] if s["leaks"] else 0.0
    top1 = s["top1"] / s["leaks"] if s["leaks"] else 0.0
    median = s["median_samples"]
    return [
        f"recall 100% ({recall:.0%}: {mark(recall >= TARGETS['recall'])})",
        f"top-1 >= 90% ({top1:.0%}: {mark(top1 >= TARGETS['top1'])})",
        f"zero false alarms ({s['false_alarms']}: {mark(s['false_alarms'] == 0)})",
        f"median samples to detection <= 10 ({median}: "
        f"{mark(median is not None and median <= TARGETS['median'])})",
    ]


def print_report(
    results: list[dict[str, Any]], summary: dict[str, dict[str, Any]], file: Any
) -> None:
    """Print the table, then the summary."""
    print_table(results, file)
    print_summary(summary, file)


def _selected(pattern: str) -> list[str]:
    globs = [g.strip() for g in pattern.split(",") if g.strip()]
    chosen = [n for n in scenarios.names() if any(fnmatch.fnmatchcase(n, g) for g in globs)]
    if not chosen:
        raise SystemExit(f"--scenario: no scenario matches {pattern!r}")
    return chosen


def _tools(spec: str) -> list[str]:
    wanted = list(TOOLS) if spec == "all" else [t.strip() for t in spec.split(",") if t.strip()]
    for tool in wanted:
        if tool not in TOOLS:
            raise SystemExit(f"--tool: unknown tool {tool!r} (known: {', '.join(TOOLS)}, all)")
    if "leakguard" in wanted and not _has_guard():
        print("note: leakguard.Guard is not available yet; skipping the leakguard tool")
        wanted.remove("leakguard")
    return wanted


def _has_guard() -> bool:
    try:
        import leakguard
    except ImportError:
        return False
    return hasattr(leakguard, "Guard")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or one child run with ``--one``)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.detection", description=__doc__)
    parser.add_argument(
        "--tool", default="all", help="leakguard, objgraph, pympler, a list, or all"
    )
    parser.add_argument(
        "--scenario", default="*", help="glob(s) over scenario names, comma-separated"
    )
    parser.add_argument("--samples", type=int, default=60, help="samples per run (default 60)")
    parser.add_argument("--jobs", type=int, default=2, help="subprocesses at once (default 2)")
    parser.add_argument("--json", metavar="FILE", help="also save results and summary as JSON")
    parser.add_argument("--one", metavar="SCENARIO", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.samples < 1 or args.jobs < 1:
        raise SystemExit("--samples and --jobs must be >= 1")
    if args.one:
        print(json.dumps(run_one(args.one, args.tool, args.samples)), flush=True)
        return 0
    pairs = [(n, t) for n in _selected(args.scenario) for t in _tools(args.tool)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda p: spawn(p[0], p[1], args.samples), pairs))
    for result in results:
        result["verdict"] = verdict(result)
    summary = summarize(results)
    print_report(results, summary, sys.stdout)
    if args.json:
        payload = {"samples": args.samples, "results": results, "summary": summary}
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
