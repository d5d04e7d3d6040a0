"""The repetition engine: what it calls a leak, what it does not, and what it leaves behind."""

from __future__ import annotations

import functools
import gc
import itertools
import threading
import tracemalloc
import warnings

import pytest

from leakguard._repeat.engine import Phase, RepeatOptions, Repetition, run_repeated
from leakguard._repeat.report import headline, to_report


class OrderDTO:
    def __init__(self, n: int) -> None:
        self.n = n


class Slotted:
    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n


_held: list[object] = []
_texts: list[str] = []
_memo: dict[int, OrderDTO] = {}


@pytest.fixture(autouse=True)
def _empty_globals():
    yield
    _held.clear()
    _texts.clear()
    _memo.clear()


def check(call, **options):
    return run_repeated(call, RepeatOptions(**options))[1]


def test_growth_on_every_run_is_a_leak_with_its_series():
    """One object kept per call is reported with one per run in every measured run."""
    verdict = check(lambda: _held.append(OrderDTO(1)))
    assert verdict.leaked
    first = verdict.growths[0]
    assert first.name == f"{__name__}.OrderDTO"
    assert set(first.per_run) == {1}
    assert len(first.per_run) == 3 + 3  # measured + traced runs


def test_leak_report_names_holder():
    """The report says which module global holds the leaked objects."""
    verdict = check(lambda: _held.append(OrderDTO(1)))
    path = verdict.growths[0].path
    assert path[0].startswith(__name__)
    assert "_held" in path[1]


def test_leak_report_has_allocation_site():
    """The traced runs name the line that allocated the leaked objects."""
    verdict = check(lambda: _held.append(Slotted(1)))
    sites = verdict.growths[0].sites
    assert sites and sites[0].filename == __file__


def test_headline_reads_like_a_sentence():
    """The headline gives the count per run, the short type name and the series."""
    verdict = check(lambda: _held.append(Slotted(1)))
    assert headline("t.py::test_x", verdict).startswith("t.py::test_x leaked 1 Slotted per run [1")


def test_clean_function_is_not_a_leak():
    """Temporaries that die with the call are not growth."""
    verdict = check(lambda: [OrderDTO(i) for i in range(1000)])
    assert not verdict.leaked and verdict.growths == ()


def test_memo_filled_on_first_call_is_not_a_leak():
    """A cache that fills during warm-up and then stays level is not a leak."""
    verdict = check(lambda: _memo.setdefault(1, OrderDTO(1)))
    assert not verdict.leaked


def test_bounded_lru_cache_is_not_a_leak():
    """A bounded lru_cache called with the same arguments is level after warm-up."""

    @functools.lru_cache(maxsize=8)
    def cached(n: int) -> list[int]:
        return [n]

    verdict = check(lambda: [cached(i) for i in range(20)])
    assert not verdict.leaked


def test_bounded_lru_cache_fed_a_new_key_each_call_is_not_a_leak():
    """Results that only an lru_cache with a maxsize holds are bounded, however slowly it fills."""
    keys = itertools.count()

    @functools.lru_cache(maxsize=64)
    def parsed(key: int) -> OrderDTO:
        return OrderDTO(key)

    assert not check(lambda: parsed(next(keys))).leaked


def test_unbounded_lru_cache_fed_a_new_key_each_call_is_a_leak():
    """An lru_cache without a maxsize keeps every result: that growth is a leak."""
    keys = itertools.count()

    @functools.cache
    def parsed(key: int) -> OrderDTO:
        return OrderDTO(key)

    assert check(lambda: parsed(next(keys))).leaked


def test_untracked_strings_are_a_memory_leak_with_site():
    """Strings kept per call are seen through allocated blocks and located by tracemalloc."""
    verdict = check(lambda: _texts.append("y" * 500 + str(len(_texts))))
    assert verdict.leaked
    growth = verdict.growths[0]
    assert growth.kind == "memory"
    assert growth.sites and growth.sites[0].filename == __file__


