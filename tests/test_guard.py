"""The Guard on real objects, real threads and real processes."""

from __future__ import annotations

import gc
import logging
import subprocess
import sys
import textwrap
import threading
import weakref

import pytest

import leakguard
from leakguard import Guard, Report, _forking


class OrderDTO:
    """A leaked object in these tests."""

    def __init__(self, n: int) -> None:
        self.n = n


class Healthy:
    """An object that only ever lives for one request."""


def _serve(requests: int, kept: list[object] | None) -> None:
    """One batch of work: temporaries, and a leak when ``kept`` is a list."""
    for i in range(requests):
        temporaries = [Healthy() for _ in range(i % 7)]
        del temporaries
        if kept is not None:
            kept.append(OrderDTO(i))


def _run(guard: Guard, samples: int, kept: list[object] | None) -> int | None:
    """Sample after each batch; return the index of the first sample with a suspect."""
    for i in range(samples):
        _serve(20, kept)
        guard.tick(20)
        guard.sample()
        if guard.suspects():
            return i
    return None


def test_manual_guard_catches_a_leak_of_real_objects() -> None:
    """A list that keeps every OrderDTO is caught, and OrderDTO is the top suspect."""
    kept: list[object] = []
    with Guard(interval=None, evidence=False) as g:
        found = _run(g, 30, kept)
        top = g.suspects()[0]
    assert found is not None and found < 12
    assert (top.kind, top.name) == ("type", f"{__name__}.OrderDTO")
    assert top.rate_per_work == pytest.approx(1.0)


def test_manual_guard_stays_quiet_on_a_healthy_workload() -> None:
    """Temporaries that die with each request are never reported."""
    with Guard(interval=None, evidence=False) as g:
        assert _run(g, 40, None) is None


def test_manual_guard_starts_no_thread() -> None:
    """Guard(interval=None) samples in the caller's thread only."""
    before = threading.active_count()
    g = Guard(interval=None, evidence=False)
    g.sample()
    assert threading.active_count() == before and not g.running


def test_hooks_get_a_report_once_per_new_leak() -> None:
    """A hook is called once for the new leak, with a Report naming it."""
    calls: list[Report] = []
    kept: list[object] = []
    with Guard(interval=None, evidence=False) as g:
        g.on_leak(calls.append)
        _run(g, 12, kept)
        for _ in range(5):
            _serve(20, kept)
            g.sample()
    assert len(calls) == 1
    assert ("type", f"{__name__}.OrderDTO") in calls[0].new
    assert "OrderDTO" in calls[0].to_text()


def test_a_raising_hook_is_logged_and_isolated(caplog: pytest.LogCaptureFixture) -> None:
    """A hook that raises is logged on 'leakguard' and the next hook still runs."""
    seen: list[Report] = []

    def broken(report: Report) -> None:
        raise RuntimeError("hook bug")

    with Guard(interval=None, evidence=False) as g:
        g.on_leak(broken)
        g.on_leak(seen.append)
        with caplog.at_level(logging.WARNING, logger="leakguard"):
            _run(g, 15, [])
    assert seen and "hook bug" in caplog.text


def test_new_suspects_are_logged_at_warning(caplog: pytest.LogCaptureFixture) -> None:
    """Each new suspect is logged once at WARNING on the 'leakguard' logger."""
    with Guard(interval=None, evidence=False) as g, caplog.at_level(logging.WARNING, "leakguard"):
        _run(g, 15, [])
    lines = [r for r in caplog.records if "possible leak" in r.getMessage()]
    assert lines and "OrderDTO" in lines[0].getMessage()


