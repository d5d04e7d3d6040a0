"""The per-sample probes: process memory, gc churn, fds, threads and asyncio tasks."""

from __future__ import annotations

import _thread
import asyncio
import gc
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from leakguard._census.census import take_census
from leakguard._census.gcwatch import GcWatcher
from leakguard._census.procmem import ProcessProbe, find_cgroup, parse_bytes
from leakguard._census.resources import count_fds, count_threads, read_resources
from leakguard._model.snapshot import Census, Process

MB = 1 << 20
HAS_PROC = os.path.exists("/proc/self/statm")
needs_proc = pytest.mark.skipif(not HAS_PROC, reason="needs /proc")


@pytest.fixture
def probe() -> Iterator[ProcessProbe]:
    p = ProcessProbe()
    yield p
    p.close()


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _make_cycles(n: int) -> None:
    for _ in range(n):
        a, b = _Node(), _Node()
        a.other, b.other = b, a


# --- process memory -------------------------------------------------------------


@needs_proc
def test_a_dropped_probe_closes_its_files() -> None:
    """A probe garbage collected without close() gives its file descriptors back."""
    before = count_fds()
    probe = ProcessProbe()
    probe.read()
    assert count_fds() > before
    del probe
    gc.collect()
    assert count_fds() == before


@needs_proc
def test_rss_rises_with_a_touched_50mb_buffer(probe: ProcessProbe) -> None:
    """RSS grows by most of a 50 MB buffer once its pages are written."""
    before = probe.read().rss
    buf = bytearray(50 * MB)
    buf[::4096] = b"\x01" * len(range(0, len(buf), 4096))
    after = probe.read().rss
    del buf
    assert after - before >= 40 * MB


def test_blocks_rise_with_100k_live_small_objects(probe: ProcessProbe) -> None:
    """Allocated blocks grow by at least the number of live small objects."""
    before = probe.read().blocks
    objs = [object() for _ in range(100_000)]
    after = probe.read().blocks
    del objs
    assert after - before >= 100_000


@needs_proc
def test_forked_child_reads_its_own_statm(tmp_path: Path) -> None:
    """After fork() the probe reopens statm, so the child sees its own growth, not its parent's."""
    script = tmp_path / "fork_child.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, sys
            from leakguard._census.procmem import ProcessProbe
            probe = ProcessProbe()
            base = probe.read().rss
            pid = os.fork()
            if pid == 0:
                buf = bytearray(80 << 20)
                buf[::4096] = b"\\x01" * len(range(0, len(buf), 4096))
                grew = probe.read().rss - base
                os._exit(0 if grew >= 60 << 20 else 1)
            _, status = os.waitpid(pid, 0)
            print("child", os.waitstatus_to_exitcode(status))
            print("parent", probe.read().rss - base < 60 << 20)
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    assert out == ["child", "0", "parent", "True"]


@needs_proc
def test_fork_while_another_thread_holds_the_probe_lock(tmp_path: Path) -> None:
    """A child forked while a thread holds the probe's lock still reads (no deadlock)."""
    script = tmp_path / "fork_locked.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, signal, threading
            from leakguard._census.procmem import ProcessProbe
            probe = ProcessProbe()
            held, release = threading.Event(), threading.Event()
            def hold():
                with probe._lock:
                    held.set()
                    release.wait()
            threading.Thread(target=hold).start()
            held.wait()
            pid = os.fork()
            if pid == 0:
                signal.alarm(10)
                os._exit(0 if probe.read().rss > 0 else 1)
            _, status = os.waitpid(pid, 0)
            release.set()
            print(os.waitstatus_to_exitcode(status))
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.split() == ["0"]


def test_missing_statm_never_raises(tmp_path: Path) -> None:
    """Without a statm file the probe falls back (psutil or 0) and still reads blocks."""
    p = ProcessProbe(statm=str(tmp_path / "absent"), proc_cgroup=str(tmp_path / "absent"))
    try:
        value = p.read()
    finally:
        p.close()
    assert value.blocks > 0
    assert value.cgroup_usage is None and value.cgroup_limit is None


def test_psutil_fallback_reads_rss_where_statm_is_missing(tmp_path: Path) -> None:
    """psutil supplies RSS when /proc cannot be read."""
    pytest.importorskip("psutil")
    p = ProcessProbe(statm=str(tmp_path / "absent"))
    try:
        assert p.read().rss > MB
    finally:
        p.close()


def test_read_after_close_reopens(probe: ProcessProbe) -> None:
    """A closed probe opens its files again on the next read."""
    probe.read()
    probe.close()
    assert probe.read().blocks > 0