def test_strings_released_by_cleanup_after_finish_are_not_a_memory_leak():
    """Strings that the cleanup releases after finish() closed the window are not a leak."""
    per_test: list[str] = []
    rep = Repetition(RepeatOptions())
    rep.start()
    rep.repeat(lambda: per_test.append("y" * 500 + str(len(per_test))))
    assert not tracemalloc.is_tracing()
    per_test.clear()
    assert not rep.verdict().leaked


def test_thread_never_joined_is_a_leak():
    """A thread started per call and left running is reported as thread growth."""
    stop = threading.Event()
    verdict = check(lambda: threading.Thread(target=stop.wait, daemon=True).start())
    try:
        assert verdict.leaked
        assert "threads" in {g.kind for g in verdict.growths} or any(
            g.name == "threading.Thread" for g in verdict.growths
        )
    finally:
        stop.set()


def test_growth_released_by_cleanup_is_not_a_leak():
    """Growth that the caller's cleanup releases (like fixture teardown) is not confirmed."""
    per_test: list[OrderDTO] = []
    rep = Repetition(RepeatOptions())
    rep.start()
    rep.repeat(lambda: per_test.append(OrderDTO(1)))
    per_test.clear()
    assert not rep.verdict().leaked


def test_survivors_count_only_objects_born_in_the_judged_runs():
    """Objects of the grown type made before (a first call's cache) are not counted as survivors."""
    per_test: list[OrderDTO] = []

    def call() -> None:
        if not _memo:
            _memo.update((i, OrderDTO(i)) for i in range(50))
        per_test.append(OrderDTO(1))

    rep = Repetition(RepeatOptions())
    rep.start()
    call()
    rep.repeat(call)
    per_test.clear()
    assert not rep.verdict().leaked


def test_a_cache_rebuilt_bigger_on_every_run_is_not_a_leak():
    """Growth whose objects the next run replaces (only the last run's survive) is not a leak."""
    rebuilt: list[list[OrderDTO]] = [[]]

    def call() -> None:
        rebuilt[0] = [OrderDTO(i) for i in range(len(rebuilt[0]) + 1)]

    assert not check(call).leaked


def test_ignored_type_is_not_reported():
    """A type matching an ignore pattern is silenced, and its memory is not reported instead."""
    verdict = check(lambda: _held.append(OrderDTO(1)), ignore=("OrderDTO",))
    assert not verdict.leaked


def test_repeated_run_that_fails_falls_back_to_single_run():
    """When a repeat raises, the check says why and judges the single run instead."""
    calls = []

    def once_only() -> None:
        calls.append(1)
        assert len(calls) == 1

    verdict = check(once_only)
    assert verdict.mode == "once"
    assert verdict.changed and "AssertionError" in verdict.changed


def test_repeat_that_fails_only_on_the_frozen_heap_is_tried_again_thawed():
    """Code that needs gc.get_referrers to see older objects passes its repeats, no fallback."""
    anchor = [OrderDTO(0)]
    target = anchor[0]
    # Where something is frozen already (CPython 3.12 starts so), the heap is never frozen.
    freezable = gc.get_freeze_count() == 0

    failed: list[int] = []

    def call() -> None:
        if not any(r is anchor for r in gc.get_referrers(target)):
            failed.append(1)
            raise AssertionError("the anchor is not seen")

    verdict = check(call)
    assert verdict.changed is None
    assert bool(failed) is freezable
    assert not verdict.leaked


def test_code_that_fails_under_tracing_is_judged_by_its_measured_runs():
    """A leak in code that asserts tracemalloc is off is still caught, without traced runs."""

    def call() -> None:
        assert not tracemalloc.is_tracing()
        _held.append(OrderDTO(1))

    verdict = check(call)
    assert verdict.leaked and verdict.changed is None
    assert verdict.growths[0].per_run == (1, 1, 1)


def test_warnings_of_repeats_are_not_growth():
    """A warning emitted on every call is neither growth nor repeated on screen."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        verdict = check(lambda: warnings.warn("old", DeprecationWarning, stacklevel=1))
    assert not verdict.leaked
    assert len(seen) == 1


def test_single_run_blames_only_many_survivors_of_own_types():
    """A single-run check fails on many survivors of the user's types, not on a few."""
    for count, leaked in ((3, False), (30, True)):
        rep = Repetition(RepeatOptions(), once=True)
        rep.start()
        _held.extend(OrderDTO(i) for i in range(count))
        rep.repeat(None)
        verdict = rep.verdict()
        assert verdict.leaked is leaked
        assert verdict.growths[0].per_run == (count,)
        _held.clear()


