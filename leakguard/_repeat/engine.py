"""The repetition engine shared by the pytest plugin and ``leakguard.check``.

Leaks are told apart from caches by repetition, as CPython's ``-R`` refleak
hunter does: run the code a few times to warm caches up, then measure each
further run (garbage collected between runs) and call it a leak only when
something grows on *every* measured run. A suspicious check runs twice more
under a tracemalloc window to learn where the growth is born, and is then
confirmed: what grew must still be alive once the caller's own cleanup
(a test's fixture teardown) has run. Only counts and ids are kept between
runs, never the objects.
"""

from __future__ import annotations

import fnmatch
import gc
import warnings
from collections.abc import Callable

from leakguard._evidence.rules import ignored
from leakguard._model.suspect import Site
from leakguard._repeat.births import Births
from leakguard._repeat.evidence import (
    TraceWindow,
    born_holders,
    cached_only,
    growing_lines,
    lines,
    retention_path,
    sites_of,
    still_held,
    with_packages,
)
from leakguard._repeat.probe import Freezer, Sample, ids_of, instances, settled_blocks, take_sample
from leakguard._repeat.rank import is_user_type, rank
from leakguard._repeat.verdict import Growth, RepeatFailed, RepeatOptions, Verdict

__all__ = ["Growth", "RepeatFailed", "RepeatOptions", "Repetition", "Verdict", "run_repeated"]


