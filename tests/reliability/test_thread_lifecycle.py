"""The sampling thread: it survives its hooks and options, is never doubled, and stops fast."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from leakguard import Guard, Report
from leakguard._model.snapshot import Census

WAIT = 60.0  # generous: the machine is shared, and a wait only ends early on success


class Hostile(BaseException):
    """A BaseException that is neither SystemExit nor KeyboardInterrupt."""


def climbing(gate: Callable[[], None] | None = None) -> Callable[[int], Census]:
    """A census whose one type climbs by 100 objects a sample, so a hook fires within ~11."""
    counter = itertools.count()

    def census(top: int) -> Census:
        if gate is not None:
            gate()
        k = 1000 + 100 * next(counter)
        return Census(types={"shop.OrderDTO": (k, 56 * k)}, containers=(), objects=k)

    return census


def guard(**options: object) -> Guard:
    """A thread-mode guard over a climbing census: fast, quiet, no evidence."""
    options.setdefault("census", climbing())
    return Guard(interval=0.01, budget=0.5, evidence=False, verify_gc=False, log=False, **options)


def sampler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "leakguard" and t.is_alive()]


def wait_for(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


@pytest.fixture
def released() -> Iterator[threading.Event]:
    """An event that blocked hooks wait on; set at teardown so no thread outlives a test."""
    event = threading.Event()
    yield event
    event.set()
    assert wait_for(lambda: not sampler_threads())


@pytest.mark.parametrize(
    "exc", [SystemExit(3), KeyboardInterrupt(), Hostile("x"), RuntimeError("x"), GeneratorExit()]
)
def test_the_thread_survives_whatever_a_hook_raises(
    exc: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    """A hook raising SystemExit, KeyboardInterrupt, any BaseException is logged; it samples on."""
    fired = threading.Event()

    def hook(report: Report) -> None:
        fired.set()
        raise exc

    g = guard()
    g.on_leak(hook)
    with caplog.at_level(logging.ERROR, "leakguard"):
        g.start()
        try:
            assert fired.wait(WAIT)
            at_hook = g._index
            assert wait_for(lambda: g._index > at_hook + 3)
            assert g.running
        finally:
            g.stop()
    assert type(exc).__name__ in caplog.text and "hook" in caplog.text


def test_a_manual_sample_lets_ctrl_c_from_a_hook_through() -> None:
    """In the caller's own thread a hook's KeyboardInterrupt is the caller's to handle."""

    def hook(report: Report) -> None:
        raise KeyboardInterrupt

    g = Guard(interval=None, evidence=False, verify_gc=False, log=False, census=climbing())
    g.on_leak(hook)
    with pytest.raises(KeyboardInterrupt):
        for _ in range(40):
            g.sample()
    g.stop()


def test_the_longest_wait_never_overflows() -> None:
    """A delay past what Event.wait() accepts (inf, 1e300) is waited in capped steps."""
    g = guard()
    g._next_delay = lambda: float("inf")  # type: ignore[method-assign]
    g.start()
    try:
        assert wait_for(lambda: g._index >= 1)
        time.sleep(0.05)
        assert g.running and g._index == 1
    finally:
        started = time.monotonic()
        g.stop()
    assert time.monotonic() - started < WAIT / 4 and not g.running


@pytest.mark.parametrize("delay", [float("nan"), -1.0, 1e300])
def test_an_odd_delay_is_bounded(delay: float) -> None:
    """nan, negative and huge delays become a wait the thread can make and stop from."""
    g = guard()
    g._next_delay = lambda: delay  # type: ignore[method-assign]
    g.start()
    try:
        assert wait_for(lambda: g._index >= 1) and g.running
    finally:
        g.stop()
    assert not g.running


def test_a_thread_that_cannot_go_on_says_so_and_reports_not_running(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failure outside a sample ends the thread with a log line; running is False; gc restored."""
    g = guard()

    def broken() -> float:
        raise RuntimeError("scheduler bug")

    g._next_delay = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, "leakguard"):
        g.start()
        thread = g._thread
        assert thread is not None
        thread.join(WAIT)
    assert not thread.is_alive() and not g.running
    assert "sampling thread stopped" in caplog.text and "scheduler bug" in caplog.text
    assert not g._gc.installed
    g.stop()


def test_stop_returns_within_a_second_while_a_hook_blocks(released: threading.Event) -> None:
    """stop() does not wait for a hook that blocks; the thread never samples again."""
    in_hook = threading.Event()

    def hook(report: Report) -> None:
        in_hook.set()
        released.wait(WAIT)

    g = guard()
    g.on_leak(hook)
    g.start()
    assert in_hook.wait(WAIT)
    started = time.monotonic()
    g.stop()
    took = time.monotonic() - started
    assert took < 3.0  # the promise is 1 s; the margin is for a loaded machine
    assert not g.running
    at_stop = g._index
    released.set()
    assert wait_for(lambda: not sampler_threads())
    assert g._index == at_stop and not g._gc.installed


def test_stop_returns_within_a_second_during_a_slow_census(released: threading.Event) -> None:
    """A census still running at stop() is not waited for; the thread restores gc when done."""
    slow = threading.Event()

    def gate() -> None:
        if slow.is_set():
            released.wait(WAIT)

    g = guard(census=climbing(gate))
    g.start()
    assert wait_for(lambda: g._index >= 2)
    slow.set()
    time.sleep(0.1)
    started = time.monotonic()
    g.stop()
    assert time.monotonic() - started < 3.0
    released.set()
    assert wait_for(lambda: not sampler_threads())
    assert not g._gc.installed and not g.running


def test_stop_then_start_while_a_hook_runs_keeps_one_thread(released: threading.Event) -> None:
    """start() right after a stop() that left a hook running takes that thread back: one thread."""
    in_hook = threading.Event()

    def hook(report: Report) -> None:
        in_hook.set()
        released.wait(WAIT)

    g = guard()
    g.on_leak(hook)
    g.start()
    assert in_hook.wait(WAIT)
    g.stop()
    g.start()
    assert len(sampler_threads()) == 1 and g.running
    released.set()
    at_release = g._index
    assert wait_for(lambda: g._index > at_release + 3)
    assert len(sampler_threads()) == 1
    g.stop()
    assert wait_for(lambda: not sampler_threads())


def test_stop_and_start_from_inside_a_hook() -> None:
    """A hook may stop the guard, or stop and restart it, without a second thread."""
    calls: list[int] = []

    def hook(report: Report) -> None:
        calls.append(1)
        g.stop()
        if len(calls) == 1:
            g.start()

    g = guard()
    g.on_leak(hook)
    g.start()
    assert wait_for(lambda: len(calls) >= 1)
    assert len(sampler_threads()) <= 1
    g.stop()
    assert wait_for(lambda: not sampler_threads())
    assert not g._gc.installed


def test_racing_start_and_stop_never_sample_twice_at_once() -> None:
    """Eight threads racing start()/stop(): the census never runs in two threads at once."""
    lock = threading.Lock()
    active = [0, 0]  # now, most ever

    def gate() -> None:
        with lock:
            active[0] += 1
            active[1] = max(active[1], active[0])
        time.sleep(0.001)
        with lock:
            active[0] -= 1

    g = guard(census=climbing(gate))

    def churn(seed: int) -> None:
        for i in range(40):
            (g.start if (i + seed) % 3 else g.stop)()

    workers = [threading.Thread(target=churn, args=(n,)) for n in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(WAIT)
    g.stop()
    assert wait_for(lambda: not sampler_threads())
    assert active[1] == 1 and not g._gc.installed
