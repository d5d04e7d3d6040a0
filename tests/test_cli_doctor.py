"""``leakguard doctor``: system memory, cgroup, OOM kills and a process's RSS trend."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from leakguard._cli.doctor import (
    Facts,
    oom_kills_in,
    read_kernel_log,
    read_meminfo,
    rss_rising,
    verdict,
)

MIB = 1 << 20


def leakguard(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "leakguard", *args]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)


def test_doctor_prints_every_section() -> None:
    """Without --pid it reports memory, swap, cgroup and kernel log, then a verdict and advice."""
    done = leakguard("doctor")
    assert done.returncode in (0, 1), done.stderr
    heads = [line.split()[0] for line in done.stdout.splitlines() if line and line[0] != " "]
    assert heads[:4] == ["memory", "swap", "cgroup", "kernel"]
    assert heads[-2:] == ["verdict", "next"]
    assert done.returncode == (0 if "no sign of memory trouble" in done.stdout else 1)


def test_doctor_sees_a_growing_process() -> None:
    """--pid of a process that allocates 1 MiB every 20 ms: its RSS is rising, exit 1."""
    grower = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nx=[]\nwhile 1:\n x.append(bytearray(1<<20)); time.sleep(0.02)",
        ]
    )
    try:
        time.sleep(0.2)
        done = leakguard("doctor", "--pid", str(grower.pid), "--seconds", "1")
    finally:
        grower.kill()
        grower.wait()
    assert done.returncode == 1
    assert f"process     pid {grower.pid} (python" in done.stdout
    assert "rising" in done.stdout and "RSS grew by" in done.stdout


def test_doctor_sees_a_steady_process() -> None:
    """--pid of a sleeping process: its RSS is not rising."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(0.3)
        done = leakguard("doctor", "--pid", str(sleeper.pid), "--seconds", "1")
    finally:
        sleeper.kill()
        sleeper.wait()
    assert "not rising" in done.stdout
    assert f"pid {sleeper.pid}'s RSS grew" not in done.stdout


def test_doctor_unknown_pid_is_bad_input() -> None:
    """A pid that does not exist: exit 2, one line naming it."""
    done = leakguard("doctor", "--pid", "999999999")
    assert done.returncode == 2
    assert (
        done.stderr
        == "leakguard doctor: --pid 999999999: no such process (or /proc not readable)\n"
    )


def test_doctor_bad_seconds_is_bad_input() -> None:
    """--seconds 0 is refused in one line, exit 2."""
    done = leakguard("doctor", "--seconds", "0")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "--seconds" in done.stderr


def test_meminfo_is_read_in_bytes(tmp_path: Path) -> None:
    """/proc/meminfo values in kB are turned into bytes."""
    fake = tmp_path / "meminfo"
    fake.write_text("MemTotal:  1000 kB\nMemAvailable:  250 kB\nHugePages_Total:  0\n")
    assert read_meminfo(str(fake)) == {
        "MemTotal": 1024000,
        "MemAvailable": 256000,
        "HugePages_Total": 0,
    }


@pytest.mark.parametrize(
    ("name", "text", "kills"),
    [
        ("memory.events", "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\n", 2),
        ("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 5\n", 5),
    ],
)
def test_oom_kills_read_from_v2_and_v1_files(
    tmp_path: Path, name: str, text: str, kills: int
) -> None:
    """The oom_kill count comes from memory.events (v2) or memory.oom_control (v1)."""
    (tmp_path / name).write_text(text)
    assert oom_kills_in(str(tmp_path)) == kills


def refused(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """dmesg as an unprivileged user sees it."""
    return subprocess.CompletedProcess(
        args, 1, "", "dmesg: read kernel buffer failed: Operation not permitted\n"
    )


def test_unreadable_kernel_log_says_why(tmp_path: Path) -> None:
    """When dmesg is refused and no log file exists, the reason is kept, not raised."""
    facts = Facts()
    read_kernel_log(facts, run=refused, logs=[str(tmp_path / "kern.log")])
    assert facts.kernel_oom == []
    assert facts.kernel_note == (
        "not readable (dmesg: read kernel buffer failed: Operation not permitted)"
    )


def test_kernel_log_file_is_searched_for_oom_lines(tmp_path: Path) -> None:
    """When dmesg is refused, a readable kernel log file gives the OOM-killer lines."""
    log = tmp_path / "kern.log"
    log.write_text(
        "kernel: eth0 up\n"
        "kernel: python invoked oom-killer: gfp_mask=0x140cca\n"
        "kernel: Out of memory: Killed process 4242 (python) total-vm:9000kB\n"
    )
    facts = Facts()
    read_kernel_log(facts, run=refused, logs=[str(log)])
    assert len(facts.kernel_oom) == 2
    assert facts.kernel_note == f"read from {log}"


@pytest.mark.parametrize(
    ("levels_mib", "rising"),
    [
        ([100, 101, 103, 104, 106, 108], True),
        ([100, 100, 100, 100, 100, 100], False),
        ([100, 140, 100, 140, 100, 101], False),
        ([100, 100.2, 100.4, 100.6], False),
        ([100, 110], False),
    ],
)
def test_rss_trend(levels_mib: list[float], rising: bool) -> None:
    """RSS is rising when it grew over 1 MiB and 1%, mostly step by step, over 3+ readings."""
    readings = [(0.25 * i, int(v * MIB)) for i, v in enumerate(levels_mib)]
    assert rss_rising(readings) is rising


def test_verdict_names_oom_kills_and_pressure() -> None:
    """OOM kills, a nearly full cgroup and scarce memory each become a problem with advice."""
    facts = Facts(
        meminfo={"MemTotal": 100 * MIB, "MemAvailable": 5 * MIB},
        cgroup="/sys/fs/cgroup/app",
        cgroup_usage=95 * MIB,
        cgroup_limit=100 * MIB,
        oom_kills=2,
    )
    problems, advice = verdict(facts)
    assert problems == [
        "the OOM killer has killed 2 process(es) in this cgroup",
        "the cgroup uses 95% of its memory limit",
        "only 5% of the machine's memory is available",
    ]
    assert any("LEAKGUARD_SNAPSHOT_DIR" in a for a in advice)


def test_verdict_is_calm_when_all_is_well() -> None:
    """Plenty of memory and no kills: no problem."""
    facts = Facts(meminfo={"MemTotal": 100 * MIB, "MemAvailable": 80 * MIB}, oom_kills=0)
    problems, _ = verdict(facts)
    assert problems == []