def test_heap_is_thawed_and_tracing_stopped_after_a_leak():
    """After a check the gc sees every object again and tracemalloc is off."""
    frozen = gc.get_freeze_count()
    check(lambda: _held.append(OrderDTO(1)))
    assert gc.get_freeze_count() == frozen
    assert not tracemalloc.is_tracing()


def test_users_own_tracing_is_left_running():
    """A program that traces already keeps tracing, with its own frame count."""
    tracemalloc.start(3)
    try:
        check(lambda: _held.append(OrderDTO(1)))
        assert tracemalloc.is_tracing() and tracemalloc.get_traceback_limit() == 3
    finally:
        tracemalloc.stop()


# It freezes and unfreezes the whole heap, which the plugin's repeats rely on.
@pytest.mark.leakguard(once=True)
def test_users_own_freeze_is_left_alone():
    """When the program froze objects itself, the check still works and keeps them frozen."""
    _ = [[] for _ in range(10)]  # something of the program's own to freeze
    gc.freeze()
    frozen = gc.get_freeze_count()
    try:
        verdict = check(lambda: _held.append(OrderDTO(1)))
        assert verdict.leaked
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_first_run_error_propagates_without_judging():
    """An exception from the first, real run reaches the caller unchanged."""
    frozen = gc.get_freeze_count()
    with pytest.raises(KeyError):
        run_repeated(lambda: {}["missing"], RepeatOptions())
    assert gc.get_freeze_count() == frozen


def test_report_carries_one_suspect_per_growth():
    """The verdict converts to a Report whose suspect has the per-run rate."""
    report = to_report(check(lambda: _held.append(OrderDTO(1))))
    suspect = report.suspects[0]
    assert suspect.kind == "type" and suspect.rate_per_work == 1.0
    assert suspect.signature


def test_phases_move_in_order_and_refuse_a_call_out_of_order():
    """start, repeat and verdict move READY -> RUNNING -> REPEATED -> JUDGED; repeat first fails."""
    early = Repetition(RepeatOptions())
    with pytest.raises(RuntimeError, match="phase ready cannot move to repeated"):
        early.repeat(lambda: None)
    rep = Repetition(RepeatOptions())
    seen = [rep.phase]
    rep.start()
    seen.append(rep.phase)
    rep.repeat(lambda: None)
    seen.append(rep.phase)
    rep.verdict()
    seen.append(rep.phase)
    assert seen == [Phase.READY, Phase.RUNNING, Phase.REPEATED, Phase.JUDGED]


def test_close_in_any_phase_restores_the_interpreter():
    """close() mid-check (a failed first run) thaws the heap and stops tracing, twice safely."""
    frozen = gc.get_freeze_count()
    rep = Repetition(RepeatOptions())
    rep.start()
    rep.close()
    rep.close()
    assert rep.phase is Phase.JUDGED
    assert gc.get_freeze_count() == frozen and not tracemalloc.is_tracing()


def test_measuring_stops_after_the_first_run_without_growth():
    """A run in which nothing grew ends the measuring: of 5 measured runs at most 2 are made."""
    verdict = check(lambda: None, iterations=5)
    assert not verdict.leaked
    assert verdict.runs <= 1 + 1 + 2
    quiet = check(lambda: None, iterations=5, min_blocks=10**6)
    assert quiet.runs == 1 + 1 + 1


def test_a_timeout_raised_by_a_repeat_propagates():
    """A test-timeout plugin's Failed("Timeout ...") in a repeat is re-raised, not retried."""
    runs: list[int] = []

    def call() -> None:
        runs.append(1)
        if len(runs) > 1:
            pytest.fail("Timeout >1.0s")

    with pytest.raises(pytest.fail.Exception, match="Timeout"):
        run_repeated(call, RepeatOptions())
    assert len(runs) == 2
    assert not tracemalloc.is_tracing()
