"""Evidence for suspects: where they are born, who holds them, how big they are.

Gathered only on suspicion and within a budget. :meth:`Evidence.watch` opens a
tracemalloc window when a climb first looks suspect, so that the instances born
while it is being confirmed get a traceback; :meth:`Evidence.enrich` then
attaches allocation sites, a retention path, a leak signature and a deep size
to each confirmed suspect, in at most ``evidence_seconds``; :meth:`Evidence.step`
closes the window after ``trace_samples`` samples or when it costs too much.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import time
import tracemalloc
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from leakguard._census.safe import own_dict, referents
from leakguard._detect.trend import is_stdlib_type
from leakguard._evidence.memory import SITE_LIMIT, MemoryLines, noted
from leakguard._evidence.resources import for_resource
from leakguard._evidence.rules import ignored
from leakguard._evidence.signature import signature
from leakguard._heap.bounds import BOUND_SECONDS, bounded_holders
from leakguard._heap.deepsize import DEEP_SIZE_NODES, deep_size, measure_for_report
from leakguard._heap.packages import warm as warm_packages
from leakguard._heap.paths import find_container, iter_instances, retention_path
from leakguard._heap.tracing import TraceWindow, is_own
from leakguard._model.options import Options
from leakguard._model.suspect import Bound, Site, Suspect

# deep_size and DEEP_SIZE_NODES live in _deepsize; re-exported for existing callers.
__all__ = ["DEEP_SIZE_NODES", "Evidence", "deep_size", "newest_items"]

SAMPLE = 16
"""Newest instances (or container items) looked at per suspect."""

PATH_TRIES = 3
"""Instances whose retention path is searched before giving up on a suspect."""

PATH_SECONDS = 1.0
"""The most one retention-path search may take (the round's budget may cut it shorter)."""

SITE_SCAN = 20_000
"""Instances of a type read at most while looking for ones born in the trace window."""

TRACE_MEMORY_LIMIT = 64 * 1024 * 1024
"""Bytes tracemalloc's own tables may use before the window is closed early."""

TRACE_SECONDS_LIMIT = 600.0
"""Wall-clock seconds a window may stay open, whatever the sampling interval."""

_TRACEABLE = ("type", "container", "memory", "site")
_LRU_WRAPPER: Any = functools._lru_cache_wrapper
_LRU_INFO: Any = _LRU_WRAPPER.cache_info


class Evidence:
    """Evidence gathering for one guard: a trace window and a budgeted enrichment."""

    def __init__(self, options: Options, clock: Callable[[], float] = time.monotonic) -> None:
        """Prepare; nothing is switched on until :meth:`watch`.

        Args:
            options: the guard's options (``evidence``, ``trace_frames``,
                ``evidence_seconds``, ``trace_samples``, ``ignore``).
            clock: seconds, monotonic; the round's budget is measured with it.
        """
        self.options = options
        self._clock = clock
        self.window = TraceWindow(options.trace_frames)
        self.closed_because: str | None = None
        self._traced: set[tuple[str, str]] = set()
        self._pending: set[tuple[str, str]] = set()
        self._fresh = False
        self._mark: object | None = None
        self._memory = MemoryLines(options, self.window)

    def watch(self, candidates: Sequence[Suspect]) -> None:
        """Suspicion has begun for these: open a trace window so new instances get tracebacks.

        Opens at most one window per suspect key over the guard's life, so a
        climb that never confirms cannot keep tracemalloc switched on.
        """
        if not self.options.evidence:
            return
        new = [c for c in candidates if self._worth_tracing(c)]
        if not new:
            return
        self._traced.update(c.key for c in new)
        self._pending.update(c.key for c in new)
        self._open(baseline=any(c.kind == "memory" for c in new))

    def _open(self, *, baseline: bool) -> None:
        if not self.window.is_open:
            warm_packages()  # before tracing makes it 15x slower and fills the traces
            self.window.open(baseline=baseline)
            self.closed_because = None
            self._fresh = True

    def _worth_tracing(self, c: Suspect) -> bool:
        if c.kind not in _TRACEABLE or c.key in self._traced:
            return False
        return not ignored(c.kind, c.name, None, self.options.ignore)

    def step(self, index: int | None = None) -> list[Suspect]:
        """After every sample: close the window when done, or past its sample/memory/time budget.

        Args:
            index: the sample's index, given to ``site`` suspects found now.

        Returns:
            Late evidence, empty on most samples: when a window closes on memory
            suspects confirmed before it had seen ``trace_samples`` samples, those
            suspects with their lines, and a ``site`` suspect for each line that
            grew. The caller replaces its suspects of the same key and adds the rest.
        """
        window = self.window
        if not window.is_open:
            return []
        if self._fresh:  # opened during this very sample: nothing was born in it yet
            self._fresh = False
        else:
            window.samples += 1
        reason = None
        if not self._pending:
            reason = "done"
        elif window.samples >= self.options.trace_samples:
            reason = f"{self.options.trace_samples} samples"
        elif window.memory() > TRACE_MEMORY_LIMIT:
            reason = f"tracemalloc used {window.memory() // 2**20} MiB"
        elif window.seconds_open() > TRACE_SECONDS_LIMIT:
            reason = f"open for {TRACE_SECONDS_LIMIT:.0f} s"
        if reason is None:
            return []
        late: list[Suspect] = []
        if self._memory.deferred:
            found = self._memory.late(index, reason)
            if found is None:
                return []
            late = found
        self.close()
        self.closed_because = reason
        return late

    def close(self) -> None:
        """Stop tracing if we started it and restore the user's tracemalloc state."""
        self.window.close()
        self._pending.clear()
        self._memory.deferred.clear()
        self._fresh = False

    def enrich(self, suspects: Sequence[Suspect]) -> list[Suspect]:
        """Attach evidence to suspects, in at most ``options.evidence_seconds``.

        Suspects that are known noise or silenced by an ignore rule (including by
        the signature found here) are dropped. Memory suspects may bring new
        ``site`` suspects: the lines holding the most memory born in the window.

        Args:
            suspects: newly confirmed suspects, most certain first.

        Returns:
            The suspects with sites, path, signature, deep size and notes filled in.
        """
        budget_end = self._clock() + self.options.evidence_seconds
        # Everything gc tracks from here on is evidence's own: never a sampled instance.
        mark: list[object] = []
        self._mark = mark
        out: list[Suspect] = []
        rules = self.options.ignore
        for s in suspects:
            self._pending.discard(s.key)
            if ignored(s.kind, s.name, None, self.options.ignore):
                continue
            left = budget_end - self._clock()
            if left <= 0:
                budget = self.options.evidence_seconds
                out.append(noted(s, [f"evidence skipped: the {budget:g} s budget was spent"]))
                continue
            try:
                found = self._one(s, time.monotonic() + left)
            except Exception as exc:  # evidence is a bonus: report the suspect without it
                found = [noted(s, [f"evidence failed: {type(exc).__name__}"])]
            # A loop, not a generator: a closure over self would give enrich a cell that
            # tracemalloc blames on the caller's line (cells are made before a frame starts).
            for x in found:
                if not ignored(x.kind, x.name, x.signature, rules, path=x.path):
                    out.append(x)
        self._mark = None
        del mark
        return out

    def _one(self, s: Suspect, deadline: float) -> list[Suspect]:
        if s.kind == "type":
            return [self._for_type(s, deadline)]
        if s.kind == "container":
            return [self._for_container(s, deadline)]
        if s.kind in ("memory", "site"):
            return self._for_memory(s, deadline)
        if s.kind in ("threads", "fds", "tasks"):
            return [for_resource(s, deadline)]
        return [s]

    def _for_type(self, s: Suspect, deadline: float) -> Suspect:
        notes: list[str] = []
        sites, sample, alive = self._type_sites(s.name, deadline)
        try:
            # The newest instances of a builtin or stdlib type are often someone else's
            # (a cell of a library's closure): only ones born at the leak's line will do.
            if not sample and not (tracemalloc.is_tracing() and is_stdlib_type(s.name)):
                sample = self._instances(s.name, deadline)
            if not sample:
                notes.append(
                    "no allocation site or path: none of its instances was born while tracing"
                    if alive
                    else "no live instance found (the type is not tracked by gc)"
                )
                return noted(dataclasses.replace(s, signature=signature((), s.name)), notes)
            self._noted_sites(list(sites), True, notes)
            path = _first_path(sample, deadline, notes, (id(sample),))
            bounds = _bounds(sample, deadline, notes, (id(sample),))
            size, unusual = measure_for_report(sample, deadline)
            notes.extend([unusual] if unusual else [])
            deep = None if size is None else size / len(sample) * s.count
        finally:
            del sample
        return noted(
            dataclasses.replace(
                s,
                sites=sites,
                path=path or (),
                signature=signature(path or (), s.name),
                deep_size=deep,
                bounds=bounds,
            ),
            notes,
        )

    def _for_container(self, s: Suspect, deadline: float) -> Suspect:
        notes: list[str] = []
        type_part, _, key = s.name.rpartition("#")
        container = find_container(int(key, 16), type_part) if _is_hex(key) else None
        if container is None:
            notes.append("the container is gone (or its id now belongs to another object)")
            return noted(dataclasses.replace(s, signature=signature((), type_part)), notes)
        items = newest_items(container, SAMPLE)
        try:
            # A dict's keys are often born elsewhere (ids, names): its values are the leak,
            # unless they are shared (small ints, interned strings) and only keys are new.
            keyed = issubclass(type(container), dict) or type(container) is _LRU_WRAPPER
            held = items[1::2] if keyed else items
            sites = self._sites(held, [])
            if keyed and not sites:
                sites = self._sites(items[0::2], [])
            self._noted_sites(list(sites), bool(items), notes)
            budget = min(PATH_SECONDS, deadline - time.monotonic())
            path = retention_path(container, seconds=budget, notes=notes, ignore=(id(items),))
            bounds = _bounds([container], deadline, notes, (id(items),))
            size, unusual = measure_for_report(items, deadline)
            notes.extend([unusual] if unusual else [])
            deep = None if size is None or not held else size / len(held) * s.count
        finally:
            del container, items, held
        return noted(
            dataclasses.replace(
                s,
                sites=sites,
                path=path or (),
                signature=signature(path or (), type_part),
                deep_size=deep,
                bounds=bounds,
            ),
            notes,
        )

    def _for_memory(self, s: Suspect, deadline: float) -> list[Suspect]:
        s = dataclasses.replace(s, signature=signature((), s.name))
        waiting = s.key in self._memory.deferred
        if not self.window.is_open and not waiting and self.options.evidence:
            # Confirmed with no window open (it closed for another suspect, or there was
            # no candidate sample): trace now and name the lines when it has seen enough.
            self._traced.add(s.key)
            self._open(baseline=True)
        if not self.window.is_open:
            return [noted(s, ["no allocation lines: tracemalloc was not on while it grew"])]
        found = self._memory.name(s, deadline, self.window.samples + (0 if self._fresh else 1))
        if s.key in self._memory.deferred:
            self._pending.add(s.key)  # keeps the window open until step() names its lines
        return found

    def _instances(self, name: str, deadline: float) -> list[object]:
        """The newest few instances of a type that are the program's, not leakguard's."""
        found: list[object] = []
        walk = iter_instances(name, born_before=self._mark)
        try:
            for obj in _until(itertools.islice(walk, SITE_SCAN), deadline):
                if not is_own(obj):  # e.g. a snapshot's tuples, born in this very sample
                    found.append(obj)
                    if len(found) >= SAMPLE:
                        break
        finally:
            walk.close()
        return found

    def _type_sites(self, name: str, deadline: float) -> tuple[tuple[Site, ...], list[object], int]:
        """Sites of a type's instances, a few born at the top site, and how many were read."""
        # Collections merge generations out of creation order, so the newest few
        # instances may predate the window: read on until enough were traced.
        walk = iter_instances(name, born_before=self._mark)
        try:
            limited = _until(itertools.islice(walk, SITE_SCAN), deadline)
            sites, sample, read = self.window.sample_sites(
                limited, SITE_LIMIT, enough=SAMPLE * 4, keep=SAMPLE
            )
        finally:
            walk.close()
        return tuple(sites), sample, read

    def _sites(self, objects: Sequence[object], notes: list[str]) -> tuple[Site, ...]:
        return self._noted_sites(self.window.sites_of(objects, SITE_LIMIT), bool(objects), notes)

    def _noted_sites(
        self, sites: list[Site], any_alive: bool, notes: list[str]
    ) -> tuple[Site, ...]:
        if any_alive and not sites:
            why = "was switched on after" if tracemalloc.is_tracing() else "was not on when"
            notes.append(f"no allocation site: tracemalloc {why} these were born")
        return tuple(sites)


def _bounds(
    objects: Sequence[object], deadline: float, notes: list[str], ignore: tuple[int, ...]
) -> tuple[Bound, ...]:
    """The capped holders of a climb's newest objects, with a note saying what they mean."""
    budget = min(BOUND_SECONDS, deadline - time.monotonic())
    if budget <= 0:
        return ()
    found = bounded_holders(objects, seconds=budget, ignore=(*ignore, id(objects)))
    if not found:
        return found
    held = "; ".join(str(b) for b in found)
    if any(b.full for b in found):
        notes.append(f"held by {held}: full, so growth past its cap is not a cache filling")
    else:
        notes.append(f"held by {held}: no leak while below its cap")
    return found


def _first_path(
    sample: Sequence[object], deadline: float, notes: list[str], ignore: tuple[int, ...]
) -> tuple[str, ...] | None:
    """The retention path of the first of a few newest instances that has one."""
    last: list[str] = []
    for obj in sample[:PATH_TRIES]:
        budget = min(PATH_SECONDS, deadline - time.monotonic())
        if budget <= 0:
            notes.append("retention path not searched: the evidence budget was spent")
            return None
        tried: list[str] = []
        path = retention_path(obj, seconds=budget, notes=tried, ignore=ignore)
        if path is not None:
            return path
        if any("timed out" in t for t in tried):
            notes.extend(tried)
            return None
        last = tried
    notes.extend(last)
    return None


def newest_items(container: Any, limit: int) -> list[object]:
    """The most recently added items of a container (values and keys of a dict).

    Reads through the builtin base class, so a subclass's overrides never run.
    """
    tp = type(container)
    if issubclass(tp, dict):
        newest = zip(reversed(dict.keys(container)), reversed(dict.values(container)), strict=True)
        return [x for pair in itertools.islice(newest, limit) for x in pair]
    if issubclass(tp, list):
        return list(list.__getitem__(container, slice(-limit, None)))
    if issubclass(tp, deque):
        return list(itertools.islice(deque.__reversed__(container), limit))
    if issubclass(tp, (set, frozenset)):
        base = set if issubclass(tp, set) else frozenset
        return list(itertools.islice(base.__iter__(container), limit))
    if tp is _LRU_WRAPPER:
        return _lru_items(container, limit)
    return []


def _lru_items(wrapper: Any, limit: int) -> list[object]:
    """Newest keys and results of an ``lru_cache``, read from its C cache dict.

    The cache dict is the wrapper's only referent of its size that is not its
    ``__dict__``. A bounded cache's values are link nodes that show nothing to
    gc, born on the line that called the cached function.
    """
    size = _LRU_INFO(wrapper).currsize
    own = own_dict(wrapper)
    for cache in referents(wrapper):
        if type(cache) is dict and cache is not own and dict.__len__(cache) == size:
            return newest_items(cache, limit)
    return []


def _until(items: Iterable[object], deadline: float) -> Iterator[object]:
    """Yield items until the deadline passes (checked every 1024 items)."""
    for i, item in enumerate(items):
        if i % 1024 == 0 and time.monotonic() > deadline:
            return
        yield item


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdefABCDEF" for c in text)
