"""Smoke tests of the detection scenario suite and its runner (not of detection quality)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/ is not an installed package: plain `pytest` (unlike `python -m pytest`)
# does not put the checkout on sys.path.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import detection, scenarios  # noqa: E402 - needs ROOT on sys.path first

RESULT_KEYS = {"scenario", "tool", "leak", "samples", "detected_at", "top", "final", "error"}


@pytest.mark.parametrize("name", scenarios.names())
def test_scenario_metadata_is_consistent(name: str) -> None:
    """Every scenario module declares LEAK, CULPRITS and step() consistently."""
    module = importlib.import_module(f"benchmarks.scenarios.{name}")
    assert scenarios.check(module) == []
    assert name.startswith("leak_") == module.LEAK


def test_suite_has_twelve_leaking_and_twelve_healthy_scenarios() -> None:
    """The suite holds at least twelve scenarios of each kind."""
    leaks = [n for n in scenarios.names() if scenarios.load(n).leak]
    healthy = [n for n in scenarios.names() if not scenarios.load(n).leak]
    assert len(leaks) >= 12
    assert len(healthy) >= 12


def test_check_rejects_a_leak_without_culprits() -> None:
    """A leaking scenario with no CULPRITS is reported as inconsistent."""
    module = types.ModuleType("fake")
    module.LEAK = True  # type: ignore[attr-defined]
    module.CULPRITS = ()  # type: ignore[attr-defined]
    module.step = lambda i: None  # type: ignore[attr-defined]
    assert scenarios.check(module) == ["a leaking scenario needs at least one CULPRITS pattern"]


def test_culprit_pattern_matches_qualified_and_short_names() -> None:
    """``type:*.OrderDTO`` matches leakguard's qualified name and objgraph's short one."""
    culprits = ("type:*.OrderDTO",)
    assert scenarios.matches("type:benchmarks.scenarios.leak_order_list.OrderDTO", culprits)
    assert scenarios.matches("type:OrderDTO", culprits)
    assert not scenarios.matches("type:OrderDTOList", culprits)


def test_culprit_pattern_ignores_pympler_detail() -> None:
    """pympler's ``function (name)`` is matched as the type ``function``."""
    assert scenarios.matches("type:function (on_settled)", ("type:*.function",))


def test_growth_rule_flags_only_types_grown_in_each_of_five_samples() -> None:
    """The baselines' rule flags a type that grew five samples running, not one that paused."""
    rule = detection.GrowthRule()
    flagged: list[str] = []
    for n in range(5):
        flagged = rule.update({"OrderDTO": 20, "dict": 3} if n != 2 else {"OrderDTO": 20})
    assert flagged == ["type:OrderDTO"]


def test_spawned_leak_run_returns_a_complete_record() -> None:
    """A leaking scenario runs end-to-end in a child process and returns its JSON record."""
    result = detection.spawn("leak_order_list", "objgraph", 6)
    assert result["error"] is None
    assert RESULT_KEYS <= set(result)
    assert (result["scenario"], result["tool"], result["samples"]) == (
        "leak_order_list",
        "objgraph",
        6,
    )
    assert result["leak"] is True


def test_spawned_run_of_unknown_tool_reports_an_error() -> None:
    """A child that fails comes back as a record with the error's last line."""
    result = detection.spawn("ok_tidal", "no-such-tool", 2)
    assert "unknown tool 'no-such-tool'" in result["error"]


def test_main_prints_targets_and_saves_json(tmp_path: Path) -> None:
    """The runner's command line prints the table and targets line and writes the JSON file."""
    out = tmp_path / "results.json"
    cmd = [sys.executable, "-m", "benchmarks.detection", "--tool", "objgraph"]
    cmd += ["--scenario", "leak_order_list,ok_tidal", "--samples", "6", "--json", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "leakguard targets:" in proc.stdout.splitlines()[-1]
    saved = json.loads(out.read_text())
    assert sorted(r["scenario"] for r in saved["results"]) == ["leak_order_list", "ok_tidal"]
    assert saved["summary"]["objgraph"]["leaks"] == 1