# --- cgroup parsing on fake hierarchies ---------------------------------------


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _fake_probe(tmp_path: Path) -> Process:
    p = ProcessProbe(proc_cgroup=str(tmp_path / "cgroup"), cgroup_root=str(tmp_path / "fs"))
    try:
        return p.read()
    finally:
        p.close()


def test_cgroup_v2_usage_and_limit(tmp_path: Path) -> None:
    """cgroup v2: memory.current and memory.max of the listed cgroup are read."""
    _write(tmp_path / "cgroup", "0::/app.slice/web\n")
    _write(tmp_path / "fs/app.slice/web/memory.current", "123456\n")
    _write(tmp_path / "fs/app.slice/web/memory.max", "1000000\n")
    value = _fake_probe(tmp_path)
    assert (value.cgroup_usage, value.cgroup_limit) == (123456, 1000000)


def test_cgroup_v2_max_means_no_limit(tmp_path: Path) -> None:
    """cgroup v2: a limit of "max" is reported as None."""
    _write(tmp_path / "cgroup", "0::/web\n")
    _write(tmp_path / "fs/web/memory.current", "4096\n")
    _write(tmp_path / "fs/web/memory.max", "max\n")
    value = _fake_probe(tmp_path)
    assert (value.cgroup_usage, value.cgroup_limit) == (4096, None)


def test_cgroup_v2_limit_inherited_from_a_parent(tmp_path: Path) -> None:
    """cgroup v2: a tighter limit on a parent cgroup is the effective limit."""
    _write(tmp_path / "cgroup", "0::/app.slice/web\n")
    _write(tmp_path / "fs/app.slice/memory.max", "2000\n")
    _write(tmp_path / "fs/app.slice/web/memory.current", "100\n")
    _write(tmp_path / "fs/app.slice/web/memory.max", "max\n")
    assert _fake_probe(tmp_path).cgroup_limit == 2000


def test_cgroup_v1_usage_and_limit(tmp_path: Path) -> None:
    """cgroup v1: memory.usage_in_bytes and memory.limit_in_bytes under the memory controller."""
    _write(tmp_path / "cgroup", "5:cpu,cpuacct:/x\n4:memory:/docker/abc\n0::/\n")
    _write(tmp_path / "fs/memory/docker/abc/memory.usage_in_bytes", "777\n")
    _write(tmp_path / "fs/memory/docker/abc/memory.limit_in_bytes", "536870912\n")
    value = _fake_probe(tmp_path)
    assert (value.cgroup_usage, value.cgroup_limit) == (777, 536870912)


def test_cgroup_v1_huge_limit_means_no_limit(tmp_path: Path) -> None:
    """cgroup v1: the page-rounded 2**63 "unlimited" value is reported as None."""
    _write(tmp_path / "cgroup", "4:memory:/\n")
    _write(tmp_path / "fs/memory/memory.usage_in_bytes", "777\n")
    _write(tmp_path / "fs/memory/memory.limit_in_bytes", "9223372036854771712\n")
    value = _fake_probe(tmp_path)
    assert (value.cgroup_usage, value.cgroup_limit) == (777, None)


def test_cgroup_path_not_mounted_falls_back_to_the_mount_root(tmp_path: Path) -> None:
    """Inside a container the listed host path is absent; the mount root is the cgroup."""
    _write(tmp_path / "cgroup", "4:memory:/kubepods/pod1/c1\n")
    _write(tmp_path / "fs/memory/memory.usage_in_bytes", "5\n")
    _write(tmp_path / "fs/memory/memory.limit_in_bytes", "10\n")
    files = find_cgroup(str(tmp_path / "cgroup"), str(tmp_path / "fs"))
    assert files is not None and files.usage == str(tmp_path / "fs/memory/memory.usage_in_bytes")


def test_no_memory_controller_gives_none(tmp_path: Path) -> None:
    """Without any memory accounting file the cgroup fields are None."""
    _write(tmp_path / "cgroup", "0::/\n1:cpu:/\n")
    (tmp_path / "fs").mkdir()
    value = _fake_probe(tmp_path)
    assert (value.cgroup_usage, value.cgroup_limit) == (None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("42\n", 42), (b"42\n", 42), ("max\n", None), ("", None), ("-1", None), (str(1 << 62), None)],
)
def test_parse_bytes(text: str | bytes, expected: int | None) -> None:
    """Byte counts parse to ints; "max", garbage and huge values to None."""
    assert parse_bytes(text) == expected


# --- gc churn ----------------------------------------------------------------------