class Repetition:
    """The state of one check between its runs: counts and ids, never objects."""

    def __init__(self, options: RepeatOptions) -> None:
        self.options = options
        self.runs = 0
        self.changed: str | None = None
        self._freezer = Freezer()
        self._window = TraceWindow(options.trace_frames)
        self._start: Sample | None = None
        self._last: Sample | None = None
        self._settled = 0
        self._series: dict[tuple[str, str], tuple[int, ...]] = {}
        self._ids: dict[str, set[int]] = {}
        self._sites: dict[str, tuple[Site, ...]] = {}
        self._lines: tuple[Site, ...] = ()
        # (run, type name) -> ids packed in bytes: nothing the census would count.
        self._births = Births()
        self._holders: dict[tuple[int, int], tuple[str, int]] | None = None
        self._finished = False

    def begin(self, *, single: bool = False) -> None:
        """Read the starting levels before the real run; the heap is left as it is.

        The real run must see the interpreter as it would without leakguard (a
        test may walk ``gc.get_referrers`` or collect a cycle through old objects),
        so nothing is frozen yet.

        Args:
            single: the check will judge this one run (:meth:`survivors`): count the
                whole heap by type now, at the cost of one full census.
        """
        self._start = take_sample() if single else take_sample(census=False)

    def first_run_done(self) -> None:
        """Count the real run that the caller made; freeze the heap for the repeats.

        From here on collections and counts see only what the repeats make. A
        repeat that fails is judged by what the repeats before it left alive.
        """
        self.runs = 1
        self._freezer.freeze()
        start = self._start
        now = take_sample()
        if start is not None:
            now = Sample(now.types, now.blocks, start.threads, start.fds)
        self._start = now

    def repeat(self, call: Callable[[], object]) -> None:
        """Run the remaining warm-ups and the measured runs; stop at the first failure.

        A repeat that fails on the frozen heap is tried again, from its warm-up, on
        the heap as it is (slower): code that walks ``gc.get_referrers`` or collects
        a cycle through older objects sees the difference, and is not to blame.

        Args:
            call: runs the code once more; its return value is dropped.
        """
        try:
            self._repeat(call)
        except RepeatFailed as exc:
            if not self._freezer.active:
                self.changed = str(exc)
                self._series.clear()
                return
            self._restart_thawed()
            try:
                self._repeat(call)
            except RepeatFailed:
                self.changed = str(exc)  # the first failure says what the code did
                self._series.clear()

    def _restart_thawed(self) -> None:
        self._freezer.thaw()
        self._window.close()
        self._series.clear()
        self._ids, self._sites, self._lines = {}, {}, ()
        self._births = Births()
        start = self._start
        now = take_sample()  # the whole heap, once: counts compare against it now
        if start is not None:
            now = Sample(now.types, now.blocks, start.threads, start.fds)
        self._start = now

    def _repeat(self, call: Callable[[], object]) -> None:
        for _ in range(self.options.warmup - 1):
            self._run(call)
        self._last = take_sample()
        self._settled = settled_blocks()
        for _ in range(self.options.iterations):
            self._measure(call)
        if self._growing() and self.options.traced_runs:
            self._traced(call)
        else:
            self._ids = self._births.of([name for kind, name in self._growing() if kind == "type"])

    def _run(self, call: Callable[[], object]) -> None:
        self.runs += 1
        try:
            # The first run's warnings were reported; a repeat's would pile up in
            # pytest's per-test record (and on screen) once per run.
            with warnings.catch_warnings(record=True):
                call()
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as exc:  # pytest's skip/fail are BaseExceptions too
            # The message keeps no frame alive: only text leaves this block.
            text = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:200]
            raise RepeatFailed(f"run {self.runs} raised {text}") from None

    def _measure(self, call: Callable[[], object]) -> None:
        self._run(call)
        now = take_sample()
        last = self._last
        assert last is not None
        for name, n in now.types.items():
            self._add(("type", name), n - last.types.get(name, 0))
        for name in last.types.keys() - now.types.keys():
            self._add(("type", name), -last.types[name])
        self._add(("memory", "blocks"), now.blocks - self._settled)
        self._add(("threads", "threads"), now.threads - last.threads)
        if now.fds >= 0 and last.fds >= 0:
            self._add(("fds", "fds"), now.fds - last.fds)
        self._last = now
        del last, now
        self._track_births()
        # Blocks are counted again once this bookkeeping is done, so that what it
        # allocates (series, births, the kept sample) is never seen as the code's growth.
        self._settled = settled_blocks()

    def _add(self, key: tuple[str, str], growth: int) -> None:
        # Tuples of ints, not lists: the collector stops tracking them, so a series
        # started for a type first seen in this run is never counted as a new object.
        self._series[key] = (*self._series.get(key, ()), growth)

    def _track_births(self) -> None:
        # Suspects are the types that grew in the first measured run: a leak grows on every run.
        floor = max(self.options.min_growth, 1)
        self._births.after_run(
            n for (k, n), v in self._series.items() if k == "type" and v[-1] >= floor
        )

    def _growing(self) -> list[tuple[str, str]]:
        """Series that grew on every measured run so far, past their thresholds.

        Memory counts only when no type grew on every run, ignored types included:
        growth of objects the census sees is reported (or silenced) by type.
        """
        runs = max((len(v) for v in self._series.values()), default=0)
        grown = []
        for key, per_run in self._series.items():
            floor = self.options.min_blocks if key[0] == "memory" else self.options.min_growth
            if len(per_run) == runs > 0 and min(per_run) >= max(floor, 1):
                grown.append(key)
        typed = any(kind == "type" for kind, _ in grown)
        return [
            (kind, name)
            for kind, name in grown
            if not (kind == "type" and self._ignored(name)) and not (kind == "memory" and typed)
        ]

    def _traced(self, call: Callable[[], object]) -> None:
        self._window.open()
        before = lines(self._window)
        # Reading the lines made objects of its own: measure from after it.
        self._last = take_sample()
        self._settled = settled_blocks()
        try:
            self._lines = self._traced_lines(call, before)
        except RepeatFailed:
            # The code notices tracemalloc (it asserts it is off, or traces itself):
            # judge by the measured runs alone, without saying where.
            self._window.close()
            measured = self.options.iterations
            self._series = {key: v[:measured] for key, v in self._series.items()}
            self._births.keep_first(measured - 1)
            self._lines = ()
        types = [name for kind, name in self._growing() if kind == "type"]
        self._ids = self._births.of(types)
        for name in types if self._window.is_open else ():
            sample = instances(name, self._ids[name], 50)
            # Objects with an inline __dict__ have no traceback on 3.11: fall back
            # to the lines whose live blocks grew in the traced runs.
            self._sites[name] = sites_of(self._window, sample) or with_packages(self._lines[:3])
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

    def finish(self) -> None:
        """End the runs before the caller's cleanup: close the trace window, thaw the heap.

        The cleanup (a test's fixture teardown) must see neither leakguard's tracing
        nor its frozen heap. Untracked objects born on the lines whose memory grew
        are found by holder first, while their tracebacks can be read, so that
        :meth:`confirm` can tell if the cleanup released them. A check that fell back
        to a single-run judgement stays frozen (its counts compare against a frozen start).
        """
        if self._finished:
            return
        self._finished = True
        memory = any(kind == "memory" for kind, _ in self._growing())
        if self.changed is None:
            self._freezer.thaw()
        if memory and self._lines and self._window.is_open:
            self._holders = born_holders({(s.filename, s.lineno) for s in self._lines})
        self._window.close()

    def _ignored(self, name: str) -> bool:
        short = name.rsplit(".", 1)[-1]
        if any(fnmatch.fnmatchcase(short, p) for p in self.options.ignore):
            return True
        return ignored("type", name, None, self.options.ignore)

    def confirm(self) -> Verdict:
        """Judge a repeated check once the caller's cleanup has run; restores the interpreter."""
        try:
            self.finish()
            if self.changed is not None:
                return self._once_verdict()
            return Verdict(leaked=False, runs=self.runs) if not self._series else self._judge()
        finally:
            self.end()

    def _judge(self) -> Verdict:
        growing = self._growing()
        if not growing:
            return Verdict(leaked=False, runs=self.runs)
        gc.collect()  # what the cleanup dropped may sit in cycles
        now = take_sample(census=False)
        growths = [g for g in (self._confirmed(key, now) for key in growing) if g is not None]
        if any(g.kind == "type" for g in growths):
            growths = [g for g in growths if g.kind != "memory"]
        growths.sort(key=lambda g: rank(g.kind, g.name, g.per_run))
        growths = self._with_paths(growths)
        return Verdict(leaked=bool(growths), growths=tuple(growths), runs=self.runs)

    def _confirmed(self, key: tuple[str, str], now: Sample) -> Growth | None:
        kind, name = key
        per_run = self._series[key]
        if kind == "type":
            alive = ids_of([name])[name]
            floor = max(self.options.min_growth, min(per_run))
            kept = self._births.left_by_most(name, alive, floor)
            # A bounded lru_cache filling up over more calls than the warm-up is no leak.
            if kept is None or cached_only(name, self._ids.get(name, set()) & alive):
                return None
            return Growth(kind, name, per_run, survived=kept, sites=self._sites.get(name, ()))
        if kind == "memory":
            return self._memory(per_run)
        start = self._start
        level = now.threads - start.threads if start and kind == "threads" else None
        if kind == "fds" and start is not None:
            level = now.fds - start.fds
        if level is not None and level < len(per_run):
            return None
        return Growth(kind, name, per_run, unit=kind, survived=level)

    def _memory(self, per_run: tuple[int, ...]) -> Growth | None:
        if not self.options.traced_runs or not self.options.trace_frames:
            return Growth("memory", "blocks", per_run, unit="blocks")
        # Objects born on the lines that grew in every traced run, still held after cleanup.
        held = still_held(self._holders or {})
        floor = self.options.traced_runs
        kept = tuple(s for s in self._lines if held.get((s.filename, s.lineno), 0) >= floor)
        if not kept:
            return None
        return Growth("memory", "blocks", per_run, unit="blocks", sites=with_packages(kept))

    def _with_paths(self, growths: list[Growth]) -> list[Growth]:
        """Find who holds one leaked object of the first leaked type (heap thawed)."""
        first = next((g for g in growths if g.kind == "type"), None)
        if first is None:
            return growths
        ids = self._ids.get(first.name) or ids_of([first.name])[first.name]
        found = instances(first.name, ids, 1)
        self._freezer.thaw()
        try:
            path = retention_path(found[0], self.options.path_seconds) if found else ()
        except Exception:
            path = ()
        finally:
            del found
        out = list(growths)
        out[out.index(first)] = Growth(
            first.kind, first.name, first.per_run, first.unit, first.survived, first.sites, path
        )
        return out

    def survivors(self) -> Verdict:
        """Judge a single run: what it made that is still alive now; restores the interpreter."""
        try:
            return self._once_verdict()
        finally:
            self.end()

    def _once_verdict(self) -> Verdict:
        start = self._start
        assert start is not None
        now = take_sample()
        growths = [
            Growth("type", name, (n - start.types.get(name, 0),))
            for name, n in now.types.items()
            if n > start.types.get(name, 0) and is_user_type(name) and not self._ignored(name)
        ]
        grew_fds = now.fds - start.fds if min(now.fds, start.fds) >= 0 else 0
        for kind, grew in (("threads", now.threads - start.threads), ("fds", grew_fds)):
            if grew > 0:
                growths.append(Growth(kind, kind, (grew,), unit=kind, survived=grew))
        growths.sort(key=lambda g: rank(g.kind, g.name, g.per_run))
        leaked = any(g.kind != "type" or g.per_run[0] >= self.options.survivors for g in growths)
        if leaked:
            growths = self._with_paths(growths)
        return Verdict(leaked, tuple(growths), "once", max(self.runs, 1), self.changed)

    def end(self) -> None:
        """Stop tracing and thaw the heap if this check did either; safe to call twice."""
        self._window.close()
        self._freezer.thaw()


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
    rep.begin()
    try:
        result = call()
        rep.first_run_done()
        rep.repeat(call)
    except BaseException:
        rep.end()
        raise
    return result, rep.confirm()
