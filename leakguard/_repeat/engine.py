"""The repetition engine shared by the pytest plugin and ``leakguard.check``.

Leaks are told apart from caches by repetition, as CPython's ``-R`` refleak
hunter does: run the code a few times to warm caches up, then measure each
further run (garbage collected between runs) and call it a leak only when
something grows on *every* measured run. A measured run in which nothing
grew ends the measuring early: no leak can grow on every run any more. A
suspicious check runs a few more times under a tracemalloc window to learn
where the growth is born, and is then confirmed: what grew must still be
alive once the caller's own cleanup (a test's fixture teardown) has run. Only
counts and ids are kept between runs, never the objects.

A check is a small state machine (:class:`Phase`), moved only by
:meth:`Repetition._to`; every caller drives it through the same calls::

    rep = Repetition(options, once=False)
    rep.start()              # READY -> RUNNING: read the starting levels
    ...the caller's real run...
    rep.repeat(call)         # RUNNING -> REPEATED: repeat (or, once=True, nothing)
    ...the caller's cleanup...
    verdict = rep.verdict()  # -> JUDGED: judge, restore the interpreter
    rep.close()              # -> JUDGED without a verdict (a failure); safe twice
"""

from __future__ import annotations

import enum
import warnings
from collections.abc import Callable

from leakguard._model.suspect import Site
from leakguard._repeat.evidence import (
    TraceWindow,
    born_holders,
    growing_lines,
    lines,
    sites_of,
    with_packages,
)
from leakguard._repeat.judge import Record, confirm, once_verdict
from leakguard._repeat.options import RepeatOptions
from leakguard._repeat.probe import (
    Freezer,
    Sample,
    instances,
    pin,
    settled_blocks,
    take_sample,
)
from leakguard._repeat.verdict import Growth, RepeatFailed, Verdict

__all__ = [
    "Growth",
    "Phase",
    "RepeatFailed",
    "RepeatOptions",
    "Repetition",
    "Verdict",
    "run_repeated",
]


class Phase(enum.Enum):
    """Where a check is: each phase names what has happened so far."""

    READY = "ready"  # made; nothing read yet
    RUNNING = "running"  # starting levels read; the caller's real run is under way
    REPEATED = "repeated"  # repeats done, heap thawed, tracing off; the caller cleans up
    JUDGED = "judged"  # verdict given or check abandoned; the interpreter is restored


_NEXT: dict[Phase, frozenset[Phase]] = {
    Phase.READY: frozenset({Phase.RUNNING, Phase.JUDGED}),
    Phase.RUNNING: frozenset({Phase.REPEATED, Phase.JUDGED}),
    Phase.REPEATED: frozenset({Phase.JUDGED}),
    Phase.JUDGED: frozenset({Phase.JUDGED}),
}