def test_gc_watcher_counts_a_full_collection_of_cycles() -> None:
    """A gc.collect() of 1000 two-object cycles is counted with what it reclaimed."""
    gc.collect()
    watcher = GcWatcher()
    watcher.install()
    enabled = gc.isenabled()
    # Automatic young collections would reclaim some cycles before the full one.
    gc.disable()
    try:
        before = watcher.read()
        _make_cycles(1000)
        gc.collect()
        after = watcher.read()
    finally:
        if enabled:
            gc.enable()
        watcher.uninstall()
    assert after.collections[2] - before.collections[2] >= 1
    assert after.collected - before.collected >= 2000
    assert after.last_full_collected >= 2000
    assert after.seconds > before.seconds


def test_gc_watcher_uninstall_restores_callbacks_exactly() -> None:
    """Uninstall removes only the watcher's callback; others keep their order."""

    def first(phase: str, info: dict[str, int]) -> None:
        pass

    def last(phase: str, info: dict[str, int]) -> None:
        pass

    gc.callbacks.append(first)
    watcher = GcWatcher()
    watcher.install()
    gc.callbacks.append(last)
    before_uninstall = [cb for cb in gc.callbacks if cb is not watcher._callback]
    watcher.uninstall()
    assert len(gc.callbacks) == len(before_uninstall)
    assert all(a is b for a, b in zip(gc.callbacks, before_uninstall))
    gc.callbacks.remove(first)
    gc.callbacks.remove(last)


def test_gc_watcher_install_is_idempotent() -> None:
    """Installing twice appends the callback once."""
    before = len(gc.callbacks)
    watcher = GcWatcher()
    watcher.install()
    watcher.install()
    try:
        assert len(gc.callbacks) == before + 1
    finally:
        watcher.uninstall()
    assert len(gc.callbacks) == before


def test_gc_watcher_counts_collections_without_a_callback() -> None:
    """Without install() collections are still counted from gc.get_stats(), but not timed."""
    callbacks = list(gc.callbacks)
    watcher = GcWatcher()
    first = watcher.read()
    gc.collect()
    second = watcher.read()
    assert first.collections == (0, 0, 0)
    assert second.collections[2] >= 1
    assert second.seconds == 0.0
    assert gc.callbacks == callbacks


def test_gc_watcher_reset_starts_a_new_baseline() -> None:
    """After reset() only the collections that follow are counted."""
    watcher = GcWatcher()
    watcher.install()
    try:
        gc.collect()
        watcher.reset()
        fresh = watcher.read()
        gc.collect()
        later = watcher.read()
    finally:
        watcher.uninstall()
    assert fresh.collections[2] == 0 and fresh.seconds == 0.0
    assert later.collections[2] >= 1 and later.seconds > 0.0


def test_gc_watcher_reads_gc_garbage_length() -> None:
    """Objects kept in gc.garbage (DEBUG_SAVEALL) show in the garbage count."""
    gc.collect()
    flags = gc.get_debug()
    watcher = GcWatcher()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        _make_cycles(10)
        gc.collect()
        assert watcher.read().garbage >= 20
    finally:
        gc.set_debug(flags)
        gc.garbage.clear()


# --- fds and threads -------------------------------------------------------------


@pytest.mark.skipif(count_fds() < 0, reason="no fd directory")
def test_fds_rise_and_fall_with_open_files(tmp_path: Path) -> None:
    """Opening N files adds N fds; closing them takes them away."""
    before = count_fds()
    files = [open(tmp_path / f"f{i}", "w") for i in range(7)]
    during = count_fds()
    for f in files:
        f.close()
    assert during - before == 7
    assert count_fds() == before


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_fds_counted_by_listing_match_the_fast_path() -> None:
    """The count read from an explicit listing equals the default (possibly stat-based) count."""
    assert count_fds("/proc/self/fd") == count_fds()


def test_threads_rise_with_started_unjoined_threads() -> None:
    """Started threads that are not joined are counted until they end."""
    release = threading.Event()
    before = read_resources().threads
    threads = [threading.Thread(target=release.wait) for _ in range(5)]
    for t in threads:
        t.start()
    try:
        during = read_resources().threads
    finally:
        release.set()
        for t in threads:
            t.join()
    assert during - before == 5
    assert read_resources().threads == before


def test_threads_started_without_threading_are_counted() -> None:
    """A thread from _thread.start_new_thread, unknown to threading, is counted."""
    started, release, done = threading.Event(), threading.Event(), threading.Event()

    def body() -> None:
        started.set()
        release.wait()
        done.set()

    before = count_threads()
    _thread.start_new_thread(body, ())
    started.wait()
    during = count_threads()
    release.set()
    done.wait()
    assert during - before == 1


