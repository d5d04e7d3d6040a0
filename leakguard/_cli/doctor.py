"""``leakguard doctor``: the system-level signals a leak leaves, and a plain verdict.

Reads free and available memory and swap (``/proc/meminfo``), the cgroup's
limit, usage and OOM-kill count, OOM-killer lines of the kernel log where this
user may read it, and a process's RSS trend over a few seconds. Linux only;
elsewhere it says what it could not read.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from leakguard._census import engine as _engine
from leakguard._census.procmem import find_cgroup, parse_bytes
from leakguard._cli.main import EXIT_FOUND, EXIT_OK, BadInput
from leakguard._config import resolve
from leakguard._files.jsonschema import document
from leakguard._files.store import dumps
from leakguard._model.engine import Engine
from leakguard._render.text import human

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_OOM_LINE = re.compile(r"out of memory|oom-kill|oom_reaper|killed process", re.IGNORECASE)
_KERNEL_LOGS = ("/var/log/kern.log", "/var/log/messages", "/var/log/syslog")
_TAIL = 4 << 20  # the last 4 MiB of a log file are recent enough


@dataclass
class Facts:
    """What doctor found; None where a value could not be read."""

    meminfo: dict[str, int] = field(default_factory=dict)
    cgroup: str | None = None
    cgroup_usage: int | None = None
    cgroup_limit: int | None = None
    oom_kills: int | None = None
    kernel_oom: list[str] = field(default_factory=list)
    kernel_note: str = ""
    pid: int | None = None
    name: str = ""
    rss: list[tuple[float, int]] = field(default_factory=list)


def read_meminfo(path: str = "/proc/meminfo") -> dict[str, int]:
    """``/proc/meminfo`` in bytes (empty where unreadable)."""
    out: dict[str, int] = {}
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            for line in f:
                key, _, rest = line.partition(":")
                parts = rest.split()
                if parts and parts[0].isdigit():
                    out[key] = int(parts[0]) * (1024 if parts[1:] == ["kB"] else 1)
    except OSError:
        pass
    return out


def _read_int(path: str) -> int | None:
    try:
        with open(path, "rb") as f:
            return parse_bytes(f.read(64))
    except OSError:
        return None


def oom_kills_in(directory: str) -> int | None:
    """The ``oom_kill`` count of a cgroup: ``memory.events`` (v2) or ``memory.oom_control`` (v1)."""
    for name in ("memory.events", "memory.oom_control"):
        try:
            with open(os.path.join(directory, name), encoding="ascii") as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill" and value.strip().isdigit():
                        return int(value)
        except OSError:
            continue
    return None


def read_cgroup(facts: Facts, pid: int | None) -> None:
    """Fill the cgroup facts for ``pid`` (this process when None)."""
    found = find_cgroup(f"/proc/{pid or 'self'}/cgroup")
    if found is None:
        return
    facts.cgroup = os.path.dirname(found.usage)
    facts.cgroup_usage = _read_int(found.usage)
    limits = [v for v in (_read_int(found.limit), found.inherited_limit) if v is not None]
    facts.cgroup_limit = min(limits) if limits else None
    facts.oom_kills = oom_kills_in(facts.cgroup)


def read_kernel_log(
    facts: Facts,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
    logs: Sequence[str] = _KERNEL_LOGS,
) -> None:
    """OOM-killer lines from ``dmesg``, else from the kernel log files; note why when unreadable."""
    notes = []
    try:
        done = run(["dmesg"], capture_output=True, text=True, timeout=5, check=False)
        if done.returncode == 0:
            facts.kernel_oom = [ln for ln in done.stdout.splitlines() if _OOM_LINE.search(ln)]
            facts.kernel_note = "read with dmesg"
            return
        why = (done.stderr.strip().splitlines() or ["dmesg failed"])[-1]
        notes.append(why if why.startswith("dmesg") else f"dmesg: {why}")
    except (OSError, subprocess.SubprocessError) as exc:
        notes.append(f"dmesg: {exc}")
    for path in logs:
        try:
            with open(path, "rb") as f:
                f.seek(max(0, os.fstat(f.fileno()).st_size - _TAIL))
                text = f.read().decode("utf-8", "replace")
        except OSError as exc:
            if not isinstance(exc, FileNotFoundError):
                notes.append(f"{path}: {exc.strerror}")
            continue
        facts.kernel_oom = [ln for ln in text.splitlines() if _OOM_LINE.search(ln)]
        facts.kernel_note = f"read from {path}"
        return
    facts.kernel_note = "not readable (" + "; ".join(notes or ["no kernel log found"]) + ")"


def read_rss(pid: int) -> int | None:
    """A process's resident set size in bytes, from ``/proc/<pid>/statm``."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return None