class Repetition:
    """One check between its runs: counts and ids, never objects."""

    def __init__(self, options: RepeatOptions, *, once: bool = False) -> None:
        """Args:
        options: how to repeat and judge.
        once: judge the real run alone (survivors), never repeat it.
        """
        self.options = options
        self.once = once
        self.phase = Phase.READY
        self.record = Record(options)
        self._freezer = Freezer()
        self._window = TraceWindow(options.trace_frames)
        self._last: Sample | None = None
        self._settled = 0

    def _to(self, phase: Phase) -> None:
        """The one transition: move to ``phase`` or say which call came out of order."""
        if phase not in _NEXT[self.phase]:
            raise RuntimeError(
                f"leakguard: a check in phase {self.phase.value} cannot move to {phase.value}"
            )
        self.phase = phase

    @property
    def runs(self) -> int:
        """How many times the code ran so far (the caller's real run included)."""
        return self.record.runs

    def start(self) -> None:
        """Read the starting levels before the real run; the heap is left as it is.

        The real run must see the interpreter as it would without leakguard (a
        test may walk ``gc.get_referrers`` or collect a cycle through old objects),
        so nothing is frozen yet. A single-run check counts the whole heap by type
        now, at the cost of one full census.
        """
        self._to(Phase.RUNNING)
        self.record.start = take_sample(census=self.once)

    def repeat(self, call: Callable[[], object] | None) -> None:
        """After the caller's real run: repeat it, then hand the interpreter back for cleanup.

        A repeat that fails on the frozen heap is tried again, from its warm-up, on
        the heap as it is (slower): code that walks ``gc.get_referrers`` or collects
        a cycle through older objects sees the difference, and is not to blame.
        A check made with ``once=True`` (or without ``call``) only moves on.

        Args:
            call: runs the code once more; its return value is dropped.
        """
        self._to(Phase.REPEATED)
        if self.once or call is None:
            return
        try:
            self._first_run_done()
            self._repeat_guarded(call)
        finally:
            self._finish()

    def verdict(self) -> Verdict:
        """Judge the check once the caller's cleanup has run; restores the interpreter."""
        try:
            if self.once or self.record.changed is not None or self.phase is not Phase.REPEATED:
                return once_verdict(self.record, self._freezer)
            return confirm(self.record, self._freezer)
        finally:
            self.close()

    def close(self) -> None:
        """Stop tracing and thaw the heap if this check did either; safe to call twice."""
        self._window.close()
        self._freezer.thaw()
        self.record.pins = {}
        if self.phase is not Phase.JUDGED:
            self._to(Phase.JUDGED)

    def _first_run_done(self) -> None:
        self.record.runs = 1
        self._freezer.freeze()
        self._restart_counts()

    def _restart_counts(self) -> None:
        start = self.record.start
        now = take_sample()  # counts compare against it from here on
        if start is not None:
            now = Sample(now.types, now.blocks, start.threads, start.fds)
        self.record.start = now

    def _repeat_guarded(self, call: Callable[[], object]) -> None:
        try:
            self._repeat(call)
        except RepeatFailed as exc:
            if not self._freezer.active:
                self.record.abandon(str(exc))
                return
            self._freezer.thaw()
            self._window.close()
            self.record.reset()
            try:
                # One run on the thawed heap first: code that cannot run twice fails
                # again here, before the whole heap is counted for a restart.
                self._run(call)
                self._restart_counts()
                self._repeat(call)
            except RepeatFailed:
                self.record.abandon(str(exc))  # the first failure says what the code did

    def _repeat(self, call: Callable[[], object]) -> None:
        for _ in range(self.options.warmup - 1):
            self._run(call)
        self._last = take_sample()
        self._settled = settled_blocks()
        for _ in range(self.options.iterations):
            if not self._measure(call):
                break  # nothing grew in this run: no leak grows on every run
        rec = self.record
        if rec.growing() and self.options.traced_runs:
            self._traced(call)
        else:
            rec.ids = rec.births.of(rec.growing_types())

    def _run(self, call: Callable[[], object]) -> None:
        self.record.runs += 1
        try:
            # The first run's warnings were reported; a repeat's would pile up in
            # pytest's per-test record (and on screen) once per run.
            with warnings.catch_warnings(record=True):
                call()
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as exc:  # pytest's skip/fail are BaseExceptions too
            if _is_timeout(exc):
                raise
            # The message keeps no frame alive: only text leaves this block.
            text = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:200]
            raise RepeatFailed(f"run {self.record.runs} raised {text}") from None

    def _measure(self, call: Callable[[], object]) -> bool:
        """One measured run; whether anything grew in it."""
        self._run(call)
        now = take_sample()
        last = self._last
        assert last is not None
        grew = self.record.add_run(last, now, now.blocks - self._settled)
        self._last = now
        del last, now
        self.record.track_births()
        # Blocks are counted again once this bookkeeping is done, so that what it
        # allocates (series, births, the kept sample) is never seen as the code's growth.
        self._settled = settled_blocks()
        return grew

    def _traced(self, call: Callable[[], object]) -> None:
        rec = self.record
        self._window.open()
        before = lines(self._window)
        # Reading the lines made objects of its own: measure from after it.
        self._last = take_sample()
        self._settled = settled_blocks()
        try:
            rec.lines = self._traced_lines(call, before)
        except RepeatFailed:
            # The code notices tracemalloc (it asserts it is off, or traces itself):
            # judge by the measured runs alone, without saying where.
            self._window.close()
            rec.keep_measured(self.options.iterations)
        types = rec.growing_types()
        rec.ids = rec.births.of(types)
        for name in types if self._window.is_open else ():
            sample = instances(name, rec.ids[name], 50)
            # Objects with an inline __dict__ have no traceback on 3.11: fall back
            # to the lines whose live blocks grew in the traced runs.
            rec.sites[name] = sites_of(self._window, sample) or with_packages(rec.lines[:3])
            del sample

    def _traced_lines(
        self, call: Callable[[], object], before: dict[tuple[str, int], tuple[int, int]]
    ) -> tuple[Site, ...]:
        """Run the traced runs; the lines whose live blocks grew on every one of them."""
        steady: set[tuple[str, int]] | None = None
        last = before
        for _ in range(self.options.traced_runs):
            self._measure(call)
            now = lines(self._window)
            # A leaking line gains blocks on every run; C-level caches gain some sporadically.
            grew = {(s.filename, s.lineno) for s in growing_lines(last, now, 1, limit=10**6)}
            steady = grew if steady is None else steady & grew
            last = now
        found = growing_lines(before, last, self.options.traced_runs)
        return tuple(s for s in found if (s.filename, s.lineno) in (steady or set()))

    def _finish(self) -> None:
        """End the runs before the caller's cleanup: close the trace window, thaw the heap.

        The cleanup (a test's fixture teardown) must see neither leakguard's tracing
        nor its frozen heap. Untracked objects born on the lines whose memory grew
        are found by holder first, while their tracebacks can be read, so that the
        verdict can tell if the cleanup released them. The suspects of growing types
        are pinned by weak reference, so that one the cleanup frees is not taken for
        a survivor when a new object of its type takes its address.
        """
        rec = self.record
        memory = any(kind == "memory" for kind, _ in rec.growing())
        self._freezer.thaw()
        rec.pins = pin(rec.ids)
        if memory and rec.lines and self._window.is_open:
            rec.holders = born_holders({(s.filename, s.lineno) for s in rec.lines})
        self._window.close()


def _is_timeout(exc: BaseException) -> bool:
    """Whether a run was stopped by a test-timeout plugin (pytest-timeout's ``Failed: Timeout``)."""
    return type(exc).__name__ == "Failed" and str(exc).startswith("Timeout")


def run_repeated(call: Callable[[], object], options: RepeatOptions) -> tuple[object, Verdict]:
    """Check a callable: one real run, repeats, then the verdict (no separate cleanup).

    Args:
        call: the code to check; its first run's result is returned.
        options: how to repeat and judge.

    Returns:
        The first run's return value and the verdict.

    Raises:
        Whatever the first run raises (then nothing is judged).
    """
    rep = Repetition(options)
    rep.start()
    try:
        result = call()
        rep.repeat(call)
    except BaseException:
        rep.close()
        raise
    return result, rep.verdict()