# --- asyncio tasks ---------------------------------------------------------------


def test_pending_tasks_counted_inside_a_running_loop() -> None:
    """Tasks waiting on an event are pending, seen from inside the loop."""

    async def main() -> tuple[int, int]:
        gate = asyncio.Event()
        base = read_resources().tasks_pending
        tasks = [asyncio.create_task(gate.wait()) for _ in range(6)]
        await asyncio.sleep(0)
        seen = read_resources().tasks_pending
        gate.set()
        await asyncio.gather(*tasks)
        return base, seen

    base, seen = asyncio.run(main())
    assert seen - base == 6


def test_pending_tasks_of_a_loop_in_another_thread_are_counted() -> None:
    """Tasks of a loop running in another thread are seen from this one."""
    ready, release = threading.Event(), threading.Event()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        gate = asyncio.Event()
        tasks = [asyncio.create_task(gate.wait()) for _ in range(4)]
        await asyncio.sleep(0)
        ready.set()
        await loop.run_in_executor(None, release.wait)
        gate.set()
        await asyncio.gather(*tasks)

    before = read_resources().tasks_pending
    worker = threading.Thread(target=asyncio.run, args=(main(),))
    worker.start()
    ready.wait()
    during = read_resources().tasks_pending
    release.set()
    worker.join()
    # the four waiters and main() itself
    assert during - before == 5


def test_done_tasks_kept_in_a_list_are_counted() -> None:
    """Finished tasks that are still referenced count as done, not pending."""
    kept: list[asyncio.Task[int]] = []

    async def work(i: int) -> int:
        return i

    async def main() -> None:
        kept.extend(asyncio.create_task(work(i)) for i in range(9))
        await asyncio.gather(*kept)

    base = read_resources().tasks_done
    asyncio.run(main())
    value = read_resources()
    assert value.tasks_done - base == 9
    kept.clear()
    gc.collect()
    assert read_resources().tasks_done == base


def test_done_tasks_from_the_census_when_no_registry_lists_them() -> None:
    """Live Task objects from the census beyond the pending ones are counted as done."""
    census = Census(
        types={"_asyncio.Task": (30, 0), "asyncio.tasks.Task": (2, 0)}, containers=(), objects=32
    )
    base = read_resources()
    assert read_resources(census).tasks_done == max(base.tasks_done, 32 - base.tasks_pending)


def test_task_done_override_is_never_called() -> None:
    """A Task subclass whose done() raises is still counted, without calling it."""

    class Hostile(asyncio.Task):  # type: ignore[type-arg]
        def done(self) -> bool:
            raise AssertionError("user code called")

    async def main() -> int:
        gate = asyncio.Event()
        task = Hostile(gate.wait())
        await asyncio.sleep(0)
        seen = read_resources().tasks_pending
        gate.set()
        await task
        # asyncio.run() itself calls done() on the tasks still alive at its end.
        del task
        gc.collect()
        return seen

    base = read_resources().tasks_pending
    assert asyncio.run(main()) - base == 2


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in 3.12")
def test_eagerly_completed_tasks_are_counted_through_the_census() -> None:
    """Tasks that finish eagerly are in no registry; the census still finds them as done."""
    kept: list[asyncio.Task[int]] = []

    async def work(i: int) -> int:
        return i

    async def main() -> None:
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
        kept.extend(asyncio.create_task(work(i)) for i in range(8))

    base = read_resources(take_census()).tasks_done
    asyncio.run(main())
    assert read_resources(take_census()).tasks_done - base == 8
    kept.clear()


def test_gc_watcher_counts_collections_triggered_in_other_threads() -> None:
    """A full collection run by another thread is counted and timed."""
    watcher = GcWatcher()
    watcher.install()
    try:
        before = watcher.read()
        worker = threading.Thread(target=gc.collect)
        worker.start()
        worker.join()
        after = watcher.read()
    finally:
        watcher.uninstall()
    assert after.collections[2] - before.collections[2] >= 1
    assert after.seconds > before.seconds


def test_importing_the_probes_does_nothing() -> None:
    """Importing the probe modules adds no gc callback, thread or open file."""
    script = textwrap.dedent(
        """
        import gc, os, threading
        fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0
        state = (len(gc.callbacks), threading.active_count())
        import leakguard._census.procmem, leakguard._census.gcwatch, leakguard._census.resources
        after_fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0
        print(state == (len(gc.callbacks), threading.active_count()) and fds == after_fds)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.split() == ["True"]
