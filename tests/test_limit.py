"""The last resort: ``memory_limit`` saves the evidence, calls ``on_limit``, then may SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from leakguard import Guard
from leakguard._census.limit import MemoryLimit
from leakguard._config import resolve
from leakguard._model.report import Report

_LEAKER = """
import os, sys, time
import leakguard

class Blob:
    def __init__(self):
        self.data = bytearray(4000)

keep = []
rss0 = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

@leakguard.on_limit
def limit(report):
    print("on_limit", len(report.suspects), flush=True)
    if sys.argv[2] == "kill":
        os.kill(os.getpid(), 9)

leakguard.start(interval=0.1, budget=0.5, warmup=0, min_samples=4, confirm=1,
                snapshot_dir=sys.argv[1], memory_limit=rss0 + 80 * 2**20,
                memory_limit_action="exit")
while True:
    keep.extend(Blob() for _ in range(250))  # 1 MB
    time.sleep(0.05)
"""


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.5GiB", 1610612736), ("800MB", 800_000_000), ("2000000000", 2_000_000_000),
     ("0.9", 0.9), ("1.0", 1.0), ("off", None), ("512 kib", 512 * 1024)],
)  # fmt: skip
def test_memory_limit_from_environment(text: str, value: int | float | None) -> None:
    """LEAKGUARD_MEMORY_LIMIT reads bytes with units, a fraction, or off."""
    assert resolve({}, {"LEAKGUARD_MEMORY_LIMIT": text}).memory_limit == value


@pytest.mark.parametrize("bad", ["1.5", "0", "0.0", "12XB", "-1GiB", "GiB", 1.5, 0, True, [1]])
def test_bad_memory_limit_is_one_line_naming_the_option(bad: object) -> None:
    """A bad memory_limit is a one-line ValueError naming the option and its source."""
    with pytest.raises(ValueError, match=r"option 'memory_limit' from keyword argument") as e:
        resolve({"memory_limit": bad})
    assert "\n" not in str(e.value)


def test_memory_limit_action() -> None:
    """memory_limit_action is report (default) or exit; anything else is refused."""
    assert resolve({}).memory_limit_action == "report"
    env = {"LEAKGUARD_MEMORY_LIMIT_ACTION": "EXIT"}
    assert resolve({}, env).memory_limit_action == "exit"
    with pytest.raises(ValueError, match=r"memory_limit_action.*expected one of report, exit"):
        resolve({"memory_limit_action": "kill"})


def test_limit_fraction_of_cgroup_and_once_per_crossing() -> None:
    """A fraction needs a cgroup limit; a crossing is said once until memory falls back."""
    assert MemoryLimit.of(None, 1000) is None
    assert MemoryLimit.of(0.5, None) is None
    half = MemoryLimit.of(0.5, 1000)
    assert half is not None and half.threshold == 500
    assert MemoryLimit.of(700, None) is not None
    assert [half.crossed(r) for r in (100, 600, 900, 400, 500)] == [False, True, False, False, True]


def test_on_limit_hook_runs_on_the_guard_thread_between_samples() -> None:
    """Past the limit, on_limit hooks get a report between samples, without a SIGTERM."""
    got: list[Report] = []
    done = threading.Event()
    guard = Guard(interval=3600, memory_limit=1, log=False)

    @guard.on_limit
    def hook(report: Report) -> None:
        got.append(report)
        done.set()

    with guard:
        assert done.wait(30)
    assert len(got) == 1 and got[0].samples >= 2  # the first sample, then the one at the limit


def _run_leaker(tmp_path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "leaker.py"
    script.write_text(textwrap.dedent(_LEAKER))
    return subprocess.run(
        [sys.executable, str(script), str(tmp_path / "d"), mode],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads RSS from /proc")
def test_leaking_process_leaves_a_readable_report_then_exits(tmp_path: Path) -> None:
    """A leak past the limit: a report (what grew, who holds it) on disk, then SIGTERM."""
    proc = _run_leaker(tmp_path, "exit")
    assert proc.returncode == -signal.SIGTERM, proc.stderr
    assert "past memory_limit" in proc.stderr and "on_limit" in proc.stdout
    out = subprocess.run(
        [sys.executable, "-m", "leakguard", "report", str(tmp_path / "d")],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "type __main__.Blob" in out, out
    assert "keep (list)" in out, out


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads RSS from /proc")
def test_sigkill_right_after_the_limit_leaves_no_half_written_file(tmp_path: Path) -> None:
    """SIGKILL in the on_limit hook: every file in snapshot_dir is whole, none temporary."""
    proc = _run_leaker(tmp_path, "kill")
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    files = sorted((tmp_path / "d").iterdir())
    assert any(p.name.endswith(".report.json") for p in files)
    for p in files:
        assert p.name.endswith(".json") and not p.name.startswith("."), p.name
        assert p.stat().st_mode & 0o777 == 0o600
        json.loads(p.read_text())