def watch_rss(
    facts: Facts,
    seconds: float,
    step: float = 0.25,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Read the target's RSS every ``step`` seconds for ``seconds``."""
    assert facts.pid is not None
    start = clock()
    while True:
        rss = read_rss(facts.pid)
        if rss is None:
            return  # the process ended
        now = clock() - start
        facts.rss.append((now, rss))
        if now >= seconds:
            return
        sleep(min(step, seconds - now))


def rss_rising(rss: list[tuple[float, int]]) -> bool:
    """True when the RSS rose by more than 1 MiB and 1%, mostly step by step."""
    if len(rss) < 3:
        return False
    first, last = rss[0][1], rss[-1][1]
    steps = [b[1] - a[1] for a, b in itertools.pairwise(rss)]
    mostly_up = sum(d >= 0 for d in steps) >= 0.7 * len(steps)
    return last - first > max(1 << 20, first // 100) and mostly_up


def verdict(f: Facts) -> tuple[list[str], list[str]]:
    """What is wrong and what to do next, in plain words."""
    problems, advice = [], []
    if f.oom_kills:
        problems.append(f"the OOM killer has killed {f.oom_kills} process(es) in this cgroup")
    if f.kernel_oom:
        problems.append(f"the kernel log has {len(f.kernel_oom)} OOM-killer line(s)")
    if f.cgroup_usage is not None and f.cgroup_limit and f.cgroup_usage >= 0.9 * f.cgroup_limit:
        problems.append(
            f"the cgroup uses {f.cgroup_usage / f.cgroup_limit:.0%} of its memory limit"
        )
    total, avail = f.meminfo.get("MemTotal"), f.meminfo.get("MemAvailable")
    if total and avail is not None and avail < 0.1 * total:
        problems.append(f"only {avail / total:.0%} of the machine's memory is available")
    swap = f.meminfo.get("SwapTotal", 0)
    if swap and swap - f.meminfo.get("SwapFree", swap) > 0.5 * swap:
        problems.append("more than half of the swap is in use")
    if rss_rising(f.rss):
        grew = f.rss[-1][1] - f.rss[0][1]
        problems.append(f"pid {f.pid}'s RSS grew by {human(grew, 'bytes')} in {f.rss[-1][0]:.1f} s")
        advice.append(
            "watch it from the inside: start it with 'leakguard run', "
            "or call leakguard.start() in it"
        )
    if f.oom_kills or f.kernel_oom:
        advice.append(
            "set LEAKGUARD_SNAPSHOT_DIR so the next run leaves snapshots, "
            "then read them with 'leakguard report DIR'"
        )
    if problems and not advice:
        advice.append("find what holds the memory: run the biggest process under 'leakguard run'")
    if not problems:
        advice.append(
            "nothing to do now; run 'leakguard doctor --pid PID' while the program is busy"
        )
    return problems, advice


def render(f: Facts, problems: list[str], advice: list[str]) -> str:
    """The doctor's findings as text."""
    m = f.meminfo
    lines = []
    if "MemTotal" in m:
        avail = m.get("MemAvailable", 0)
        lines.append(
            f"memory      {human(m['MemTotal'], 'bytes')} total, {human(avail, 'bytes')} available "
            f"({avail / m['MemTotal']:.0%}), {human(m.get('MemFree', 0), 'bytes')} free"
        )
        swap = m.get("SwapTotal", 0)
        used = swap - m.get("SwapFree", swap)
        lines.append(
            "swap        none"
            if not swap
            else f"swap        {human(used, 'bytes')} used of {human(swap, 'bytes')}"
        )
    else:
        lines.append("memory      unknown (no /proc/meminfo)")
    lines.append(_cgroup_line(f))
    lines.append(f"kernel log  {len(f.kernel_oom)} OOM-killer line(s), {f.kernel_note}")
    lines.extend(f"            {ln}" for ln in f.kernel_oom[-3:])
    if f.pid is not None:
        lines.append(_rss_line(f))
    engine = installed_engine()
    slow = "" if engine.native else f" ({engine.census_why}): about 5x slower per sample"
    lines.append(f"census      {engine.census}{slow}")
    lines.append(
        "verdict     " + ("; ".join(problems) if problems else "no sign of memory trouble")
    )
    lines.extend(f"next        {a}" for a in advice)
    return "\n".join(lines)


def _cgroup_line(f: Facts) -> str:
    if f.cgroup is None:
        return "cgroup      no memory cgroup visible"
    usage = "unknown" if f.cgroup_usage is None else human(f.cgroup_usage, "bytes")
    limit = "no limit" if f.cgroup_limit is None else f"limit {human(f.cgroup_limit, 'bytes')}"
    kills = "unknown" if f.oom_kills is None else str(f.oom_kills)
    return f"cgroup      {f.cgroup}: {usage} used, {limit}, OOM kills {kills}"


def _rss_line(f: Facts) -> str:
    head = f"process     pid {f.pid} ({f.name or '?'})"
    if not f.rss:
        return head + ": exited before its RSS could be read"
    (t0, first), (t1, last) = f.rss[0], f.rss[-1]
    trend = "rising" if rss_rising(f.rss) else "not rising"
    return (
        f"{head}: rss {human(first, 'bytes')} -> {human(last, 'bytes')} over {t1 - t0:.1f} s, "
        f"{trend} ({len(f.rss)} readings)"
    )


def doctor(args: argparse.Namespace) -> int:
    """``leakguard doctor [--pid PID] [--seconds S]``: exit 1 when the verdict finds trouble."""
    facts = Facts(pid=args.pid)
    if args.pid is not None:
        if read_rss(args.pid) is None:
            raise BadInput(
                f"leakguard doctor: --pid {args.pid}: no such process (or /proc not readable)"
            )
        try:
            with open(f"/proc/{args.pid}/comm", encoding="utf-8", errors="replace") as f:
                facts.name = f.read().strip()
        except OSError:
            pass
    facts.meminfo = read_meminfo()
    read_cgroup(facts, args.pid)
    read_kernel_log(facts)
    if args.pid is not None:
        watch_rss(facts, args.seconds)
    problems, advice = verdict(facts)
    if args.format == "json":
        engine = installed_engine()
        census: Literal["C", "pure-Python"] = "C" if engine.native else "pure-Python"
        found = Diagnosis(facts, census, engine.census_why, tuple(problems), tuple(advice))
        print(dumps(document("doctor", found)).decode())
    else:
        print(render(facts, problems, advice))
    return EXIT_FOUND if problems else EXIT_OK


@dataclass(frozen=True)
class Diagnosis:
    """What ``leakguard doctor --format json`` prints.

    Attributes:
        facts: what was read (None or empty where it could not be).
        census: the census engine this install samples with (``C`` or ``pure-Python``).
        census_why: why the pure-Python census serves (not built, free-threaded, disabled);
            empty for ``C``.
        problems: what is wrong, in plain words (exit 1 when any).
        advice: what to do next.
    """

    facts: Facts
    census: Literal["C", "pure-Python"]
    census_why: str
    problems: tuple[str, ...]
    advice: tuple[str, ...]


def installed_engine() -> Engine:
    """The engines a guard started here would sample with (``LEAKGUARD_NATIVE`` read)."""
    try:
        native = resolve({}).native
    except ValueError:  # a bad LEAKGUARD_* value: start() will say so; doctor still reports
        native = True
    return _engine.current(native)