@pytest.mark.parametrize("verify", [True, False])
def test_uncollected_cyclic_garbage_is_not_reported(verify: bool) -> None:
    """Uncollected cycles climb; one verifying collection shows they are garbage."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        with Guard(interval=None, evidence=False, verify_gc=verify) as g:
            for _ in range(25):
                for _ in range(50):
                    a: list[object] = []
                    a.append(a)
                g.sample()
            names = [s.name for s in g.suspects()]
    finally:
        if was_enabled:
            gc.enable()
    assert ("builtins.list" in names) is not verify


def test_gc_freeze_rebaselines_instead_of_alarming() -> None:
    """Objects hidden by gc.freeze() make a new baseline, not a suspect."""
    kept = []
    try:
        with Guard(interval=None, evidence=False) as g:
            for i in range(12):
                g.sample()
                if i == 6:
                    kept = [OrderDTO(k) for k in range(50_000)]
                    gc.freeze()
            assert g.suspects() == []
    finally:
        gc.unfreeze()
    del kept


def test_thread_mode_names_its_daemon_thread_and_stops_it() -> None:
    """start() runs a daemon thread named 'leakguard'; stop() joins it."""
    g = Guard(interval=0.05, evidence=False)
    g.start()
    thread = g._thread
    assert thread is not None and thread.name == "leakguard" and thread.daemon
    g.stop()
    assert not thread.is_alive() and not g.running


def test_start_and_stop_are_idempotent() -> None:
    """start() twice keeps one thread; stop() twice is harmless."""
    g = Guard(interval=0.05, evidence=False)
    g.start()
    thread = g._thread
    g.start()
    assert g._thread is thread
    g.stop()
    g.stop()


def test_stop_restores_gc_callbacks() -> None:
    """The guard's gc callback is gone after stop(); others are untouched."""
    before = list(gc.callbacks)
    g = Guard(interval=0.05, evidence=False).start()
    assert len(gc.callbacks) == len(before) + 1
    g.stop()
    assert gc.callbacks == before


def test_process_wide_guard_catches_a_leaking_service() -> None:
    """leakguard.start() in thread mode calls the hook for a leak in a running service."""
    caught = threading.Event()
    kept: list[object] = []
    stop = threading.Event()

    def service() -> None:
        while not stop.is_set():
            _serve(20, kept)
            leakguard.tick(20)
            stop.wait(0.005)

    hook = leakguard.on_leak(lambda report: caught.set())
    worker = threading.Thread(target=service)
    worker.start()
    try:
        leakguard.start(interval=0.02, budget=0.5, evidence=False)
        assert caught.wait(timeout=60)
    finally:
        stop.set()
        worker.join()
        leakguard.stop()
        leakguard._api._hooks.remove(hook)


def test_eight_allocating_threads_do_not_disturb_sampling() -> None:
    """Samples taken while eight threads allocate and free never fail."""
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            junk = [{"k": [i]} for i in range(200)]
            del junk

    workers = [threading.Thread(target=churn) for _ in range(8)]
    for w in workers:
        w.start()
    try:
        with Guard(interval=None, evidence=False) as g:
            snaps = [g.sample() for _ in range(15)]
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert [s.index for s in snaps] == list(range(15))
    assert all(s.census is not None and s.census.objects > 0 for s in snaps[-1:])


def test_hostile_objects_do_not_disturb_a_sample() -> None:
    """Objects whose __class__, __repr__, __eq__, __hash__ or __del__ misbehave are counted."""

    class Liar:
        @property  # type: ignore[misc]
        def __class__(self) -> type:
            raise RuntimeError("__class__ was read")

        def __repr__(self) -> str:
            raise RuntimeError("__repr__ was called")

        def __eq__(self, other: object) -> bool:
            raise RuntimeError("__eq__ was called")

        def __hash__(self) -> int:
            raise RuntimeError("__hash__ was called")

        def __del__(self) -> None:
            _ = [object() for _ in range(10)]

    liars = [Liar() for _ in range(100)]
    with Guard(interval=None) as g:
        snap = g.sample()
    assert snap.census is not None
    assert snap.census.types[f"{__name__}.{Liar.__qualname__}"][0] == 100
    del liars


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_interpreter_exits_quietly_with_the_guard_running() -> None:
    """A program that exits with the guard's thread running prints nothing and exits 0."""
    done = _python(
        """
        import leakguard, time
        leakguard.start(interval=0.01)
        junk = [dict(a=i) for i in range(100000)]
        time.sleep(0.2)
        """
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_forked_child_gets_a_fresh_guard() -> None:
    """After os.fork() the child's guard starts a new baseline and a thread of its own."""
    done = _python(
        """
        import os, time, leakguard
        g = leakguard.start(interval=0.01, budget=0.5)
        deadline = time.monotonic() + 60
        while g._index <= 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert g._index > 3
        pid = os.fork()
        if pid == 0:
            leakguard.tick()
            ok = g._index <= 1 and g._pid == os.getpid()
            deadline = time.monotonic() + 60
            while g._index <= 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            ok = ok and g.running and g._index > 1
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        leakguard.stop()
        print(os.waitstatus_to_exitcode(status))
        """
    )
    assert done.stdout.strip() == "0", done.stderr


def test_import_has_no_side_effects() -> None:
    """import leakguard starts no thread, no tracemalloc, no gc callback."""
    done = _python(
        """
        import gc, threading, tracemalloc
        before = (threading.active_count(), tracemalloc.is_tracing(), len(gc.callbacks))
        import leakguard
        after = (threading.active_count(), tracemalloc.is_tracing(), len(gc.callbacks))
        print(before == after)
        """
    )
    assert done.stdout.strip() == "True", done.stderr


def test_samples_are_spaced_to_stay_within_the_budget() -> None:
    """Over budget the guard waits until its share of wall time is back to the budget."""
    g = Guard(interval=2.0, budget=0.01)
    g._pause_total = 0.5  # 0.5 s paused needs 50 s of life at 1%
    assert 45.0 < g._next_delay() <= 50.0
    g._pause_total = 0.001
    assert g._next_delay() == 2.0


def test_snapshot_dir_receives_snapshots_and_reports(tmp_path: pytest.TempPathFactory) -> None:
    """With snapshot_dir set, each sample and each new leak's report are written there."""
    from leakguard._files.store import load

    out = tmp_path / "snaps"  # type: ignore[operator]
    with Guard(interval=None, evidence=False, snapshot_dir=str(out)) as g:
        _run(g, 15, [])
    names = sorted(p.name for p in out.iterdir())
    assert any("report" in n for n in names)
    assert len(load(out)) >= 10


def test_an_unusable_snapshot_dir_is_a_clear_error(tmp_path: pytest.TempPathFactory) -> None:
    """A snapshot_dir that cannot be a directory is rejected when the guard is made."""
    blocker = tmp_path / "file"  # type: ignore[operator]
    blocker.write_text("not a directory")
    with pytest.raises(ValueError, match=r"option 'snapshot_dir' .* not a usable directory"):
        Guard(interval=None, snapshot_dir=str(blocker / "sub"))


def test_a_snapshot_dir_lost_while_running_is_logged_not_raised(
    tmp_path: pytest.TempPathFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """When the snapshot_dir disappears under a running guard, it logs and keeps sampling."""
    import shutil

    out = tmp_path / "snaps"  # type: ignore[operator]
    with Guard(interval=None, evidence=False, snapshot_dir=str(out)) as g:
        g.sample()
        shutil.rmtree(out)
        out.write_text("now a file")
        with caplog.at_level(logging.WARNING, "leakguard"):
            g.sample()
            g.sample()
    assert "cannot write" in caplog.text


def test_a_failing_census_does_not_raise_from_sample() -> None:
    """When the census raises (e.g. MemoryError), sample() keeps the process signals."""

    def starving(top: int) -> leakguard.Census:
        raise MemoryError

    g = Guard(interval=None, evidence=False, census=starving)
    snap = g.sample()
    assert snap.census is None and snap.process.rss > 0


def test_memory_the_census_takes_is_not_in_the_sample_it_belongs_to() -> None:
    """Process memory is read before the census: 64 MiB the census holds is not in the rss."""
    held: list[bytearray] = []
    before: list[int] = []

    def hungry(top: int) -> leakguard.Census:
        before.append(leakguard.Guard(interval=None, evidence=False).sample().process.rss)
        held.append(bytearray(b"x" * (64 << 20)))  # written: resident, not only reserved
        return leakguard.take_census(top)

    g = Guard(interval=None, evidence=False, census=hungry)
    snap = g.sample()
    assert snap.census is not None
    assert snap.process.rss < before[0] + (32 << 20)


def test_fork_hooks_run_once_each_and_never_keep_their_guard() -> None:
    """A guard registered twice is restarted once in a child; a guard that is gone, not at all."""
    calls: list[str] = []

    class Forked:
        def __init__(self, name: str) -> None:
            self.name = name

        def forked(self) -> None:
            calls.append(self.name)

    kept, dropped = Forked("kept"), Forked("dropped")
    _forking.after_fork_in_child(kept.forked)
    _forking.after_fork_in_child(kept.forked)
    _forking.after_fork_in_child(dropped.forked)
    ref = weakref.ref(dropped)
    del dropped
    assert ref() is None
    _forking._in_child()
    assert calls == ["kept"]
